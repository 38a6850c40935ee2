"""The Pylo RPM API: devices, readings and orders, under ``/pylo/``."""

from __future__ import annotations

from django.db.models import Prefetch, Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from pulsebridge.core.drf import (
    HasUsagePlan,
    HeaderApiKeyAuthentication,
    RefusesNulCharacters,
    UsagePlanThrottle,
)
from pulsebridge.devices.models import Device, Patient
from pulsebridge.devices.services import assign_device
from pulsebridge.fulfillment.models import Order, OrderLine
from pulsebridge.fulfillment.services import OrderError, cancel_order, place_order, update_order
from pulsebridge.lib.parsers import AnyContentTypeJSONParser
from pulsebridge.lib.plans import custom_plans
from pulsebridge.lib.renderers import FastJSONRenderer
from pulsebridge.lib.rows import CheckedOnly
from pulsebridge.readings.models import Measurement

from . import errors, serializers, wire
from .pagination import cursor_from, paginate

CURSOR_PARAMS = [
    OpenApiParameter("cursor_token", str, description="The token of the previous page."),
    OpenApiParameter("cursor", str, description="Same as cursor_token (the document uses both)."),
]
ONE_DEVICE = [
    OpenApiParameter("id", str, description="The device_id (serial) of one device."),
    OpenApiParameter("imei", str, description="The IMEI of one device."),
]


class PyloKeyAuthentication(HeaderApiKeyAuthentication):
    header = "x-api-key"
    dialect = "pylo"


class PyloView(RefusesNulCharacters, APIView):
    authentication_classes = [PyloKeyAuthentication]
    permission_classes = [HasUsagePlan]
    throttle_classes = [UsagePlanThrottle]
    parser_classes = [AnyContentTypeJSONParser]
    renderer_classes = [FastJSONRenderer]  # a readings page is 650 kB of JSON

    def get_exception_handler(self):
        return errors.handle

    @property
    def company(self):
        return self.request.auth.company

    def validated(self, serializer_class, data=None):
        serializer = serializer_class(data=self.request.data if data is None else data)
        serializer.is_valid(raise_exception=True)
        return serializer


class DevicesView(PyloView):
    """``GET /devices`` (all, or one by ``?id=`` / ``?imei=``) and ``PUT /devices?id=|imei=``."""

    def _devices(self):
        return Device.objects.for_company(self.company).with_wire_relations()

    def _one(self) -> Device | None:
        params = self.request.query_params
        given = [name for name in ("id", "imei") if params.get(name)]
        if not given:
            return None
        if len(given) > 1:
            raise exceptions.ValidationError({"query": ["supply exactly one of id or imei"]})
        lookup = {"serial": params["id"]} if given[0] == "id" else {"imei": params["imei"]}
        device = self._devices().filter(**lookup).first()
        if device is None:
            raise exceptions.NotFound(f"Not Found -- no device with {given[0]} {params[given[0]]}")
        return device

    @extend_schema(parameters=ONE_DEVICE + CURSOR_PARAMS, responses=OpenApiTypes.OBJECT)
    def get(self, request):
        device = self._one()
        if device is not None:
            return Response(wire.device(device))
        rows, token = paginate(
            self._devices(),
            time_field="created_at",
            token=cursor_from(request),
            salt="pylo.devices",
        )
        return Response(
            {
                "count": len(rows),
                "devices": [wire.device(d) for d in rows],
                "page_info": {"cursor_token": token},
            }
        )

    @extend_schema(
        parameters=ONE_DEVICE, request=serializers.DeviceUpdate, responses=OpenApiTypes.OBJECT
    )
    def put(self, request):
        device = self._one()
        if device is None:
            raise exceptions.ValidationError({"query": ["supply id or imei of the device"]})
        changes = self.validated(serializers.DeviceUpdate).validated_data
        device = assign_device(
            device, patient_id=changes.get("patient_id"), practice_id=changes.get("practice_id")
        )
        return Response(
            {
                "status": "OK",
                "patient_id": device.patient.external_id if device.patient else "",
                "practice_id": device.practice_id,
            }
        )


