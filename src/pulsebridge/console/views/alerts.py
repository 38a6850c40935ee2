"""The alerts screen: alerts raised by the company's rules, acknowledged and resolved here
(``alerts.services``, as the API and the CLI), and the rules themselves."""

from __future__ import annotations

from django.http import Http404
from django.urls import reverse
from django.views.decorators.http import require_POST

from pulsebridge.alerts import rules as alert_rules
from pulsebridge.alerts import services as alerts
from pulsebridge.devices.models import Patient

from ..access import screen
from ..actions import InputError, act, record_read
from .common import back, page, page_of, uuid_or_404

STATUSES = ("open", "acknowledged", "resolved", "")


@screen("alerts")
def alerts_screen(request):
    company = request.seat.company
    status = request.GET.get("status", "open")
    if status not in STATUSES:
        status = "open"
    listing = page_of(request, alerts.alerts(company, status=status or None))
    record_read(
        request,
        "alerts.list",
        detail={"status": status or "all", "page": listing.number},
    )
    context = {
        "page": listing,
        "status": status,
        "statuses": STATUSES,
        "rules": alert_rules.company_rules(company),
        "can_change": request.seat.may_change("alerts"),
    }
    return page(request, "console/alerts.html", context)


def _alert(request, alert_id):
    alert = alerts.find_alert(request.seat.company, uuid_or_404(alert_id))
    if alert is None:
        raise Http404("no such alert")
    return alert


@require_POST
@screen("alerts", change=True)
def alert_action(request, alert_id):
    alert = _alert(request, alert_id)
    action = request.POST.get("action")
    if action not in ("acknowledge", "resolve"):
        raise Http404("no such action")
    change = alerts.acknowledge if action == "acknowledge" else alerts.resolve
    note = request.POST.get("note", "")
    act(
        request,
        f"alert.{action}",
        lambda: change(alert, by=request.seat.actor, note=note),
        target=str(alert.pk),
        patient=alert.patient.external_id,
        success=lambda a: f"Alert {a.rule.code} of {a.patient.external_id} {a.status}.",
    )
    return back(request, reverse("console:alerts"))


def _number(text: str, field: str):
    text = (text or "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise InputError(f"{field}: a number") from None


@require_POST
@screen("alerts", change=True)
def rule(request, code):
    company = request.seat.company
    enabled = request.POST.get("enabled") == "on"
    threshold = request.POST.get("threshold", "")

    def change():
        found = alert_rules.get_rule(company, code)
        return alert_rules.change_rule(
            found, threshold=_number(threshold, "threshold"), enabled=enabled
        )

    act(
        request,
        "alerts.rule",
        change,
        target=code[:64],
        detail={"threshold": threshold[:32], "enabled": enabled},
        success=lambda r: f"Rule {r.code}: {r.threshold:g}, {'on' if r.enabled else 'off'}.",
    )
    return back(request, reverse("console:alerts"))


@require_POST
@screen("alerts", change=True)
def override(request, patient_id):
    company = request.seat.company
    patient = Patient.objects.for_company(company).filter(pk=uuid_or_404(patient_id)).first()
    if patient is None:
        raise Http404("no such patient")
    code = request.POST.get("rule", "")
    threshold = request.POST.get("threshold", "")
    choice = request.POST.get("enabled", "")

    def change():
        found = alert_rules.get_rule(company, code)
        if choice == "remove":
            return alert_rules.remove_override(found, patient)
        enabled = {"on": True, "off": False}.get(choice)
        return alert_rules.set_override(
            found, patient, threshold=_number(threshold, "threshold"), enabled=enabled
        )

    act(
        request,
        "alerts.override.remove" if choice == "remove" else "alerts.override",
        change,
        target=code[:64],
        patient=patient.external_id,
        detail={"threshold": threshold[:32], "enabled": choice[:8]},
        success=f"Rule {code} for {patient.external_id} saved.",
    )
    return back(request, reverse("console:patient", args=[patient.pk]))
