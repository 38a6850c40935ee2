"""Geography without PostGIS: great-circle distances, bounding boxes for index prefilters, and
GeoJSON polygons with point-in-polygon and distance-to-boundary, in plain Python.

Polygons follow RFC 7946: positions are ``[longitude, latitude]`` and edges are straight lines
in longitude/latitude. A ring whose consecutive vertices are more than 180 degrees of longitude
apart is taken to cross the antimeridian (the short way round), as every map client draws it;
such rings are "unwrapped" into one continuous longitude range that may pass 180, and a point is
tested at both its longitude and its longitude + 360."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

EARTH_RADIUS_M = 6_371_008.8
METRES_PER_DEGREE = math.pi * EARTH_RADIUS_M / 180


class GeoError(ValueError):
    """A boundary is not a valid GeoJSON Polygon or MultiPolygon; the message says where."""


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class Box:
    """A latitude band and the longitude ranges (one, or two across the antimeridian) that
    contain a region; ``lon_ranges`` is None when every longitude does (near a pole)."""

    min_lat: float
    max_lat: float
    lon_ranges: tuple[tuple[float, float], ...] | None


def _split_lon(lo: float, hi: float) -> tuple[tuple[float, float], ...] | None:
    if hi - lo >= 360:
        return None
    if lo < -180:
        return ((lo + 360, 180.0), (-180.0, hi))
    if hi > 180:
        return ((lo, 180.0), (-180.0, hi - 360))
    return ((lo, hi),)


def radius_box(lat: float, lon: float, radius_m: float) -> Box:
    """The smallest latitude/longitude box holding every point within ``radius_m`` of a point."""
    angular = radius_m / EARTH_RADIUS_M
    dlat = math.degrees(angular)
    min_lat, max_lat = lat - dlat, lat + dlat
    if min_lat <= -90 or max_lat >= 90 or angular >= math.pi / 2:
        return Box(max(min_lat, -90.0), min(max_lat, 90.0), None)
    ratio = math.sin(angular) / math.cos(math.radians(lat))
    if ratio >= 1:
        return Box(min_lat, max_lat, None)
    dlon = math.degrees(math.asin(ratio))
    return Box(min_lat, max_lat, _split_lon(lon - dlon, lon + dlon))


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise GeoError(f"{where}: must be a number")
    number = float(value)
    if not math.isfinite(number):
        raise GeoError(f"{where}: must be a finite number")
    return number


def _position(raw: Any, where: str) -> tuple[float, float]:
    if not isinstance(raw, list | tuple) or not 2 <= len(raw) <= 3:
        raise GeoError(f"{where}: a position is [longitude, latitude]")
    lon = _number(raw[0], f"{where}[0]")
    lat = _number(raw[1], f"{where}[1]")
    if len(raw) == 3:
        _number(raw[2], f"{where}[2]")
    if not -180 <= lon <= 180:
        raise GeoError(f"{where}: longitude {lon:g} is outside -180..180")
    if not -90 <= lat <= 90:
        raise GeoError(f"{where}: latitude {lat:g} is outside -90..90")
    return lon, lat


Ring = list[tuple[float, float]]  # (x = unwrapped longitude, y = latitude), closed


def _unwrap(positions: Ring, where: str) -> Ring:
    """Make longitudes continuous: a jump of more than 180 degrees crosses the antimeridian."""
    out = [positions[0]]
    shift = 0.0
    for (lon0, _), (lon1, lat1) in itertools.pairwise(positions):
        step = lon1 - lon0
        if step > 180:
            shift -= 360
        elif step < -180:
            shift += 360
        out.append((lon1 + shift, lat1))
    if abs(out[-1][0] - out[0][0]) > 1e-9:
        raise GeoError(f"{where}: a ring that circles a pole is not supported")
    low = min(x for x, _ in out)
    if low < -180:
        out = [(x + 360, y) for x, y in out]
    return out


def _area2(ring: Ring) -> float:
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring))


def _ring(raw: Any, where: str) -> Ring:
    if not isinstance(raw, list) or len(raw) < 4:
        raise GeoError(f"{where}: a linear ring needs at least 4 positions")
    positions = [_position(p, f"{where}[{i}]") for i, p in enumerate(raw)]
    if positions[0] != positions[-1]:
        raise GeoError(f"{where}: the ring is not closed (its first and last positions differ)")
    if len(set(positions)) < 3:
        raise GeoError(f"{where}: a ring needs at least 3 distinct positions")
    ring = _unwrap(positions, where)
    if abs(_area2(ring)) < 1e-18:
        raise GeoError(f"{where}: the ring encloses no area")
    return ring


def _in_ring(ring: Ring, x: float, y: float) -> bool:
    inside = False
    for (x0, y0), (x1, y1) in itertools.pairwise(ring):
        if (y0 > y) != (y1 > y):
            cross = x0 + (y - y0) * (x1 - x0) / (y1 - y0)
            if x < cross:
                inside = not inside
    return inside


@dataclass(frozen=True)
class Polygon:
    outer: Ring
    holes: tuple[Ring, ...]

    def contains_xy(self, x: float, y: float) -> bool:
        return _in_ring(self.outer, x, y) and not any(_in_ring(h, x, y) for h in self.holes)

    def rings(self) -> tuple[Ring, ...]:
        return (self.outer, *self.holes)


def _polygon(raw: Any, where: str) -> Polygon:
    if not isinstance(raw, list) or not raw:
        raise GeoError(f"{where}: a polygon is a list of linear rings, the outer one first")
    outer = _ring(raw[0], f"{where}[0]")
    holes = []
    centre = sum(x for x, _ in outer[:-1]) / (len(outer) - 1)
    for i, hole_raw in enumerate(raw[1:], start=1):
        hole = _ring(hole_raw, f"{where}[{i}]")
        # Put the hole in the same longitude range as its polygon before comparing them.
        hole_centre = sum(x for x, _ in hole[:-1]) / (len(hole) - 1)
        shift = round((centre - hole_centre) / 360) * 360
        hole = [(x + shift, y) for x, y in hole]
        mean_x = sum(x for x, _ in hole[:-1]) / (len(hole) - 1)
        mean_y = sum(y for _, y in hole[:-1]) / (len(hole) - 1)
        if not _in_ring(outer, mean_x, mean_y):
            raise GeoError(f"{where}[{i}]: the hole lies outside the polygon's outer ring")
        holes.append(hole)
    return Polygon(outer, tuple(holes))


@dataclass(frozen=True)
class Shape:
    """A validated Polygon or MultiPolygon, ready for point tests."""

    polygons: tuple[Polygon, ...]
    min_lat: float
    max_lat: float
    min_lon: float  # in -180..180
    max_lon: float  # may pass 180 when the shape crosses the antimeridian

    def contains(self, lat: float, lon: float) -> bool:
        candidates = (lon, lon + 360) if self.max_lon > 180 else (lon,)
        return any(p.contains_xy(x, lat) for x in candidates for p in self.polygons)

    def boundary_distance_m(self, lat: float, lon: float) -> float:
        """Distance from a point to the nearest edge, in metres, measured in a plane tangent
        at the point (within 0.5 % up to a few hundred kilometres)."""
        kx = METRES_PER_DEGREE * math.cos(math.radians(lat))
        ky = METRES_PER_DEGREE
        best = math.inf
        for polygon in self.polygons:
            for ring in polygon.rings():
                for (x0, y0), (x1, y1) in itertools.pairwise(ring):
                    ax = ((x0 - lon + 180) % 360 - 180) * kx
                    bx = ax + (x1 - x0) * kx
                    ay, by = (y0 - lat) * ky, (y1 - lat) * ky
                    best = min(best, _segment_origin_distance(ax, ay, bx, by))
        return best

    def distance_m(self, lat: float, lon: float) -> float:
        """0 inside the shape, else the distance to its boundary."""
        return 0.0 if self.contains(lat, lon) else self.boundary_distance_m(lat, lon)

    def box(self, margin_m: float = 0.0) -> Box:
        dlat = margin_m / METRES_PER_DEGREE
        min_lat, max_lat = self.min_lat - dlat, self.max_lat + dlat
        if min_lat <= -90 or max_lat >= 90:
            return Box(max(min_lat, -90.0), min(max_lat, 90.0), None)
        widest = max(abs(min_lat), abs(max_lat))
        dlon = margin_m / (METRES_PER_DEGREE * math.cos(math.radians(widest)))
        return Box(min_lat, max_lat, _split_lon(self.min_lon - dlon, self.max_lon + dlon))


def _segment_origin_distance(ax: float, ay: float, bx: float, by: float) -> float:
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / length2))
    return math.hypot(ax + t * dx, ay + t * dy)


def parse_boundary(raw: Any) -> Shape:
    """Validate a GeoJSON Polygon or MultiPolygon geometry; raises GeoError naming the place."""
    if not isinstance(raw, dict):
        raise GeoError("must be a GeoJSON Polygon or MultiPolygon object")
    kind = raw.get("type")
    coordinates = raw.get("coordinates")
    polygons: tuple[Polygon, ...]
    if kind == "Polygon":
        polygons = (_polygon(coordinates, "coordinates"),)
    elif kind == "MultiPolygon":
        if not isinstance(coordinates, list) or not coordinates:
            raise GeoError("coordinates: a MultiPolygon is a non-empty list of polygons")
        polygons = tuple(_polygon(p, f"coordinates[{i}]") for i, p in enumerate(coordinates))
    else:
        raise GeoError('type: must be "Polygon" or "MultiPolygon"')
    for i, polygon in enumerate(polygons):
        xs = [x for x, _ in polygon.outer]
        if max(xs) - min(xs) >= 360:
            raise GeoError(f"coordinates[{i}]: the polygon spans every longitude")
    xs = [x for p in polygons for x, _ in p.outer]
    ys = [y for p in polygons for _, y in p.outer]
    return Shape(polygons, min(ys), max(ys), min(xs), max(xs))


def clean_boundary(raw: dict) -> dict:
    """The geometry as stored and answered: only ``type`` and ``coordinates``."""
    return {"type": raw["type"], "coordinates": raw["coordinates"]}
