"""1.0/devices/devices/: every filter of the document, checked against answers worked out by
hand, every ordering field, pages, and Charlie's customer seeing nothing."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

BASE = "/1.0/devices/devices/"
TIMES_SQUARE = (40.758970, -73.984479)
METRES_PER_DEGREE = 111_195.08  # along a meridian, R = 6,371,008.8 m


def ids(response):
    assert response.status_code == 200, response.content
    return sorted(d["id"] for d in response.json()["results"])


def place(post_events, t, lat, lon, minute=0):
    outcome = post_events(
        {
            "imei": t.device.imei,
            "type": "position",
            "timestamp": f"2026-01-05T12:{minute:02d}:00Z",
            "latitude": lat,
            "longitude": lon,
        }
    )
    assert outcome[0].status == "created", outcome


def test_a_device_answers_the_documented_fields(ping, tracker, post_events, alice):
    t = tracker(imei="990000862471854", mac="00:A0:C9:14:C8:29")
    place(post_events, t, *TIMES_SQUARE)
    body = ping.get(f"{BASE}{t.pk}/").json()
    assert body["id"] == t.pk
    assert body["imei"] == "990000862471854"
    assert body["mac"] == "00:A0:C9:14:C8:29"
    assert (body["latitude"], body["longitude"]) == TIMES_SQUARE
    assert body["fault"] is False
    assert body["last_event_timestamp"] == "2026-01-05T12:00:00Z"
    assert body["last_event_created_at"].endswith("Z")
    assert body["created_at"].endswith("Z")
    assert body["modified_at"].endswith("Z")
    assert body["customer_group_id"] is None
    assert body["configuration"]["id"] is None
    assert body["geogroups"] == []
    assert body["customer"]["name"] == "Alice Care"


def test_other_devices_are_not_trackers(ping, add_device, alice):
    add_device(alice, "PY-802-LTE")
    assert ping.get(BASE).json()["count"] == 0


def test_filters_by_imei_mac_search_and_fault(ping, tracker, post_events):
    a = tracker(imei="990000862471854", mac="00:A0:C9:14:C8:29")
    b = tracker(imei="990000862471855", mac="00:A0:C9:14:C8:30")
    post_events({"imei": b.device.imei, "type": "fault", "timestamp": "2026-01-05T12:00:00Z"})
    assert ids(ping.get(BASE, {"imei": "990000862471854"})) == [a.pk]
    assert ids(ping.get(BASE, {"mac": "00:a0:c9:14:c8:30"})) == [b.pk]
    assert ids(ping.get(BASE, {"search": "8624718"})) == [a.pk, b.pk]
    assert ids(ping.get(BASE, {"search": "C8:30"})) == [b.pk]
    assert ids(ping.get(BASE, {"fault": "true"})) == [b.pk]
    assert ids(ping.get(BASE, {"fault": "false"})) == [a.pk]


def test_filters_by_customer_group(ping, tracker):
    a, _ = tracker(), tracker()
    group = ping.post("/1.0/customers/groups/", {"name": "Fleet"}).json()
    assert ping.patch(f"{BASE}{a.pk}/", {"customer_group_id": group["id"]}).status_code == 200
    assert ids(ping.get(BASE, {"customer_group_id": group["id"]})) == [a.pk]
    assert (
        ping.patch(f"{BASE}{a.pk}/", {"customer_group_id": None}).json()["customer_group_id"]
        is None
    )


@pytest.fixture
def north_of_times_square(tracker, post_events):
    """Trackers due north of Times Square at 0, 3,335.85, 5,559.75 and 11,119.51 metres, and
    one that never reported a position."""
    lat, lon = TIMES_SQUARE
    made = {}
    for name, dlat in (("a", 0), ("b", 0.03), ("c", 0.05), ("d", 0.1)):
        made[name] = tracker()
        place(post_events, made[name], lat + dlat, lon)
    made["nowhere"] = tracker()
    return {k: v.pk for k, v in made.items()}


@pytest.mark.parametrize(
    ("radius", "expected"),
    [
        ({"radius__lte": 5000}, "ab"),
        ({"radius__lte": 5559}, "ab"),
        ({"radius__lte": 5560}, "abc"),
        ({"radius__gte": 10000}, "d"),
        ({"radius__gte": 5559}, "cd"),
        ({"radius__gte": 4000, "radius__lte": 6000}, "c"),
        ({"radius__lte": 0}, "a"),
    ],
)
def test_the_radius_filters_in_metres(ping, north_of_times_square, radius, expected):
    lat, lon = TIMES_SQUARE
    found = ids(ping.get(BASE, {"latitude": lat, "longitude": lon, **radius}))
    assert found == sorted(north_of_times_square[k] for k in expected)


def test_a_radius_without_both_coordinates_takes_no_effect(ping, north_of_times_square):
    assert len(ids(ping.get(BASE, {"latitude": 40.7, "radius__lte": 10}))) == 5


def test_a_radius_across_the_antimeridian(ping, tracker, post_events):
    east, west, far = tracker(), tracker(), tracker()
    place(post_events, east, 0, 179.99)  # 1,111.95 m from (0, 180)
    place(post_events, west, 0, -179.99)
    place(post_events, far, 0, 179.9)  # 11,119.5 m
    assert ids(ping.get(BASE, {"latitude": 0, "longitude": 180, "radius__lte": 2000})) == sorted(
        [east.pk, west.pk]
    )
    assert ids(
        ping.get(BASE, {"latitude": 0, "longitude": -179.995, "radius__lte": 2000})
    ) == sorted([east.pk, west.pk])
    assert ids(ping.get(BASE, {"latitude": 0, "longitude": 180, "radius__gte": 2000})) == [far.pk]


@pytest.fixture
def yard(ping, tracker, post_events):
    """A 10 x 10 degree square with a 2 x 2 hole; trackers inside, in the hole, far outside,
    and without a position."""
    boundary = {
        "type": "Polygon",
        "coordinates": [
            [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]],
            [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]],
        ],
    }
    made = {name: tracker() for name in ("inside", "hole", "far", "nowhere")}
    place(post_events, made["inside"], 2, 2)
    place(post_events, made["hole"], 5, 5)
    place(post_events, made["far"], 20, 20)
    geogroup = ping.post("/1.0/geogroups/", {"name": "Yard", "boundary": boundary}).json()
    return geogroup["id"], {k: v.pk for k, v in made.items()}


def test_geogroup_inside_and_outside_with_a_hole(ping, yard):
    geogroup, t = yard
    assert ids(ping.get(BASE, {"geogroup_inside": geogroup})) == [t["inside"]]
    assert ids(ping.get(BASE, {"geogroup_outside": geogroup})) == sorted([t["hole"], t["far"]])
    assert ping.get(f"{BASE}{t['inside']}/").json()["geogroups"] == [geogroup]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        # (2, 2) is 2 degrees of longitude at latitude 2 from the western edge: 222,254 m
        ({"geogroup_inside": 0, "geogroup_distance": 200_000}, ["inside"]),
        ({"geogroup_inside": 0, "geogroup_distance": 230_000}, []),
        # (5, 5) is 1 degree of longitude at latitude 5 from the hole's edge: 110,772 m
        ({"geogroup_outside": 0, "geogroup_distance": 100_000}, ["hole", "far"]),
        ({"geogroup_outside": 0, "geogroup_distance": 120_000}, ["far"]),
    ],
)
def test_geogroup_distance_keeps_devices_at_least_that_far_from_the_boundary(
    ping, yard, params, expected
):
    geogroup, t = yard
    params = {k: geogroup if v == 0 else v for k, v in params.items()}
    assert ids(ping.get(BASE, params)) == sorted(t[name] for name in expected)


def test_geogroup_inside_across_the_antimeridian(ping, tracker, post_events):
    east, west, home = tracker(), tracker(), tracker()
    place(post_events, east, 0, 179.5)
    place(post_events, west, 0, -179.5)
    place(post_events, home, 0, 0)
    boundary = {
        "type": "Polygon",
        "coordinates": [[[170, -10], [-170, -10], [-170, 10], [170, 10], [170, -10]]],
    }
    geogroup = ping.post("/1.0/geogroups/", {"name": "Pacific", "boundary": boundary}).json()["id"]
    assert ids(ping.get(BASE, {"geogroup_inside": geogroup})) == sorted([east.pk, west.pk])
    assert ids(ping.get(BASE, {"geogroup_outside": geogroup})) == [home.pk]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"latitude": 91, "longitude": 0, "radius__lte": 5}, "latitude"),
        ({"latitude": 0, "longitude": 0, "radius__lte": -5}, "radius__lte"),
        ({"geogroup_inside": 999999}, "geogroup_inside"),
        ({"geogroup_outside": "seven"}, "geogroup_outside"),
        ({"fault": "perhaps"}, "fault"),
    ],
)
def test_a_malformed_filter_is_a_400_naming_it(ping, params, field):
    response = ping.get(BASE, params)
    assert response.status_code == 400
    assert field in response.json()


def test_every_ordering_field(ping, tracker, post_events):
    a = tracker(imei="990000000000003", mac="00:00:00:00:00:01")
    b = tracker(imei="990000000000001", mac="00:00:00:00:00:03")
    c = tracker(imei="990000000000002", mac="00:00:00:00:00:02")
    place(post_events, b, 1, 1, minute=5)
    place(post_events, c, 1, 1, minute=1)

    def order(ordering):
        return [d["id"] for d in ping.get(BASE, {"ordering": ordering}).json()["results"]]

    assert order("imei") == [b.pk, c.pk, a.pk]
    assert order("-imei") == [a.pk, c.pk, b.pk]
    assert order("mac") == [a.pk, c.pk, b.pk]
    assert order("-last_event_timestamp") == [b.pk, c.pk, a.pk]  # never reported: last
    assert order("last_event_timestamp") == [c.pk, b.pk, a.pk]
    assert order("-last_event_created_at,-imei")[-1] == a.pk
    assert order("created_at") == [a.pk, b.pk, c.pk]
    assert order("-created_at") == [c.pk, b.pk, a.pk]
    assert order("modified_at")[0] == a.pk


def test_pages(ping, tracker):
    made = [tracker().pk for _ in range(5)]
    first = ping.get(BASE, {"page_size": 2}).json()
    assert (first["count"], first["num_pages"]) == (5, 3)
    third = ping.get(BASE, {"page_size": 2, "page": 3}).json()
    assert [d["id"] for d in first["results"] + third["results"]] == made[:2] + made[4:]
    assert ping.get(BASE, {"page": 9}).status_code == 404


def test_charlies_customer_sees_no_device(ping, charlie_ping, tracker):
    t = tracker()
    assert charlie_ping.get(BASE).json() == {"count": 0, "num_pages": 1, "results": []}
    assert charlie_ping.get(f"{BASE}{t.pk}/").status_code == 404
    assert charlie_ping.patch(f"{BASE}{t.pk}/", {"customer_group_id": None}).status_code == 404


def test_a_device_cannot_join_another_customers_group(ping, charlie_ping, tracker):
    t = tracker()
    theirs = charlie_ping.post("/1.0/customers/groups/", {"name": "Theirs"}).json()
    response = ping.patch(f"{BASE}{t.pk}/", {"customer_group_id": theirs["id"]})
    assert response.status_code == 400
    assert "customer_group_id" in response.json()


def test_a_nul_character_in_a_filter_is_a_400_not_a_500(ping, tracker):
    tracker(imei="990000862471854")
    response = ping.get(BASE, {"imei": "99000\x00"})
    assert response.status_code == 400
    assert response.json() == {"imei": ["Null characters are not allowed."]}


def test_an_unknown_ordering_field_is_a_400_naming_it(ping, tracker):
    tracker(imei="356000000000001")
    response = ping.get(BASE, {"ordering": "-colour,imei"})
    assert response.status_code == 400
    message = response.json()["ordering"][0]
    assert "colour" in message
    assert "imei" in message  # the valid fields are listed


def test_a_patch_of_a_read_only_field_is_a_400_naming_it(ping, tracker):
    t = tracker(imei="356000000000001")
    response = ping.patch(f"{BASE}{t.pk}/", {"imei": "356000000000999"})
    assert response.status_code == 400
    assert list(response.json()) == ["imei"]
    t.device.refresh_from_db()
    assert t.device.imei == "356000000000001"


def test_a_put_that_writes_back_what_it_read_is_accepted(ping, tracker):
    t = tracker(imei="356000000000001")
    device = ping.get(f"{BASE}{t.pk}/").json()
    response = ping.put(f"{BASE}{t.pk}/", device)
    assert response.status_code == 200, response.json()
