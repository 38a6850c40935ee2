"""Screen 3: the fleet, with filters; assign and unassign a patient, suspend and resume
billing (``devices.services``, as the Pylo API and the operator commands)."""

from __future__ import annotations

from django.db.models import Q
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from pulsebridge.devices.models import Device, DeviceModel, Kind
from pulsebridge.devices.services import assign_device, resume_device, suspend_device
from pulsebridge.readings import queries

from ..access import screen
from ..actions import act
from .common import back, is_htmx, page, page_of, uuid_or_404

FILTERS = ("kind", "model", "billing", "patient", "silent", "low_battery")


def _filtered(request, company):
    devices = queries.with_device_status(
        Device.objects.for_company(company).select_related("model", "patient", "gateway")
    )
    get = request.GET
    chosen = {}
    if get.get("kind") in Kind.values:
        chosen["kind"] = get["kind"]
        devices = devices.filter(model__kind=get["kind"])
    if get.get("model"):
        chosen["model"] = get["model"][:64]
        devices = devices.filter(model__sku=chosen["model"])
    if get.get("billing") in Device.BillingStatus.values:
        chosen["billing"] = get["billing"]
        devices = devices.filter(billing_status=get["billing"])
    if get.get("patient", "").strip():
        chosen["patient"] = get["patient"].strip()[:200]
        if chosen["patient"] == "-":
            devices = devices.filter(patient__isnull=True)
        else:
            devices = devices.filter(
                Q(patient__external_id__icontains=chosen["patient"])
                | Q(patient__name__icontains=chosen["patient"])
            )
    silent = get.get("silent", "").strip()
    if silent.isdigit() and 0 < int(silent) <= 3650:
        chosen["silent"] = int(silent)
        devices = queries.silent_for(devices, int(silent))
    if get.get("low_battery"):
        chosen["low_battery"] = True
        devices = queries.low_battery(devices)
    return devices.order_by("model__kind", "serial"), chosen


@screen("devices")
def devices(request):
    company = request.seat.company
    found, chosen = _filtered(request, company)
    context = {
        "page": page_of(request, found),
        "chosen": chosen,
        "kinds": Kind.choices,
        "models": DeviceModel.objects.filter(devices__company=company).distinct().order_by("sku"),
        "billing_statuses": Device.BillingStatus.choices,
        "low_battery": queries.LOW_BATTERY_PERCENT,
        "may_change": request.seat.may_change("devices"),
    }
    return page(request, "console/devices.html", context, partial="console/_devices_table.html")


def _device(request, device_id) -> Device:
    return get_object_or_404(
        Device.objects.for_company(request.seat.company).select_related("model", "patient"),
        pk=uuid_or_404(device_id),
    )


def _answer(request, device: Device):
    if is_htmx(request):
        row = queries.with_device_status(
            Device.objects.filter(pk=device.pk).select_related("model", "patient", "gateway")
        ).get()
        context = {
            "device": row,
            "low_battery": queries.LOW_BATTERY_PERCENT,
            "may_change": True,
            "open_actions": True,
        }
        return render(request, "console/_device_action.html", context)
    return back(request, reverse("console:devices"))


@require_POST
@screen("devices", change=True)
def assign(request, device_id):
    device = _device(request, device_id)
    patient_id = request.POST.get("patient_id", "").strip()[:200]
    before = device.patient.external_id if device.patient else ""
    act(
        request,
        "device.assign" if patient_id else "device.unassign",
        lambda: assign_device(device, patient_id=patient_id),
        target=device.serial,
        patient=patient_id or before,
        detail={"from": before, "to": patient_id},
        success=(
            f"Device {device.serial} assigned to {patient_id}."
            if patient_id
            else f"Device {device.serial} no longer assigned to a patient."
        ),
    )
    return _answer(request, device)


@require_POST
@screen("devices", change=True)
def billing(request, device_id):
    device = _device(request, device_id)
    suspend = request.POST.get("action") == "suspend"
    act(
        request,
        "device.billing.suspend" if suspend else "device.billing.resume",
        lambda: (suspend_device if suspend else resume_device)(device),
        target=device.serial,
        patient=device.patient.external_id if device.patient else "",
        success=lambda d: f"Billing of {d.serial} is now {d.billing_status}.",
    )
    return _answer(request, device)
