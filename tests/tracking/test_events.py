"""record_events: validation, idempotency, trackers following their events, geo group
crossings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pulsebridge.ingest.events import record_event_items as record_events
from pulsebridge.tracking.models import EventType, GeoMembership, Tracker, TrackerEvent
from pulsebridge.tracking.services import create_geogroup, update_geogroup

from .conftest import square

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def at(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def position(imei, minutes, lat, lon, **extra):
    return {
        "imei": imei,
        "type": "position",
        "timestamp": at(minutes),
        "latitude": lat,
        "longitude": lon,
        **extra,
    }


def test_a_position_event_moves_its_tracker_and_device(alice, tracker):
    t = tracker(imei="990000862471854")
    [outcome] = record_events(
        alice, [position("990000862471854", 0, 40.75897, -73.984479, accuracy=12)]
    )
    assert outcome.status == "created"
    assert isinstance(outcome.id, int)
    t.refresh_from_db()
    assert (t.latitude, t.longitude, t.accuracy) == (40.75897, -73.984479, 12.0)
    assert t.last_event_timestamp == T0
    assert t.last_event_created_at is not None
    t.device.refresh_from_db()
    assert (t.device.latitude, t.device.longitude) == (40.75897, -73.984479)


def test_the_same_event_sent_twice_is_stored_once(alice, tracker):
    tracker(imei="990000862471854")
    first = record_events(alice, [position("990000862471854", 0, 1, 1)])
    again = record_events(alice, [position("990000862471854", 0, 1, 1)])
    assert again[0].status == "duplicate"
    assert again[0].id == first[0].id
    assert TrackerEvent.objects.count() == 1


def test_the_senders_id_makes_events_idempotent(alice, tracker):
    tracker(imei="990000862471854")
    one = {
        "imei": "990000862471854",
        "type": "battery",
        "timestamp": at(0),
        "battery": 80,
        "id": "e-1",
    }
    two = {**one, "timestamp": at(1)}
    outcomes = record_events(alice, [one, two])
    assert [o.status for o in outcomes] == ["created", "duplicate"]
    assert outcomes[1].id == outcomes[0].id


def test_an_older_event_is_stored_but_does_not_move_the_tracker(alice, tracker):
    t = tracker(imei="990000862471854")
    record_events(alice, [position("990000862471854", 10, 2, 2)])
    record_events(alice, [position("990000862471854", 5, 3, 3)])
    t.refresh_from_db()
    assert (t.latitude, t.longitude) == (2, 2)
    assert t.last_event_timestamp == T0 + timedelta(minutes=10)
    assert TrackerEvent.objects.count() == 2


def test_fault_follows_fault_and_fault_cleared_events(alice, tracker):
    t = tracker(imei="990000862471854")
    record_events(alice, [{"imei": "990000862471854", "type": "fault", "timestamp": at(0)}])
    t.refresh_from_db()
    assert t.fault is True
    t.device.refresh_from_db()
    assert t.device.fault is True
    record_events(alice, [{"imei": "990000862471854", "type": "fault_cleared", "timestamp": at(1)}])
    t.refresh_from_db()
    assert t.fault is False


def test_every_bad_item_is_reported_with_its_fields(alice, tracker):
    tracker(imei="990000862471854")
    outcomes = record_events(
        alice,
        [
            {"imei": "990000862471854", "type": "teleport", "timestamp": "yesterday"},
            {"imei": "990000862471854", "type": "position", "timestamp": at(0), "latitude": 91},
            {"imei": "990000862471854", "type": "temperature", "timestamp": at(0)},
            {"imei": "111111111111111", "type": "heartbeat", "timestamp": at(0)},
            {"imei": "990000862471854", "type": "shock", "timestamp": at(0), "shock": 500},
            {"imei": "990000862471854", "type": "heartbeat", "timestamp": at(0), "latitude": 1},
            "not an object",
        ],
    )
    assert [o.status for o in outcomes] == ["error"] * 7
    assert set(outcomes[0].errors) == {"type", "timestamp"}
    assert "latitude" in outcomes[1].errors
    assert outcomes[2].errors == {"temperature": "is required for a temperature event"}
    assert outcomes[3].errors == {"imei": "unknown tracker"}
    assert "0-200 g" in outcomes[4].errors["shock"]
    assert outcomes[5].errors == {"longitude": "is required with latitude"}
    assert outcomes[6].errors == {"item": "must be a JSON object"}


def test_another_companys_tracker_is_unknown(charlie, alice, tracker):
    tracker(imei="990000862471854")
    [outcome] = record_events(charlie, [position("990000862471854", 0, 1, 1)])
    assert outcome.errors == {"imei": "unknown tracker"}


def test_entering_and_leaving_a_geo_group_produces_events(alice, tracker):
    t = tracker(imei="990000862471854")
    yard = create_geogroup(alice, name="Yard", boundary=square(0, 0, 10, 10))
    record_events(alice, [position("990000862471854", 0, 20, 20)])
    assert not GeoMembership.objects.exists()
    record_events(
        alice, [position("990000862471854", 1, 5, 5), position("990000862471854", 2, 6, 6)]
    )
    assert list(GeoMembership.objects.values_list("tracker_id", "geogroup_id")) == [(t.pk, yard.pk)]
    record_events(alice, [position("990000862471854", 3, 15, 5)])
    assert not GeoMembership.objects.exists()
    crossings = list(
        TrackerEvent.objects.filter(geogroup=yard)
        .order_by("timestamp")
        .values_list("type", "timestamp")
    )
    assert crossings == [
        (EventType.GEOGROUP_ENTER, T0 + timedelta(minutes=1)),
        (EventType.GEOGROUP_LEAVE, T0 + timedelta(minutes=3)),
    ]


def test_a_batch_that_passes_through_a_geo_group_enters_and_leaves_it(alice, tracker):
    tracker(imei="990000862471854")
    yard = create_geogroup(alice, name="Yard", boundary=square(0, 0, 10, 10))
    record_events(
        alice,
        [
            position("990000862471854", 2, 20, 20),
            position("990000862471854", 1, 5, 5),
            position("990000862471854", 0, -5, -5),
        ],
    )
    types = list(
        TrackerEvent.objects.filter(geogroup=yard)
        .order_by("timestamp", "type")
        .values_list("type", flat=True)
    )
    assert types == [EventType.GEOGROUP_ENTER, EventType.GEOGROUP_LEAVE]
    assert not GeoMembership.objects.exists()


def test_entering_the_hole_of_a_geo_group_is_leaving_it(alice, tracker):
    tracker(imei="990000862471854")
    ring = create_geogroup(
        alice, name="Ring", boundary=square(0, 0, 10, 10, [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]])
    )
    record_events(alice, [position("990000862471854", 0, 2, 2)])
    assert GeoMembership.objects.filter(geogroup=ring).count() == 1
    record_events(alice, [position("990000862471854", 1, 5, 5)])
    assert not GeoMembership.objects.exists()
    assert TrackerEvent.objects.filter(type=EventType.GEOGROUP_LEAVE, geogroup=ring).count() == 1


def test_crossing_the_antimeridian_inside_a_geo_group_stays_inside(alice, tracker):
    tracker(imei="990000862471854")
    pacific = create_geogroup(
        alice,
        name="Pacific",
        boundary={
            "type": "Polygon",
            "coordinates": [[[170, -10], [-170, -10], [-170, 10], [170, 10], [170, -10]]],
        },
    )
    record_events(alice, [position("990000862471854", 0, 0, 179.5)])
    record_events(alice, [position("990000862471854", 1, 0, -179.5)])
    assert GeoMembership.objects.filter(geogroup=pacific).count() == 1
    assert list(TrackerEvent.objects.filter(geogroup=pacific).values_list("type", flat=True)) == [
        EventType.GEOGROUP_ENTER
    ]


def test_a_geo_group_drawn_or_moved_updates_membership_without_events(alice, tracker):
    t = tracker(imei="990000862471854")
    record_events(alice, [position("990000862471854", 0, 5, 5)])
    yard = create_geogroup(alice, name="Yard", boundary=square(0, 0, 10, 10))
    assert GeoMembership.objects.filter(geogroup=yard, tracker=t).exists()
    update_geogroup(yard, boundary=square(20, 20, 30, 30))
    assert not GeoMembership.objects.exists()
    assert not TrackerEvent.objects.filter(geogroup=yard).exists()


def test_trackers_are_created_for_devices_added_later(alice, add_device):
    from pulsebridge.tracking.services import ensure_trackers

    add_device(alice, "PING-TRACKER", imei="990000862471854")
    add_device(alice, "PY-802-LTE")
    assert ensure_trackers(alice) == 1
    add_device(alice, "PING-TRACKER", imei="990000862471855")
    assert ensure_trackers(alice) == 1
    assert ensure_trackers(alice) == 0
    assert Tracker.objects.count() == 2


def test_a_device_the_sync_missed_gets_its_tracker_at_its_first_event(alice, add_device):
    from django.utils import timezone

    from pulsebridge.devices.models import Device
    from pulsebridge.tracking.services import ensure_trackers

    add_device(alice, "PING-TRACKER", imei="990000862471855")
    assert ensure_trackers(alice) == 1
    # A device whose transaction committed long after it was stamped: older than the newest
    # tracker by more than the margin, so the list-time sync does not look for it.
    late = add_device(alice, "PING-TRACKER", imei="990000862471854")
    Device.objects.filter(pk=late.pk).update(created_at=timezone.now() - timedelta(days=1))
    assert ensure_trackers(alice) == 0
    [outcome] = record_events(alice, [position("990000862471854", 0, 1, 1)])
    assert outcome.status == "created"
    assert Tracker.objects.get(device=late).latitude == 1
