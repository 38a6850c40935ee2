"""Screens 1 and 2: the patient list and one patient's page (charts, readings, devices, the
care record and its documents)."""

from __future__ import annotations

import json
import mimetypes
from datetime import timedelta

from django.db.models import F, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from pulsebridge.alerts import rules as alert_rules
from pulsebridge.alerts import services as alerts
from pulsebridge.billing import services as billing
from pulsebridge.care.models import CareClient, ClientDocument
from pulsebridge.devices.models import Device, Patient
from pulsebridge.readings import queries

from .. import display
from ..access import screen
from ..actions import record_read
from .common import is_htmx, page, page_of, uuid_or_404

SORTS = {
    "name": ("name", "external_id"),
    "id": ("external_id",),
    "last": ("last_reading_at",),
    "days": (),  # sorted in Python: see patients()
}
_KIND_ORDER = {kind: n for n, kind in enumerate(display.CHARTED)}
RANGES = (7, 30, 90)
READINGS_PER_PAGE = 25


def _order(key: str) -> list:
    name = key.removeprefix("-")
    fields = SORTS[name]
    descending = key.startswith("-")
    return [F(f).desc(nulls_last=True) if descending else F(f).asc(nulls_last=True) for f in fields]


@screen("patients")
def patients(request):
    seat = request.seat
    company = seat.company
    found = Patient.objects.for_company(company)
    query = request.GET.get("q", "").strip()[:100]
    if query:
        found = found.filter(Q(name__icontains=query) | Q(external_id__icontains=query))
    key = request.GET.get("sort", "name")
    if key.removeprefix("-") not in SORTS:
        key = "name"
    name = key.removeprefix("-")
    if name == "days":
        # Every patient's days counted in one query, sorted here; the page's rows fetched after.
        counted = billing.current_days(company)
        everyone = sorted(
            found.values_list("pk", "name", "external_id"),
            key=lambda p: (
                -counted.get(p[0], 0) if key.startswith("-") else counted.get(p[0], 0),
                p[1],
                p[2],
            ),
        )
        listing = page_of(request, [p[0] for p in everyone])
        by_pk = Patient.objects.in_bulk(list(listing))
        listing.object_list = [by_pk[pk] for pk in listing]
    else:
        if name == "last":
            found = queries.with_last_reading(found)
        listing = page_of(request, found.order_by(*_order(key), "pk"))
    ids = [p.pk for p in listing]
    latest = queries.latest_by_kind(company, ids)
    days = billing.current_days(company, ids)
    open_alerts = alerts.open_counts(company, ids)
    rows = []
    for patient in listing:
        readings = sorted(
            latest.get(patient.pk, {}).values(), key=lambda r: _KIND_ORDER.get(r.kind, 99)
        )
        rows.append(
            {
                "patient": patient,
                "latest": [
                    {
                        "kind": display.KIND_NAMES.get(r.kind, r.kind),
                        "text": display.describe(r.kind, r.values, company.weight_unit),
                        "at": r.measured_at,
                    }
                    for r in readings
                ],
                "days": days.get(patient.pk, 0),
                "open_alerts": open_alerts.get(patient.pk, 0),
            }
        )
    context = {
        "rows": rows,
        "page": listing,
        "query": query,
        "sort": key,
        "billable_days": billing.BILLABLE_DAYS,
        "window_days": billing.PERIOD_DAYS,
    }
    return page(request, "console/patients.html", context, partial="console/_patients_table.html")


def _patient(request, patient_id) -> Patient:
    return get_object_or_404(
        Patient.objects.for_company(request.seat.company), pk=uuid_or_404(patient_id)
    )


def _days(request) -> int:
    try:
        days = int(request.GET.get("days", 30))
    except ValueError:
        return 30
    return days if days in RANGES else 30


def _charts(request, patient: Patient, days: int) -> dict:
    company = request.seat.company
    since = timezone.now() - timedelta(days=days)
    rows = queries.series(company, patient, since=since, kinds=display.CHARTED)
    charts = display.charts(rows, company.weight_unit)
    return {
        "charts": charts,
        "charts_json": json.dumps(charts, separators=(",", ":"), ensure_ascii=False),
        "days": days,
        "ranges": RANGES,
    }


