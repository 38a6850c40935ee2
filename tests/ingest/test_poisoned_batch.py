"""One bad item never sinks a batch (issue 16 §1): whatever JSON value an item holds where a
field wants something else, the other items are stored and the answer is 207 with every
item's outcome. The bad item is sent as raw JSON text: a lone surrogate, ``1e400``, ``NaN`` or a
400-digit integer has no other way in."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from pulsebridge.readings.models import Measurement
from pulsebridge.tracking.models import TrackerEvent

pytestmark = pytest.mark.django_db

START = datetime(2026, 10, 1, tzinfo=UTC)
HUGE = "1" + "0" * 399


def _post(client, key, path, good: list[dict], bad_raw: str):
    text = json.dumps(good)[:-1] + ", " + bad_raw + "]"
    return client.post(path, text, content_type="application/json", HTTP_X_API_KEY=key)


def _bp(imei, minute: int, **changes) -> dict:
    item = {
        "imei": imei,
        "kind": "blood_pressure",
        "measured_at": (START + timedelta(minutes=minute)).isoformat(),
        "values": {"systolic": 129, "diastolic": 84, "pulse": 62},
    }
    item.update(changes)
    return item


def _raw(item: dict, **raw_fields: str) -> str:
    """``item`` as JSON text with ``raw_fields`` spliced in as JSON text, as sent."""
    text = json.dumps({k: v for k, v in item.items() if k not in raw_fields})[:-1]
    return text + "".join(f', "{name}": {raw}' for name, raw in raw_fields.items()) + "}"


READING_POISONS = {
    "kind as an array": {"kind": '["x"]'},
    "kind as an object": {"kind": '{"a": 1}'},
    "a lone surrogate imei": {"imei": '"\\ud800"'},
    "a lone surrogate device_user": {"device_user": '"x\\udc00"'},
    "a 400-digit systolic": {"values": f'{{"systolic": {HUGE}, "diastolic": 84}}'},
    "a systolic of 1e400": {"values": '{"systolic": 1e400, "diastolic": 84}'},
    "a NaN battery": {"battery": "NaN"},
    "a NUL in the timestamp": {"measured_at": '"2026-10-01T08:00:00\\u0000Z"'},
    "values as an array": {"values": "[129, 84]"},
    "an id as an object": {"id": '{"a": 1}'},
}


def test_999_good_readings_are_stored_beside_one_poisoned_item(client, alice, make_key, add_device):
    device = add_device(alice)
    good = [_bp(device.imei, m) for m in range(999)]
    bad = _raw(_bp(device.imei, 5000), kind='{"a": 1}')
    response = _post(client, make_key(alice, "ingest"), "/ingest/v1/measurements", good, bad)
    assert response.status_code == 207, response.content
    body = response.json()
    assert (body["created"], body["errors"]) == (999, 1)
    assert body["results"][999] == {
        "index": 999,
        "status": "error",
        "errors": {"kind": "must be one of " + ", ".join(_kinds())},
    }
    assert Measurement.objects.filter(device=device).count() == 999


def _kinds():
    from pulsebridge.readings.validation import KINDS

    return KINDS


@pytest.mark.parametrize("poison", READING_POISONS)
def test_a_poisoned_reading_is_its_own_error(client, alice, make_key, add_device, poison):
    device = add_device(alice)
    good = [_bp(device.imei, m) for m in range(3)]
    bad = _raw(_bp(device.imei, 100), **READING_POISONS[poison])
    response = _post(client, make_key(alice, "ingest"), "/ingest/v1/measurements", good, bad)
    assert response.status_code == 207, response.content
    body = response.json()
    assert [r["status"] for r in body["results"]] == ["created"] * 3 + ["error"]
    [name] = READING_POISONS[poison]
    named = body["results"][3]["errors"]
    assert any(field == name or field.startswith(f"{name}.") for field in named), named
    assert Measurement.objects.filter(device=device).count() == 3


EVENT_POISONS = {
    "type as an array": {"type": '["position"]'},
    "type as an object": {"type": '{"a": 1}'},
    "a lone surrogate imei": {"imei": '"\\ud800"'},
    "a latitude of 1e400": {"latitude": "1e400"},
    "a 400-digit latitude": {"latitude": HUGE},
    "a lone surrogate id": {"id": '"\\udfff"'},
}


@pytest.mark.parametrize("poison", EVENT_POISONS)
def test_a_poisoned_tracker_event_is_its_own_error(client, alice, make_key, add_device, poison):
    from pulsebridge.tracking.services import ensure_trackers

    imei = "990000862471854"
    add_device(alice, "PING-TRACKER", imei=imei)
    ensure_trackers(alice)

    def event(minute):
        at = (START + timedelta(minutes=minute)).isoformat()
        return {"imei": imei, "type": "position", "timestamp": at, "latitude": 1, "longitude": 2}

    good = [event(m) for m in range(3)]
    bad = _raw(event(100), **EVENT_POISONS[poison])
    response = _post(client, make_key(alice, "ingest"), "/ingest/v1/events", good, bad)
    assert response.status_code == 207, response.content
    body = response.json()
    assert [r["status"] for r in body["results"]] == ["created"] * 3 + ["error"]
    [name] = EVENT_POISONS[poison]
    assert name in body["results"][3]["errors"], body["results"][3]
    assert TrackerEvent.objects.count() == 3
