"""POST /ingest/v1/events: trackers posting through the ingest API with an ingest key."""

from __future__ import annotations

import json

import pytest

from pulsebridge.tracking.models import TrackerEvent

pytestmark = pytest.mark.django_db


def post(client, key, body):
    return client.post(
        "/ingest/v1/events", json.dumps(body), content_type="application/json", HTTP_X_API_KEY=key
    )


@pytest.fixture
def key(alice, make_key):
    return make_key(alice, "ingest")


def test_one_event_is_stored(client, key, tracker):
    t = tracker(imei="990000862471854")
    response = post(
        client,
        key,
        {
            "imei": "990000862471854",
            "type": "position",
            "timestamp": "2026-01-05T12:00:00Z",
            "latitude": 1.5,
            "longitude": 2.5,
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["duplicates"], body["errors"]) == (1, 0, 0)
    [result] = body["results"]
    assert result["status"] == "created"
    assert TrackerEvent.objects.get(pk=result["id"]).tracker == t


def test_a_batch_with_some_bad_items_is_a_207_listing_each(client, key, tracker):
    tracker(imei="990000862471854")
    good = {"imei": "990000862471854", "type": "heartbeat", "timestamp": "2026-01-05T12:00:00Z"}
    response = post(client, key, [good, {"imei": "990000862471854", "type": "nope"}, good])
    assert response.status_code == 207
    body = response.json()
    assert [r["status"] for r in body["results"]] == ["created", "error", "duplicate"]
    assert body["results"][1]["errors"]["type"].startswith("must be one of")
    assert body["results"][2]["id"] == body["results"][0]["id"]


def test_a_batch_of_only_bad_items_is_a_400(client, key, tracker):
    response = post(
        client, key, [{"imei": "1", "type": "heartbeat", "timestamp": "2026-01-05T12:00:00Z"}]
    )
    assert response.status_code == 400
    assert response.json()["results"][0]["errors"] == {"imei": "unknown tracker"}


def test_sending_the_batch_again_creates_nothing(client, key, tracker):
    tracker(imei="990000862471854")
    batch = [
        {
            "imei": "990000862471854",
            "type": "battery",
            "timestamp": f"2026-01-05T12:0{i}:00Z",
            "battery": 90 - i,
        }
        for i in range(5)
    ]
    assert post(client, key, batch).json()["created"] == 5
    again = post(client, key, batch).json()
    assert (again["created"], again["duplicates"]) == (0, 5)
    assert TrackerEvent.objects.count() == 5


def test_an_empty_or_oversized_batch_is_refused(client, key):
    assert post(client, key, []).status_code == 400
    response = post(client, key, [{}] * 1001)
    assert response.status_code == 400
    assert "1001" in response.json()["errors"]["body"][0]


def test_without_a_key_it_is_401(client):
    response = client.post("/ingest/v1/events", "{}", content_type="application/json")
    assert response.status_code == 401
    assert "message" in response.json()


@pytest.mark.parametrize("field", ["imei", "id"])
def test_a_nul_character_is_that_items_error_not_a_500(client, key, tracker, field):
    tracker(imei="990000862471854")
    good = {
        "imei": "990000862471854",
        "type": "position",
        "timestamp": "2026-01-05T12:00:00Z",
        "latitude": 1.5,
        "longitude": 2.5,
    }
    bad = {**good, "timestamp": "2026-01-05T12:01:00Z", field: "99000\x000862471854"}
    response = post(client, key, [good, bad])
    assert response.status_code == 207
    assert response.json()["results"][1]["errors"] == {
        field: "must not contain NUL (U+0000) characters"
    }
    assert TrackerEvent.objects.count() == 1
