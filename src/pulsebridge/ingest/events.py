"""``POST /ingest/v1/events``: trackers report positions, temperature, shocks, battery."""

from __future__ import annotations

from pulsebridge.tracking.services import record_events

from .views import BatchView


class EventsView(BatchView):
    """One tracker event or an array of up to 1,000, answered per item as for measurements."""

    noun = "event"

    def record(self, company, items):
        return record_events(company, items)
