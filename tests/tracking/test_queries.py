"""Geographic filters at the query level: both ways of reading a geo group's members agree."""

from __future__ import annotations

import pytest

from pulsebridge.ingest.events import record_event_items as record_events
from pulsebridge.tracking import queries
from pulsebridge.tracking.models import Tracker
from pulsebridge.tracking.services import create_geogroup

from .conftest import square

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("probe_limit", [0, 5000])
def test_inside_and_outside_agree_whichever_way_members_are_read(
    alice, tracker, monkeypatch, probe_limit
):
    monkeypatch.setattr(queries, "PROBE_LIMIT", probe_limit)
    made = [tracker() for _ in range(4)]
    for t, (lat, lon) in zip(made, [(1, 1), (2, 2), (20, 20), (5, 5)], strict=True):
        record_events(
            alice,
            [
                {
                    "imei": t.device.imei,
                    "type": "position",
                    "timestamp": "2026-01-05T12:00:00Z",
                    "latitude": lat,
                    "longitude": lon,
                }
            ],
        )
    tracker()  # never reported: neither inside nor outside
    yard = create_geogroup(
        alice,
        name="Yard",
        boundary=square(0, 0, 10, 10, [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]]),
    )
    base = Tracker.objects.for_company(alice)
    assert sorted(queries.inside_geogroup(base, yard).values_list("pk", flat=True)) == [
        made[0].pk,
        made[1].pk,
    ]
    assert sorted(queries.outside_geogroup(base, yard).values_list("pk", flat=True)) == [
        made[2].pk,
        made[3].pk,
    ]
    assert queries.inside_geogroup(base, yard).count() == 2
