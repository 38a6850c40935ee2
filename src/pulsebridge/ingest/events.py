"""``POST /ingest/v1/events``: trackers report positions, temperature, shocks, battery."""

from __future__ import annotations

from rest_framework import exceptions, status
from rest_framework.response import Response

from pulsebridge.tracking.services import record_events

from .views import MAX_ITEMS, IngestView


class EventsView(IngestView):
    """One event or an array of up to 1,000; each succeeds or fails on its own.

    200 when every item was stored or already known, 207 when some failed, 400 when all did;
    the answer lists every item's outcome by index, as for measurements."""

    def post(self, request):
        body = request.data
        items = body if isinstance(body, list) else [body]
        if not items:
            raise exceptions.ValidationError({"body": ["must hold at least one event"]})
        if len(items) > MAX_ITEMS:
            raise exceptions.ValidationError(
                {"body": [f"at most {MAX_ITEMS} events per request, got {len(items)}"]}
            )
        outcomes = record_events(request.auth.company, items)
        summary = {"created": 0, "duplicate": 0, "error": 0}
        for outcome in outcomes:
            summary[outcome.status] += 1
        if summary["error"] == len(outcomes):
            code = status.HTTP_400_BAD_REQUEST
        elif summary["error"]:
            code = status.HTTP_207_MULTI_STATUS
        else:
            code = status.HTTP_200_OK
        return Response(
            {
                "created": summary["created"],
                "duplicates": summary["duplicate"],
                "errors": summary["error"],
                "results": [o.as_dict() for o in outcomes],
            },
            status=code,
        )
