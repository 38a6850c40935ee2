"""1.0/events/: what trackers reported, with filters and ordering."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

BASE = "/1.0/events/"


@pytest.fixture
def history(tracker, post_events):
    a = tracker(imei="990000862471854")
    b = tracker(imei="990000862471855")
    post_events(
        {
            "imei": a.device.imei,
            "type": "position",
            "timestamp": "2026-01-05T12:00:00Z",
            "latitude": 40.75897,
            "longitude": -73.984479,
            "accuracy": 8,
        },
        {
            "imei": a.device.imei,
            "type": "temperature",
            "timestamp": "2026-01-05T12:05:00Z",
            "temperature": 4.5,
        },
        {"imei": b.device.imei, "type": "shock", "timestamp": "2026-01-05T12:10:00Z", "shock": 6.2},
        {
            "imei": b.device.imei,
            "type": "battery",
            "timestamp": "2026-01-05T12:15:00Z",
            "battery": 55,
            "latitude": 51.5,
            "longitude": -0.12,
        },
    )
    return a, b


def types(response):
    assert response.status_code == 200, response.content
    return [e["type"] for e in response.json()["results"]]


def test_events_are_listed_newest_first_with_their_fields(ping, history):
    a, _ = history
    body = ping.get(BASE).json()
    assert body["count"] == 4
    assert [e["type"] for e in body["results"]] == ["battery", "shock", "temperature", "position"]
    position = body["results"][-1]
    assert position == {
        "id": position["id"],
        "device": a.pk,
        "imei": "990000862471854",
        "type": "position",
        "timestamp": "2026-01-05T12:00:00Z",
        "created_at": position["created_at"],
        "latitude": 40.75897,
        "longitude": -73.984479,
        "accuracy": 8.0,
        "temperature": None,
        "shock": None,
        "battery": None,
        "geogroup": None,
    }
    assert ping.get(f"{BASE}{position['id']}/").json() == position


def test_events_are_filtered(ping, history):
    a, b = history
    assert types(ping.get(BASE, {"device": a.pk})) == ["temperature", "position"]
    assert types(ping.get(BASE, {"imei": b.device.imei})) == ["battery", "shock"]
    assert types(ping.get(BASE, {"type": "shock,temperature"})) == ["shock", "temperature"]
    assert types(
        ping.get(
            BASE,
            {"timestamp__gte": "2026-01-05T12:05:00Z", "timestamp__lte": "2026-01-05T12:10:00Z"},
        )
    ) == ["shock", "temperature"]
    assert len(types(ping.get(BASE, {"created_at__gte": "2026-01-01T00:00:00Z"}))) == 4
    near = {"latitude": 40.758970, "longitude": -73.984479, "radius__lte": 100}
    assert types(ping.get(BASE, near)) == ["position"]
    far = {"latitude": 40.758970, "longitude": -73.984479, "radius__gte": 100}
    assert types(ping.get(BASE, far)) == ["battery"]


def test_events_are_ordered(ping, history):
    assert types(ping.get(BASE, {"ordering": "timestamp"})) == [
        "position",
        "temperature",
        "shock",
        "battery",
    ]
    assert types(ping.get(BASE, {"ordering": "-id"})) == [
        "battery",
        "shock",
        "temperature",
        "position",
    ]


def test_an_unknown_event_type_is_a_400(ping, history):
    response = ping.get(BASE, {"type": "position,teleport"})
    assert response.status_code == 400
    assert "teleport" in response.json()["type"][0]


def test_geo_group_crossings_are_events_of_that_geo_group(ping, tracker, post_events):
    t = tracker()
    square = {"type": "Polygon", "coordinates": [[[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]]}
    geogroup = ping.post("/1.0/geogroups/", {"name": "Yard", "boundary": square}).json()["id"]
    post_events(
        {
            "imei": t.device.imei,
            "type": "position",
            "timestamp": "2026-01-05T12:00:00Z",
            "latitude": 5,
            "longitude": 5,
        },
        {
            "imei": t.device.imei,
            "type": "position",
            "timestamp": "2026-01-05T13:00:00Z",
            "latitude": 50,
            "longitude": 5,
        },
    )
    crossings = ping.get(BASE, {"geogroup": geogroup, "ordering": "timestamp"}).json()["results"]
    assert [(e["type"], e["timestamp"]) for e in crossings] == [
        ("geogroup_enter", "2026-01-05T12:00:00Z"),
        ("geogroup_leave", "2026-01-05T13:00:00Z"),
    ]


def test_charlies_customer_sees_no_event(ping, charlie_ping, history):
    event = ping.get(BASE).json()["results"][0]
    assert charlie_ping.get(BASE).json()["count"] == 0
    assert charlie_ping.get(f"{BASE}{event['id']}/").status_code == 404
