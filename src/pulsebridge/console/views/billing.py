"""The billing screen: the month's RPM report (``billing.services.report``, as the API and the
CLI), its CSV, and the patient page's forms for the time log and the setup date."""

from __future__ import annotations

from datetime import date, datetime

from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from pulsebridge.billing import services as billing
from pulsebridge.devices.models import Patient

from ..access import screen
from ..actions import InputError, act, record_read
from .common import back, page, uuid_or_404


def _month(request) -> str:
    default = timezone.localdate(timezone=billing.zone(request.seat.company)).strftime("%Y-%m")
    month = request.GET.get("month", "").strip()[:7] or default
    try:
        billing.parse_month(month)
    except billing.BillingError:
        return default
    return month


@screen("billing")
def billing_screen(request):
    company = request.seat.company
    month = _month(request)
    rep = billing.report(company, month)
    record_read(request, "billing.report", target=rep.month, detail={"format": "console"})
    context = {
        "report": rep,
        "totals": rep.totals(),
        "month": month,
        "billable_days": billing.BILLABLE_DAYS,
        "block_minutes": billing.BLOCK_MINUTES,
    }
    return page(request, "console/billing.html", context)


@screen("billing")
def billing_csv(request):
    company = request.seat.company
    rep = billing.report(company, _month(request))
    record_read(request, "billing.report", target=rep.month, detail={"format": "csv"})
    response = HttpResponse(billing.as_csv(rep), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="billing-{rep.company}-{rep.month}.csv"'
    )
    return response


def _patient(request, patient_id) -> Patient:
    patient = (
        Patient.objects.for_company(request.seat.company).filter(pk=uuid_or_404(patient_id)).first()
    )
    if patient is None:
        raise Http404("no such patient")
    return patient


def _minutes(text: str) -> int:
    try:
        return int((text or "").strip())
    except ValueError:
        raise InputError("minutes: a whole number of minutes") from None


def _when(request, text: str) -> datetime | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError("when: a date and time like 2026-11-04T15:30") from None
    if timezone.is_naive(moment):  # typed in the company's own time
        moment = moment.replace(tzinfo=billing.zone(request.seat.company))
    return moment


@require_POST
@screen("billing", change=True)
def log_time(request, patient_id):
    patient = _patient(request, patient_id)
    seat = request.seat
    minutes, when, note = (request.POST.get(k, "") for k in ("minutes", "performed_at", "note"))
    act(
        request,
        "billing.time",
        lambda: billing.log_time(
            seat.company,
            patient,
            clinician=seat.user.get_full_name() or seat.actor,
            user=seat.user,
            minutes=_minutes(minutes),
            performed_at=_when(request, when),
            note=note,
        ),
        target=lambda entry: str(entry.pk),
        patient=patient.external_id,
        detail={"minutes": minutes[:8]},
        success=lambda entry: f"{entry.minutes} minutes logged for {patient.external_id}.",
    )
    return back(request, reverse("console:patient", args=[patient.pk]))


@require_POST
@screen("billing", change=True)
def record_setup(request, patient_id):
    patient = _patient(request, patient_id)
    seat = request.seat
    text = request.POST.get("setup_on", "").strip()

    def change():
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise InputError("setup date: a date like 2026-11-04") from None
        return billing.record_setup(seat.company, patient, day, by=seat.actor)

    act(
        request,
        "billing.setup",
        change,
        target=lambda setup: str(setup.pk),
        patient=patient.external_id,
        detail={"setup_on": text[:10]},
        success=f"Setup date of {patient.external_id} recorded.",
    )
    return back(request, reverse("console:patient", args=[patient.pk]))
