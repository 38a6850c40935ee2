"""Screen 9: the audit trail, who did what, when, to which patient (owners only)."""

from __future__ import annotations

from django.shortcuts import render

from pulsebridge.core.services import audit_trail

from ..access import screen
from .common import page_of


@screen("audit")
def audit(request):
    entries = audit_trail(request.seat.company)
    filters = {}
    for name in ("patient", "actor", "action"):
        value = request.GET.get(name, "").strip()[:200]
        if value:
            filters[name] = value
    if "patient" in filters:
        entries = entries.filter(patient=filters["patient"])
    if "actor" in filters:
        entries = entries.filter(actor=filters["actor"])
    if "action" in filters:
        entries = entries.filter(action__startswith=filters["action"])
    return render(
        request, "console/audit.html", {"page": page_of(request, entries, 50), "filters": filters}
    )