def _readings(request, patient: Patient) -> dict:
    company = request.seat.company
    listing = page_of(request, queries.patient_readings(company, patient), READINGS_PER_PAGE)
    return {
        "readings": [
            {
                "reading": m,
                "kind": display.KIND_NAMES.get(m.kind, m.kind),
                "text": display.describe(m.kind, m.values, company.weight_unit),
            }
            for m in listing
        ],
        "readings_page": listing,
    }


@screen("patients")
def patient(request, patient_id):
    seat = request.seat
    company = seat.company
    patient = _patient(request, patient_id)
    days = _days(request)
    if is_htmx(request) and request.GET.get("part") == "charts":
        record_read(
            request,
            "patient.charts",
            target=str(patient.pk),
            patient=patient.external_id,
            detail={"days": days},
        )
        context = {"patient": patient, **_charts(request, patient, days)}
        return render(request, "console/_charts.html", context)
    record_read(request, "patient.view", target=str(patient.pk), patient=patient.external_id)
    devices = queries.with_device_status(
        Device.objects.for_company(company).filter(patient=patient).select_related("model")
    ).order_by("model__kind", "serial")
    client = CareClient.objects.for_company(company).filter(patient=patient).first()
    care = {}
    if client is not None:
        care = {
            "client": client,
            "family": client.family.order_by("full_name", "external_id"),
            "visits": client.visits.select_related("worker").order_by("-start_date", "-start_time")[
                :20
            ],
            "documents": client.documents.order_by("-created_at").defer("file"),
        }
    context = {
        "patient": patient,
        "devices": devices,
        "low_battery": queries.LOW_BATTERY_PERCENT,
        "care": care,
        **_charts(request, patient, days),
        **_readings(request, patient),
        **_clinical(request, patient),
    }
    return page(request, "console/patient.html", context)


def _clinical(request, patient: Patient) -> dict:
    """The patient's open alerts, current billing period and time log."""
    company = request.seat.company
    current = billing.periods(
        company,
        timezone.localdate(timezone=billing.zone(company)),
        timezone.localdate(timezone=billing.zone(company)) + timedelta(days=billing.PERIOD_DAYS),
        [patient.pk],
        today=timezone.localdate(timezone=billing.zone(company)),
    ).get(patient.pk, [])
    return {
        "open_alerts": list(alerts.alerts(company, status="open", patient=patient)[:20]),
        "period": current[0] if current else None,
        "time_log": billing.time_log(company, patient, limit=20),
        "setups": list(patient.billing_setups.order_by("-setup_on")[:5]),
        "billable_days": billing.BILLABLE_DAYS,
        "rules": alert_rules.company_rules(company),
        "overrides": alert_rules.overrides_of(company, patient),
        "can_bill": request.seat.may_change("billing"),
        "can_alert": request.seat.may_change("alerts"),
        "sees_billing": request.seat.may_read("billing"),
        "sees_alerts": request.seat.may_read("alerts"),
    }


@screen("patients")
def patient_readings(request, patient_id):
    patient = _patient(request, patient_id)
    if not is_htmx(request):  # a page of the table without script: the patient's page
        query = request.GET.urlencode()
        return redirect(
            reverse("console:patient", args=[patient.pk]) + (f"?{query}" if query else "")
        )
    context = {"patient": patient, **_readings(request, patient)}
    record_read(
        request,
        "patient.readings",
        target=str(patient.pk),
        patient=patient.external_id,
        detail={"page": context["readings_page"].number},
    )
    return page(request, "console/patient.html", context, partial="console/_readings.html")


@screen("patients")
def document(request, patient_id, document_id):
    patient = _patient(request, patient_id)
    doc = (
        ClientDocument.objects.for_company(request.seat.company)
        .filter(pk=uuid_or_404(document_id), client__patient=patient)
        .first()
    )
    if doc is None:
        raise Http404("no such document")
    try:
        handle = doc.file.open("rb")
    except OSError:
        raise Http404("the document's file is missing") from None
    record_read(
        request,
        "patient.document.download",
        target=doc.external_id,
        patient=patient.external_id,
        detail={"title": doc.title[:100]},
    )
    filename = f"{doc.title}.{doc.extension}" if doc.extension else doc.title
    content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
