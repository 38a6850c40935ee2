"""Distances, boxes and polygons checked against answers worked out by hand."""

from __future__ import annotations

import math

import pytest

from pulsebridge.tracking.geo import (
    METRES_PER_DEGREE,
    GeoError,
    haversine_m,
    parse_boundary,
    radius_box,
)

SQUARE_WITH_HOLE = {
    "type": "Polygon",
    "coordinates": [
        [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]],
        [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]],
    ],
}
# 20 degrees of longitude astride the antimeridian, drawn the way map clients draw it.
ACROSS_ANTIMERIDIAN = {
    "type": "Polygon",
    "coordinates": [[[170, -10], [-170, -10], [-170, 10], [170, 10], [170, -10]]],
}


def test_one_degree_along_a_meridian_is_111195_metres():
    assert haversine_m(0, 0, 1, 0) == pytest.approx(111_195.08, abs=0.01)
    assert round(METRES_PER_DEGREE, 2) == 111_195.08


def test_the_distance_across_the_antimeridian_is_the_short_way_round():
    assert haversine_m(0, 179.5, 0, -179.5) == pytest.approx(111_195.08, abs=0.01)


def test_a_quarter_of_the_equator_is_a_quarter_of_the_circumference():
    assert haversine_m(0, 0, 0, 90) == pytest.approx(math.pi * 6_371_008.8 / 2, rel=1e-12)


def test_a_radius_box_spans_the_radius_in_latitude():
    box = radius_box(40.0, -74.0, 111_195.08)
    assert box.min_lat == pytest.approx(39.0, abs=1e-6)
    assert box.max_lat == pytest.approx(41.0, abs=1e-6)
    ((low, high),) = box.lon_ranges
    # at 40 degrees a degree of longitude is cos(40) as long: the box is about 1/cos(40) wide
    assert high - (-74.0) == pytest.approx(1 / math.cos(math.radians(40)), rel=0.01)
    assert low == pytest.approx(-74.0 - (high + 74.0), abs=1e-9)


def test_a_radius_box_near_the_antimeridian_is_two_longitude_ranges():
    box = radius_box(0.0, 179.9, 50_000)
    assert len(box.lon_ranges) == 2
    (a_low, a_high), (b_low, b_high) = box.lon_ranges
    assert a_high == 180.0
    assert b_low == -180.0
    assert a_low == pytest.approx(179.9 - 0.4497, abs=1e-3)
    assert b_high == pytest.approx(179.9 + 0.4497 - 360, abs=1e-3)


def test_a_radius_box_at_a_pole_takes_every_longitude():
    assert radius_box(89.9, 0, 50_000).lon_ranges is None


def test_a_polygon_with_a_hole_contains_the_ring_but_not_the_hole():
    shape = parse_boundary(SQUARE_WITH_HOLE)
    assert shape.contains(2, 2)
    assert shape.contains(8, 5)
    assert not shape.contains(5, 5)  # in the hole
    assert not shape.contains(5, 11)  # north of it
    assert not shape.contains(-1, 5)


def test_a_polygon_across_the_antimeridian_covers_both_sides_of_it():
    shape = parse_boundary(ACROSS_ANTIMERIDIAN)
    assert shape.contains(0, 175)
    assert shape.contains(0, -175)
    assert shape.contains(5, 180)
    assert shape.contains(5, -180)
    assert not shape.contains(0, 0)
    assert not shape.contains(0, 165)
    assert not shape.contains(0, -165)
    assert shape.max_lon == 190
    assert shape.min_lon == 170


def test_a_ring_drawn_from_the_western_side_is_the_same_area():
    shape = parse_boundary(
        {
            "type": "Polygon",
            "coordinates": [[[-170, -10], [-170, 10], [170, 10], [170, -10], [-170, -10]]],
        }
    )
    assert shape.contains(0, 179)
    assert shape.contains(0, -179)
    assert not shape.contains(0, 0)


def test_a_multipolygon_split_at_the_antimeridian_as_rfc_7946_asks():
    shape = parse_boundary(
        {
            "type": "MultiPolygon",
            "coordinates": [
                [[[170, -10], [180, -10], [180, 10], [170, 10], [170, -10]]],
                [[[-180, -10], [-170, -10], [-170, 10], [-180, 10], [-180, -10]]],
            ],
        }
    )
    assert shape.contains(0, 175)
    assert shape.contains(0, -175)
    assert not shape.contains(0, 0)


def test_the_distance_to_the_boundary_from_outside():
    shape = parse_boundary(
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
    )
    # 0.1 degree east of the eastern edge at latitude 0.5: 0.1 * 111195 * cos(0.5 degrees)
    expected = 0.1 * METRES_PER_DEGREE * math.cos(math.radians(0.5))
    assert shape.boundary_distance_m(0.5, 1.1) == pytest.approx(expected, rel=1e-9)
    assert shape.distance_m(0.5, 1.1) == pytest.approx(expected, rel=1e-9)
    assert shape.distance_m(0.5, 0.5) == 0
    # from the centre, the nearest edge is half a degree away (north and south edges)
    assert shape.boundary_distance_m(0.5, 0.5) == pytest.approx(
        0.5 * METRES_PER_DEGREE * math.cos(math.radians(0.5)), rel=1e-6
    )


def test_the_distance_to_a_boundary_across_the_antimeridian():
    shape = parse_boundary(ACROSS_ANTIMERIDIAN)
    # one degree west of the 170 E edge, on the equator
    assert shape.boundary_distance_m(0, 169) == pytest.approx(METRES_PER_DEGREE, rel=1e-9)
    # one degree east of the 170 W edge
    assert shape.boundary_distance_m(0, -169) == pytest.approx(METRES_PER_DEGREE, rel=1e-9)


@pytest.mark.parametrize(
    ("boundary", "message"),
    [
        ({"type": "Point", "coordinates": [0, 0]}, "type"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}, "not closed"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]}, "at least 4"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [200, 0], [1, 1], [0, 0]]]}, "longitude 200"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 95], [1, 1], [0, 0]]]}, "latitude 95"),
        ({"type": "Polygon", "coordinates": [[[0, 0], ["1", 0], [1, 1], [0, 0]]]}, "number"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [2, 0], [0, 0]]]}, "no area"),
        ({"type": "Polygon", "coordinates": []}, "list of linear rings"),
        ({"type": "MultiPolygon", "coordinates": []}, "non-empty"),
        (
            {
                "type": "Polygon",
                "coordinates": [
                    [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]],
                    [[5, 5], [6, 5], [6, 6], [5, 6], [5, 5]],
                ],
            },
            "hole lies outside",
        ),
        (
            {
                "type": "Polygon",
                "coordinates": [[[0, 80], [120, 80], [-120, 80], [0, 80]]],
            },
            "circles a pole",
        ),
        ("not an object", "GeoJSON"),
    ],
)
def test_an_invalid_boundary_is_refused_with_the_place_named(boundary, message):
    with pytest.raises(GeoError, match=message):
        parse_boundary(boundary)
