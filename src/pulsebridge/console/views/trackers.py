"""Screen 8: PING trackers and geo groups on a map drawn without tiles (Leaflet with no tile
layer: positions and polygons only), and one tracker's event timeline."""

from __future__ import annotations

from django.shortcuts import get_object_or_404, render

from pulsebridge.tracking.models import GeoGroup, Tracker, TrackerEvent
from pulsebridge.tracking.services import ensure_trackers

from ..access import screen
from .common import page_of

MAP_LIMIT = 2000  # trackers drawn; the table pages through all of them


def _position(tracker: Tracker) -> dict | None:
    if tracker.latitude is None or tracker.longitude is None:
        return None
    return {
        "id": tracker.pk,
        "name": tracker.device.imei or tracker.device.serial,
        "lat": tracker.latitude,
        "lon": tracker.longitude,
        "url": f"/trackers/{tracker.pk}",
    }


@screen("trackers")
def trackers(request):
    company = request.seat.company
    ensure_trackers(company)
    found = (
        Tracker.objects.for_company(company)
        .select_related("device", "group")
        .order_by("-last_event_timestamp", "pk")
    )
    geogroups = list(GeoGroup.objects.for_company(company).order_by("name", "pk"))
    drawn = [p for p in (_position(t) for t in found[:MAP_LIMIT]) if p]
    context = {
        "page": page_of(request, found),
        "map": {
            "trackers": drawn,
            "geogroups": [{"name": g.name, "boundary": g.boundary} for g in geogroups],
        },
        "geogroups": geogroups,
    }
    return render(request, "console/trackers.html", context)


@screen("trackers")
def tracker(request, tracker_id):
    company = request.seat.company
    found = get_object_or_404(
        Tracker.objects.for_company(company).select_related("device", "group"), pk=tracker_id
    )
    events = (
        TrackerEvent.objects.for_company(company)
        .filter(tracker=found)
        .select_related("geogroup")
        .order_by("-timestamp", "-pk")
    )
    listing = page_of(request, events, 50)
    path = [
        {"lat": e.latitude, "lon": e.longitude, "at": e.timestamp.isoformat()}
        for e in events.filter(latitude__isnull=False, longitude__isnull=False)[:500]
    ]
    context = {
        "tracker": found,
        "page": listing,
        "map": {
            "trackers": [p for p in [_position(found)] if p],
            "path": path,
            "geogroups": [
                {"name": g.name, "boundary": g.boundary}
                for g in GeoGroup.objects.for_company(company).order_by("name", "pk")
            ],
        },
    }
    return render(request, "console/tracker.html", context)
