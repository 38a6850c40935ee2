from __future__ import annotations

import pytest


@pytest.fixture
def tracker(alice, add_device):
    """Make a tracker of Alice's company: ``tracker(imei=..., mac=...)`` -> Tracker."""
    from pulsebridge.tracking.models import Tracker
    from pulsebridge.tracking.services import ensure_trackers

    def make(company=None, **options):
        company = company or alice
        device = add_device(company, "PING-TRACKER", **options)
        ensure_trackers(company)
        return Tracker.objects.get(device=device)

    return make


def square(lon0, lat0, lon1, lat1, *holes):
    return {
        "type": "Polygon",
        "coordinates": [
            [[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]],
            *holes,
        ],
    }
