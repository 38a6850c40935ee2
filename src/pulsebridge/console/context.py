"""What every console page's layout needs: the seat, the screens of its role, staff's companies."""

from __future__ import annotations

from pulsebridge.core.models import Company

SCREENS = [
    ("patients", "Patients", "console:patients"),
    ("alerts", "Alerts", "console:alerts"),
    ("billing", "Billing", "console:billing"),
    ("devices", "Devices", "console:devices"),
    ("orders", "Orders", "console:orders"),
    ("webhooks", "Webhooks", "console:webhooks"),
    ("imports", "Imports", "console:imports"),
    ("keys", "Keys", "console:keys"),
    ("trackers", "Trackers", "console:trackers"),
    ("team", "Team", "console:team"),
    ("audit", "Audit", "console:audit"),
]


def console(request):
    seat = getattr(request, "seat", None)
    if seat is None:
        return {}
    areas = set(seat.areas)
    context = {
        "seat": seat,
        "screens": [(area, label, url) for area, label, url in SCREENS if area in areas],
        "active": getattr(getattr(request.resolver_match, "func", None), "console_area", ""),
    }
    if seat.user.is_staff:
        context["companies"] = Company.objects.order_by("code").only("code", "name")
    return context