class ReadingsView(PyloView):
    """``POST /readings``: every filter AND-ed, at least one required."""

    @extend_schema(
        parameters=CURSOR_PARAMS, request=serializers.ReadingsFilter, responses=OpenApiTypes.OBJECT
    )
    def post(self, request):
        filters = self.validated(serializers.ReadingsFilter).validated_data
        company = self.company
        # The company's readings. Given a device or a patient (the company's own, resolved
        # below), the company is checked on each row read, not walked by its index: the
        # planner would otherwise read every patient's readings in the range (lib.rows).
        if {"imei", "device_id", "patient_id"} & filters.keys():
            qs = Measurement.objects.filter(CheckedOnly(Q(company=company)))
        else:
            qs = Measurement.objects.for_company(company)
        if "reading_id" in filters:
            qs = (
                qs.filter(pk=filters["reading_id"])
                if _is_uuid(filters["reading_id"])
                else qs.none()
            )
        # Identifiers are resolved to row ids first: filtering on the id (not through a join)
        # lets the planner walk the (device|patient, measured_at, id) index and stop at a page.
        devices = Device.objects.for_company(company)
        if "imei" in filters:
            qs = _only(qs, "device_id", devices.filter(imei=filters["imei"]))
        if "device_id" in filters:
            qs = _only(qs, "device_id", devices.filter(serial=filters["device_id"]))
        if "patient_id" in filters:
            patients = Patient.objects.for_company(company)
            qs = _only(qs, "patient_id", patients.filter(external_id=filters["patient_id"]))
        if "reading_type" in filters:
            kind = wire.KIND_BY_READING_TYPE.get(filters["reading_type"].strip().lower())
            if kind is None and filters["reading_type"] in wire.MEASUREMENT_TYPES:
                kind = filters["reading_type"]
            if kind is None:
                raise exceptions.ValidationError(
                    {
                        "reading_type": [
                            f"must be one of {', '.join(wire.MEASUREMENT_TYPES.values())}"
                        ]
                    }
                )
            qs = qs.filter(kind=kind)
        if "measurement_taken_start_date" in filters:
            qs = qs.filter(measured_at__gte=filters["measurement_taken_start_date"])
        if "measurement_taken_end_date" in filters:
            qs = qs.filter(measured_at__lte=filters["measurement_taken_end_date"])
        # Planned for this patient (or device) and range even once prepared: a generic plan reads
        # every reading of the range and sorts them (lib.plans). Plain rows, and each device and
        # patient of the page once: building 1000 model instances with their relations was a
        # large share of a page's time (docs/performance.md).
        with custom_plans():
            rows, token = paginate(
                wire.reading_rows(qs),
                time_field="measured_at",
                token=cursor_from(request),
                salt="pylo.readings",
                query=request.data,
                position=wire.reading_position,
            )
            # By pk, as select_related would: these rows are the company's own readings, and one
            # whose device has since moved to another company still names it, as wire.reading
            # (the webhook) does; a fetch scoped to the company would write it without its
            # device.
            device_ids, patient_ids = wire.related_ids(rows)
            devices = (
                list(Device.objects.filter(pk__in=device_ids).values_list(*wire.DEVICE_COLUMNS))
                if device_ids
                else []
            )
            patients = (
                dict(Patient.objects.filter(pk__in=patient_ids).values_list("pk", "external_id"))
                if patient_ids
                else {}
            )
        return Response(
            {
                "count": len(rows),
                "measurements": wire.readings(rows, devices, patients),
                "page_info": {"cursor_token": token},
            }
        )


def _only(queryset, field: str, matches):
    """Keep the rows whose ``field`` is the one row of ``matches``; none if there is none."""
    pk = matches.values_list("pk", flat=True).first()
    return queryset.filter(**{field: pk}) if pk is not None else queryset.none()


def _is_uuid(text: str) -> bool:
    import uuid

    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


class OrdersView(PyloView):
    """``POST /orders`` (place), ``GET /orders`` (all, or one by ``?number=``), ``PATCH /orders``
    (or ``PUT``, as the document's Python sample sends it)."""

    def _orders(self):
        return (
            Order.objects.for_company(self.company)
            .select_related("patient")
            .prefetch_related(Prefetch("lines", OrderLine.objects.select_related("model")))
        )

    def _get(self, number: str) -> Order:
        order = self._orders().filter(number=number).first()
        if order is None:
            raise exceptions.NotFound(f"Not Found -- no order with number {number}")
        return order

    @extend_schema(
        parameters=[
            OpenApiParameter("number", str, description="One order's number."),
            *CURSOR_PARAMS,
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        number = request.query_params.get("number")
        if number:
            return Response(wire.order(self._get(number)))
        rows, token = paginate(
            Order.objects.for_company(self.company).values_list(*wire.ORDER_COLUMNS),
            time_field="placed_at",
            token=cursor_from(request),
            salt="pylo.orders",
            position=wire.order_position,
        )
        return Response(
            {
                "count": len(rows),
                "orders": wire.order_page(rows),
                "page_info": {"cursor_token": token},
            }
        )

    @extend_schema(request=serializers.PlaceOrder, responses=OpenApiTypes.OBJECT)
    def post(self, request):
        order_request = self.validated(serializers.PlaceOrder).to_request()
        try:
            order = place_order(self.company, order_request)
        except OrderError as exc:
            raise exceptions.ValidationError({"devices": [str(exc)]}) from None
        return Response({"status": "OK", "order_number": order.number})

    @extend_schema(request=serializers.UpdateOrder, responses=OpenApiTypes.OBJECT)
    def patch(self, request):
        changes = self.validated(serializers.UpdateOrder).validated_data
        order = self._get(changes["order_number"])
        update_order(
            order, patient_id=changes.get("patient_id"), practice_id=changes.get("practice_id")
        )
        return Response({"status": "OK", "updated order number": order.number})

    # The document's HTTP line and curl sample say PATCH, its own Python sample ``requests.put``:
    # both are the same update.
    @extend_schema(request=serializers.UpdateOrder, responses=OpenApiTypes.OBJECT)
    def put(self, request):
        return self.patch(request)


class CancelOrderView(PyloView):
    """``PUT /orders/{order_number}/cancel``: only before shipping, with no IMEIs attached."""

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def put(self, request, number: str):
        order = Order.objects.for_company(self.company).filter(number=number).first()
        if order is None:
            raise exceptions.NotFound(f"Not Found -- no order with number {number}")
        try:
            cancel_order(order)
        except OrderError as exc:
            raise exceptions.ValidationError({"order_number": [str(exc)]}) from None
        return Response({"status": "OK", "cancelled order number": order.number})
