"""``hwi/hwi-gateways/``, ``hwi/gateway-info/{gateway_uuid}/`` and ``hwi/hardware-uuid-logs/``:
the client's gateways (its inventory, as registered or shipped) and the history of its HWI
devices' hardware ids."""

from __future__ import annotations

from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.response import Response

from pulsebridge.devices.models import Device, HardwareUuidLog, Kind
from pulsebridge.readings.models import Measurement

from . import schema, wire
from .base import TenoviView, flag, parse_uuid, search_term

ORDERINGS = {"assigned_on": "created_at", "shipped_on": "order__shipped_at"}
ORDERINGS["last_measurement"] = "last_reading_at"


def gateways(company) -> QuerySet:
    """The company's gateways, each with its latest reading through any device paired with it:
    when it was taken (``last_reading_at``), received (``last_checkin_at``) and the signal it
    reported (``last_signal``)."""
    sensors = Device.objects.filter(gateway=OuterRef("pk"))
    latest = Measurement.objects.filter(
        company=OuterRef("company"), device__gateway=OuterRef("pk")
    ).order_by("-measured_at", "-id")
    return (
        Device.objects.for_company(company)
        .filter(model__kind=Kind.GATEWAY)
        .select_related("order")
        .annotate(
            last_reading_at=Subquery(
                sensors.filter(last_measurement_at__isnull=False)
                .order_by("-last_measurement_at")
                .values("last_measurement_at")[:1]
            ),
            last_checkin_at=Subquery(latest.values("received_at")[:1]),
            last_signal=Subquery(latest.values("signal")[:1]),
        )
    )


def find(company, gateway_uuid: str) -> Device:
    """One gateway by its id, ignoring case (``gateway_uuid__iexact``); 404 if not the
    client's."""
    gateway = gateways(company).filter(serial__iexact=gateway_uuid.strip()).first()
    if gateway is None:
        raise exceptions.NotFound()
    return gateway


class GatewaysView(TenoviView):
    """Always paginated, as the Swagger declares; ``ordering`` by ``assigned_on``,
    ``shipped_on`` or ``last_measurement`` (``-`` for descending; default ``-assigned_on``)."""

    @extend_schema(**schema.operation("hwi-gateways_list"))
    def get(self, request, client_domain):
        params = request.query_params
        rows = gateways(self.company)
        for name, field in (
            ("last_measurement__isnull", "last_reading_at"),
            ("shipped_on__isnull", "order__shipped_at"),
        ):
            wanted = flag(params, name)
            if wanted is not None:
                rows = rows.filter(**{f"{field}__isnull": wanted})
        term = search_term(params)
        if term:
            rows = rows.filter(Q(serial__icontains=term) | Q(patient__external_id__icontains=term))
        return self.paged(rows.order_by(*self._ordering(params.get("ordering"))), wire.hwi_gateway)

    @staticmethod
    def _ordering(raw: str | None) -> list:
        raw = (raw or "-assigned_on").strip()
        descending = raw.startswith("-")
        field = ORDERINGS.get(raw.lstrip("-"))
        if field is None:
            raise exceptions.ValidationError(
                {"ordering": [f"one of {', '.join(ORDERINGS)}, with - for descending"]}
            )
        order = F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True)
        return [order, "-id" if descending else "id"]


class GatewayView(TenoviView):
    @extend_schema(**schema.operation("hwi-gateways_read"))
    def get(self, request, client_domain, gateway_uuid__iexact):
        return Response(wire.hwi_gateway(find(self.company, gateway_uuid__iexact)))


class GatewayInfoView(TenoviView):
    @extend_schema(**schema.operation("gateway-info_read"))
    def get(self, request, client_domain, gateway_uuid__iexact):
        gateway = find(self.company, gateway_uuid__iexact)
        sensors = (
            Device.objects.filter(gateway=gateway).select_related("model").order_by("created_at")
        )
        return Response(wire.gateway_info(gateway, sensors))


class HardwareUuidLogsView(TenoviView):
    """Every change of an HWI device's ``hardware_uuid``, oldest first; ``object_id`` is the HWI
    device's id, ``search`` finds a gateway id or IMEI among the old and new ones."""

    @extend_schema(**schema.operation("hardware-uuid-logs_list"))
    def get(self, request, client_domain):
        rows = HardwareUuidLog.objects.for_company(self.company).order_by("created_at", "id")
        object_id = (request.query_params.get("object_id") or "").strip()
        if object_id:
            rows = rows.filter(enrolment_id=_hwi_device_id(object_id))
        term = search_term(request.query_params)
        if term:
            rows = rows.filter(
                Q(old_hardware_uuid__icontains=term) | Q(new_hardware_uuid__icontains=term)
            )
        return self.listing(rows, wire.hardware_log)


def _hwi_device_id(text: str):
    found = parse_uuid(text)
    if found is None:
        raise exceptions.ValidationError({"object_id": ["must be an HWI device id (a UUID)"]})
    return found
