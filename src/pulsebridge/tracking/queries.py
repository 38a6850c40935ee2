"""Geographic filters over anything with ``latitude``/``longitude`` columns (trackers, events).

Every filter first narrows to a bounding box on the indexed columns; the exact test then runs
on those candidates only: in SQL for circles (the haversine formula with functions both SQLite
and PostgreSQL have), in Python for polygons. Geo group membership itself is precomputed
(``GeoMembership``), so "inside" is an indexed semi-join."""

from __future__ import annotations

import math

from django.db import connection
from django.db.models import BooleanField, F, FloatField, Func, Q, QuerySet, Subquery, Value
from django.db.models.functions import Cos, Least, Power, Radians, Sin

from .geo import EARTH_RADIUS_M, Box, Shape, radius_box
from .models import GeoGroup, GeoMembership


def box_q(box: Box) -> Q:
    q = Q(latitude__gte=box.min_lat, latitude__lte=box.max_lat)
    if box.lon_ranges is not None:
        lon = Q()
        for low, high in box.lon_ranges:
            lon |= Q(longitude__gte=low, longitude__lte=high)
        q &= lon
    return q


def _haversine_a(lat: float, lon: float):
    """The haversine term ``a`` of each row against a point: distance = 2R asin(sqrt(a))."""
    phi0, lmb0 = math.radians(lat), math.radians(lon)
    f = FloatField()
    return Least(
        Power(Sin((Radians(F("latitude")) - Value(phi0, output_field=f)) / 2), 2)
        + Value(math.cos(phi0), output_field=f)
        * Cos(Radians(F("latitude")))
        * Power(Sin((Radians(F("longitude")) - Value(lmb0, output_field=f)) / 2), 2),
        Value(1.0, output_field=f),
    )


def _threshold(radius_m: float) -> float | None:
    """The ``a`` of a distance, or None when the radius reaches round the whole Earth."""
    half_angle = radius_m / (2 * EARTH_RADIUS_M)
    if half_angle >= math.pi / 2:
        return None
    return math.sin(half_angle) ** 2


def within_radius(qs: QuerySet, lat: float, lon: float, radius_m: float) -> QuerySet:
    """Rows whose position is at most ``radius_m`` metres from the point."""
    qs = qs.filter(latitude__isnull=False, longitude__isnull=False)
    limit = _threshold(radius_m)
    if limit is None:
        return qs
    return (
        qs.filter(box_q(radius_box(lat, lon, radius_m)))
        .alias(_hav=_haversine_a(lat, lon))
        .filter(_hav__lte=limit)
    )


def beyond_radius(qs: QuerySet, lat: float, lon: float, radius_m: float) -> QuerySet:
    """Rows whose position is at least ``radius_m`` metres from the point."""
    qs = qs.filter(latitude__isnull=False, longitude__isnull=False)
    limit = _threshold(radius_m)
    if limit is None:
        return qs.none() if radius_m > math.pi * EARTH_RADIUS_M else qs
    # Everything outside the box is farther than the radius; only rows inside need the formula.
    return qs.alias(_hav=_haversine_a(lat, lon)).filter(
        ~box_q(radius_box(lat, lon, radius_m)) | Q(_hav__gte=limit)
    )


class _IdInArray(Func):
    """PostgreSQL ``id = ANY(ARRAY(subquery))``: the members are read once (an InitPlan) and
    looked up by primary key, so the cost follows the geo group's size, not the fleet's. With
    ``IN (subquery)`` the planner often hashes the members and scans every tracker."""

    template = "%(expressions)s)"
    arg_joiner = " = ANY(ARRAY"
    output_field = BooleanField()


# Up to this many members, looking each one up beats reading the whole fleet; past it, the
# planner's hash join over the company's trackers does (measured by bench/ping.py).
PROBE_LIMIT = 5000


def _in_geogroup_q(geogroup: GeoGroup):
    members = GeoMembership.objects.filter(geogroup=geogroup)
    if connection.vendor == "postgresql" and members.count() <= PROBE_LIMIT:
        return _IdInArray(F("pk"), Subquery(members.values("tracker_id")))
    return Q(pk__in=members.values("tracker_id"))


def _near_boundary_ids(qs: QuerySet, geogroup: GeoGroup, shape: Shape, distance_m: float):
    """Ids of rows less than ``distance_m`` from the boundary (on either side)."""
    candidates = qs.filter(
        box_q(shape.box(distance_m)), latitude__isnull=False, longitude__isnull=False
    ).values_list("pk", "latitude", "longitude")
    return [
        pk
        for pk, lat, lon in candidates.iterator(chunk_size=5000)
        if shape.boundary_distance_m(lat, lon) < distance_m
    ]


def inside_geogroup(
    qs: QuerySet, geogroup: GeoGroup, shape: Shape | None = None, distance_m: float = 0
) -> QuerySet:
    """Trackers inside the geo group; with a distance, only those at least that far in from
    its boundary."""
    qs = qs.filter(_in_geogroup_q(geogroup))
    if distance_m > 0 and shape is not None:
        qs = qs.exclude(pk__in=_near_boundary_ids(qs, geogroup, shape, distance_m))
    return qs


def outside_geogroup(
    qs: QuerySet, geogroup: GeoGroup, shape: Shape | None = None, distance_m: float = 0
) -> QuerySet:
    """Trackers with a known position outside the geo group; with a distance, only those at
    least that far out from its boundary."""
    # NOT IN (subquery): PostgreSQL hashes the members once; a NOT = ANY(array) would compare
    # every tracker with every member.
    members = GeoMembership.objects.filter(geogroup=geogroup).values("tracker_id")
    qs = qs.filter(latitude__isnull=False, longitude__isnull=False).exclude(pk__in=members)
    if distance_m > 0 and shape is not None:
        qs = qs.exclude(pk__in=_near_boundary_ids(qs, geogroup, shape, distance_m))
    return qs
