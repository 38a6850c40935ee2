"""1.0/geogroups/: named GeoJSON areas, validated."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

BASE = "/1.0/geogroups/"
SQUARE = {"type": "Polygon", "coordinates": [[[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]]}


def test_a_geo_group_is_created_read_changed_and_deleted(ping, alice):
    response = ping.post(BASE, {"name": "Yard", "boundary": SQUARE})
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"id", "name", "boundary", "created_at", "modified_at", "customer"}
    assert body["boundary"] == SQUARE
    assert ping.get(f"{BASE}{body['id']}/").json()["name"] == "Yard"
    multi = {"type": "MultiPolygon", "coordinates": [SQUARE["coordinates"]]}
    assert ping.patch(f"{BASE}{body['id']}/", {"boundary": multi}).json()["boundary"] == multi
    assert (
        ping.put(f"{BASE}{body['id']}/", {"name": "Depot", "boundary": SQUARE}).json()["name"]
        == "Depot"
    )
    assert ping.delete(f"{BASE}{body['id']}/").status_code == 204
    assert ping.get(f"{BASE}{body['id']}/").status_code == 404


def test_moving_a_boundary_moves_who_is_inside(ping, tracker, post_events):
    t = tracker()
    post_events(
        {
            "imei": t.device.imei,
            "type": "position",
            "timestamp": "2026-01-05T12:00:00Z",
            "latitude": 5,
            "longitude": 5,
        }
    )
    geogroup = ping.post(BASE, {"name": "Yard", "boundary": SQUARE}).json()["id"]
    inside = {"geogroup_inside": geogroup}
    assert [d["id"] for d in ping.get("/1.0/devices/devices/", inside).json()["results"]] == [t.pk]
    far = {"type": "Polygon", "coordinates": [[[50, 50], [60, 50], [60, 60], [50, 60], [50, 50]]]}
    ping.patch(f"{BASE}{geogroup}/", {"boundary": far})
    assert ping.get("/1.0/devices/devices/", inside).json()["count"] == 0


@pytest.mark.parametrize(
    ("boundary", "words"),
    [
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}, "not closed"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [181, 0], [1, 1], [0, 0]]]}, "longitude 181"),
        ({"type": "LineString", "coordinates": [[0, 0], [1, 1]]}, "Polygon"),
        ("POLYGON((0 0, 1 0, 1 1, 0 0))", "GeoJSON"),
    ],
)
def test_an_invalid_boundary_is_a_400_that_says_where(ping, boundary, words):
    response = ping.post(BASE, {"name": "Bad", "boundary": boundary})
    assert response.status_code == 400
    [message] = response.json()["boundary"]
    assert words in message


def test_name_and_boundary_are_required(ping):
    response = ping.post(BASE, {})
    assert response.status_code == 400
    assert set(response.json()) == {"name", "boundary"}


def test_geo_groups_are_filtered_searched_and_ordered(ping):
    for name in ("Yard", "Depot", "Port"):
        ping.post(BASE, {"name": name, "boundary": SQUARE})
    assert [g["name"] for g in ping.get(BASE, {"ordering": "-name"}).json()["results"]] == [
        "Yard",
        "Port",
        "Depot",
    ]
    assert [
        g["name"]
        for g in ping.get(BASE, {"name": "Port,Yard", "ordering": "name"}).json()["results"]
    ] == ["Port", "Yard"]
    assert [g["name"] for g in ping.get(BASE, {"search": "epo"}).json()["results"]] == ["Depot"]


def test_charlies_customer_sees_no_geo_group(ping, charlie_ping):
    geogroup = ping.post(BASE, {"name": "Yard", "boundary": SQUARE}).json()["id"]
    assert charlie_ping.get(BASE).json()["count"] == 0
    assert charlie_ping.get(f"{BASE}{geogroup}/").status_code == 404
    assert charlie_ping.delete(f"{BASE}{geogroup}/").status_code == 404
    response = charlie_ping.get("/1.0/devices/devices/", {"geogroup_inside": geogroup})
    assert response.status_code == 400
