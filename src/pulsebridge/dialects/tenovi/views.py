"""The Tenovi HWI API under ``/tenovi/clients/{client_domain}/hwi/``.

``client_domain`` is the company's code; a key used on another company's domain is answered 404,
as any object of another company. Errors are DRF's own shape (``{"detail": ...}`` or
``{"field": [...]}``)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from typing import Any

import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpResponsePermanentRedirect
from django.http.response import HttpResponseRedirectBase
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from pulsebridge.core.drf import (
    HasUsagePlan,
    HeaderApiKeyAuthentication,
    RefusesNulCharacters,
    UsagePlanThrottle,
)
from pulsebridge.devices.models import (
    DeviceModel,
    Enrolment,
    EnrolmentBinding,
    EnrolmentProperty,
    Patient,
    Replacement,
)
from pulsebridge.devices.services import DeviceError
from pulsebridge.errors import not_found
from pulsebridge.fulfillment import enrolments
from pulsebridge.fulfillment.enrolments import FieldError
from pulsebridge.fulfillment.services import OrderError
from pulsebridge.readings.models import Measurement
from pulsebridge.webhooks import services as webhook_services
from pulsebridge.webhooks.models import WebhookEndpoint
from pulsebridge.webhooks.services import WebhookError

from . import serializers, wire
from . import webhooks as tenovi_webhooks_module

MAX_UNPAGINATED = 1000


class TenoviKeyAuthentication(HeaderApiKeyAuthentication):
    """``Authorization: Api-Key <key>`` (``Api-Key`` is case-sensitive)."""

    header = "Authorization"
    scheme = "Api-Key"
    dialect = "tenovi"


class Refused(exceptions.APIException):
    """A request that is well-formed but that the rules refuse: 400 ``{"detail": ...}``."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"


def _nested(path: str, message: str) -> dict[str, Any]:
    head, _, rest = path.partition(".")
    return {head: _nested(rest, message) if rest else [message]}


@contextmanager
def domain_errors():
    """Domain rules broken become 400: naming the field when the rule is about one."""
    try:
        yield
    except FieldError as exc:
        raise exceptions.ValidationError(_nested(exc.field, str(exc))) from None
    except (DeviceError, OrderError) as exc:
        raise Refused(str(exc)) from None


class Pages(PageNumberPagination):
    """``?page=N`` (and ``page_size``, default 100, at most 1000) switches a list to
    ``{"count", "next", "previous", "results"}``."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class TenoviView(RefusesNulCharacters, APIView):
    authentication_classes = [TenoviKeyAuthentication]
    permission_classes = [HasUsagePlan]
    throttle_classes = [UsagePlanThrottle]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if kwargs.get("client_domain") != request.auth.company.code:
            raise exceptions.NotFound()

    @property
    def company(self):
        return self.request.auth.company

    def validated(self, serializer_class, *, partial: bool = False):
        serializer = serializer_class(data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return serializer

    def listing(self, rows: QuerySet | list, render: Callable[[Any], Any]) -> Response:
        """A flat array of at most 1,000 items, or a page when ``?page=`` is given."""
        if "page" in self.request.query_params:
            pages = Pages()
            page = pages.paginate_queryset(rows, self.request, view=self)
            return pages.get_paginated_response([render(r) for r in page])
        return Response([render(r) for r in rows[:MAX_UNPAGINATED]])


# ----------------------------------------------------------------------------- HWI devices


def hwi_devices(company) -> QuerySet:
    shared = Enrolment.objects.filter(
        company=OuterRef("company"), hardware_uuid=OuterRef("hardware_uuid")
    ).exclude(pk=OuterRef("pk"))
    return (
        Enrolment.objects.for_company(company)
        .select_related("model", "patient", "order")
        .annotate(shared_hardware_uuid=Exists(shared))
        .order_by("created_at", "id")
    )


class HwiDeviceFilter(django_filters.FilterSet):
    device__hardware_uuid = django_filters.CharFilter(field_name="hardware_uuid")
    device__hardware_uuid__iexact = django_filters.CharFilter(
        field_name="hardware_uuid", lookup_expr="iexact"
    )
    patient__external_id = django_filters.CharFilter(field_name="patient__external_id")
    properties__key = django_filters.CharFilter(field_name="properties__key", distinct=True)
    properties__value = django_filters.CharFilter(field_name="properties__value", distinct=True)
    search = django_filters.CharFilter(method="search_in")

    class Meta:
        model = Enrolment
        fields: list[str] = []

    def search_in(self, queryset, name, value):
        """Gateway id / IMEI, patient id, name or phone, device name: any part of them."""
        value = value.strip()
        if not value:
            return queryset
        match = (
            Q(hardware_uuid__icontains=value)
            | Q(patient__external_id__icontains=value)
            | Q(patient__name__icontains=value)
            | Q(patient__phone_number__icontains=value)
            | Q(model__name__icontains=value)
        )
        if _uuid(value) is not None:
            match |= Q(pk=_uuid(value))
        return queryset.filter(match)


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _filtered(filterset_class, params, queryset) -> QuerySet:
    filterset = filterset_class(params, queryset=queryset)
    if not filterset.is_valid():
        raise exceptions.ValidationError(filterset.errors)
    return filterset.qs


class HwiDevicesView(TenoviView):
    """``hwi/hwi-devices/``: list (with filters) and activate."""

    @extend_schema(operation_id="hwi_devices_list", responses=OpenApiTypes.OBJECT)
    def get(self, request, client_domain):
        rows = _filtered(HwiDeviceFilter, request.query_params, hwi_devices(self.company))
        return self.listing(rows, wire.hwi_device)

    @extend_schema(request=serializers.HwiDevice, responses={201: OpenApiTypes.OBJECT})
    def post(self, request, client_domain):
        activation = self.validated(serializers.HwiDevice).activation()
        with domain_errors():
            enrolment = enrolments.activate(self.company, activation)
        enrolment = hwi_devices(self.company).get(pk=enrolment.pk)
        return Response(wire.hwi_device(enrolment), status=status.HTTP_201_CREATED)


class HwiDeviceView(TenoviView):
    """``hwi/hwi-devices/{id}/``: read, change (PUT/PATCH), delete."""

    def _get(self, pk) -> Enrolment:
        enrolment = hwi_devices(self.company).filter(pk=pk).first()
        if enrolment is None:
            raise exceptions.NotFound()
        return enrolment

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, client_domain, pk):
        return Response(wire.hwi_device(self._get(pk)))

    def _change(self, pk, *, partial: bool) -> Response:
        enrolment = self._get(pk)
        changes = self.validated(serializers.HwiDevice, partial=partial).changes()
        with domain_errors():
            enrolments.update(enrolment, **changes)
        return Response(wire.hwi_device(self._get(pk)))

    @extend_schema(request=serializers.HwiDevice, responses=OpenApiTypes.OBJECT)
    def put(self, request, client_domain, pk):
        return self._change(pk, partial=False)

    @extend_schema(request=serializers.HwiDevice, responses=OpenApiTypes.OBJECT)
    def patch(self, request, client_domain, pk):
        return self._change(pk, partial=True)

    @extend_schema(responses={204: None})
    def delete(self, request, client_domain, pk):
        enrolment = self._get(pk)
        with domain_errors():
            enrolments.delete(enrolment)
        return Response(status=status.HTTP_204_NO_CONTENT)


class UnlinkGatewayView(HwiDeviceView):
    """``hwi/unlink-gateway/{id}/``: always succeeds; the device has no hardware afterwards."""

    http_method_names = ["get", "head", "options"]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, client_domain, pk):
        enrolments.unlink(self._get(pk))
        return Response(wire.hwi_device(self._get(pk)))


# ----------------------------------------------------------------------------- device types


class DeviceTypesView(TenoviView):
    @extend_schema(operation_id="hwi_device_types_list", responses=OpenApiTypes.OBJECT)
    def get(self, request, client_domain):
        return self.listing(enrolments.device_types(), wire.device_type)


class DeviceTypeView(TenoviView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, client_domain, pk):
        found: DeviceModel | None = next((m for m in enrolments.device_types() if m.pk == pk), None)
        if found is None:
            raise exceptions.NotFound()
        return Response(wire.device_type(found))


# ----------------------------------------------------------------------------- properties


class PropertiesView(HwiDeviceView):
    """``hwi/hwi-devices/{id}/properties/``: POST of a key the device has changes its value."""

    http_method_names = ["get", "post", "head", "options"]

    @extend_schema(operation_id="hwi_devices_properties_list", responses=OpenApiTypes.OBJECT)
    def get(self, request, client_domain, pk):
        return self.listing(self._get(pk).properties.all(), wire.hwi_property)

    @extend_schema(request=serializers.Property, responses={201: OpenApiTypes.OBJECT})
    def post(self, request, client_domain, pk):
        enrolment = self._get(pk)
        data = self.validated(serializers.Property).validated_data
        with domain_errors():
            prop, created = enrolments.set_property(enrolment, data["key"], data["value"])
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(wire.hwi_property(prop), status=code)


class PropertyView(HwiDeviceView):
    def _property(self, pk, property_id) -> EnrolmentProperty:
        prop = self._get(pk).properties.filter(pk=property_id).first()
        if prop is None:
            raise exceptions.NotFound()
        return prop

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, client_domain, pk, property_id):
        return Response(wire.hwi_property(self._property(pk, property_id)))

    def _change(self, pk, property_id, *, partial: bool) -> Response:
        prop = self._property(pk, property_id)
        data = self.validated(serializers.Property, partial=partial).validated_data
        with domain_errors():
            enrolments.change_property(prop, key=data.get("key"), value=data.get("value"))
        return Response(wire.hwi_property(prop))

    @extend_schema(request=serializers.Property, responses=OpenApiTypes.OBJECT)
    def put(self, request, client_domain, pk, property_id):
        return self._change(pk, property_id, partial=False)

    @extend_schema(request=serializers.Property, responses=OpenApiTypes.OBJECT)
    def patch(self, request, client_domain, pk, property_id):
        return self._change(pk, property_id, partial=True)

    @extend_schema(responses={204: None})
    def delete(self, request, client_domain, pk, property_id):
        self._property(pk, property_id).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


# ----------------------------------------------------------------------------- measurements


class MeasurementFilter(django_filters.FilterSet):
    """``metric__name`` is applied to the items; the time filters to the readings (created =
    when it was received, timestamp = when it was measured), UTC."""

    created__gte = django_filters.IsoDateTimeFilter(field_name="received_at", lookup_expr="gte")
    created__lt = django_filters.IsoDateTimeFilter(field_name="received_at", lookup_expr="lt")
    created__lte = django_filters.IsoDateTimeFilter(field_name="received_at", lookup_expr="lte")
    timestamp__gte = django_filters.IsoDateTimeFilter(field_name="measured_at", lookup_expr="gte")
    timestamp__lt = django_filters.IsoDateTimeFilter(field_name="measured_at", lookup_expr="lt")
    timestamp__lte = django_filters.IsoDateTimeFilter(field_name="measured_at", lookup_expr="lte")
    metric__name = django_filters.CharFilter(method="producing")

    class Meta:
        model = Measurement
        fields: list[str] = []

    def producing(self, queryset, name, value):
        """Only readings that can yield that metric (the items are filtered afterwards)."""
        if value == "battery_percentage":
            return queryset.filter(battery__isnull=False)
        kinds = [k for k, names in wire.METRICS_BY_KIND.items() if value in names]
        return queryset.filter(kind__in=kinds)


class MeasurementsView(TenoviView):
    """Items shaped like the measurement webhook, newest reading first."""

    def readings(self, **kwargs) -> QuerySet:
        raise NotImplementedError

    def enrolment_of(self, rows: list[Measurement]) -> Callable[[Measurement], Enrolment | None]:
        raise NotImplementedError

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, client_domain, **kwargs):
        readings = (
            self.readings(**kwargs)
            .select_related("device__model", "device__gateway", "patient")
            .order_by("-measured_at", "-id")
        )
        readings = _filtered(MeasurementFilter, request.query_params, readings)
        metric = request.query_params.get("metric__name") or None
        paged = "page" in request.query_params
        items: list[dict[str, Any]] = []
        for chunk in _chunks(readings.iterator(chunk_size=500), 500):
            enrolment_of = self.enrolment_of(chunk)
            for m in chunk:
                items.extend(wire.measurement_items(m, enrolment_of(m), metric=metric))
            if not paged and len(items) >= MAX_UNPAGINATED:
                break
        return self.listing(items, lambda item: item)


def _chunks(iterable: Iterable, size: int) -> Iterable[list]:
    chunk = []
    for row in iterable:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _bound_when(bindings: list[EnrolmentBinding], m: Measurement) -> EnrolmentBinding | None:
    for b in bindings:
        if b.bound_at <= m.received_at and (b.unbound_at is None or m.received_at < b.unbound_at):
            return b
    return None


class DeviceMeasurementsView(MeasurementsView, HwiDeviceView):
    """``hwi/hwi-devices/{id}/measurements/``: what its hardware sent while bound to it, across
    replacements."""

    http_method_names = ["get", "head", "options"]

    def readings(self, pk) -> QuerySet:
        self.enrolment = self._get(pk)
        bindings = list(self.enrolment.bindings.all())
        if not bindings:
            return Measurement.objects.none()
        window = Q()
        for b in bindings:
            one = Q(device_id=b.device_id, received_at__gte=b.bound_at)
            if b.unbound_at is not None:
                one &= Q(received_at__lt=b.unbound_at)
            window |= one
        return Measurement.objects.for_company(self.company).filter(window)

    def enrolment_of(self, rows):
        return lambda m: self.enrolment


class PatientMeasurementsView(MeasurementsView):
    """``hwi/patients/{external_id}/measurements/``: every reading taken for the patient."""

    def readings(self, external_id) -> QuerySet:
        patient = Patient.objects.for_company(self.company).filter(external_id=external_id).first()
        if patient is None:
            raise exceptions.NotFound()
        return Measurement.objects.for_company(self.company).filter(patient=patient)

    def enrolment_of(self, rows):
        bindings: dict[Any, list[EnrolmentBinding]] = {}
        for b in EnrolmentBinding.objects.filter(
            device_id__in={m.device_id for m in rows}
        ).select_related("enrolment"):
            bindings.setdefault(b.device_id, []).append(b)

        def of(m: Measurement) -> Enrolment | None:
            found = _bound_when(bindings.get(m.device_id, []), m)
            return found.enrolment if found is not None else None

        return of


# ----------------------------------------------------------------------------- replacements


def replacements(company) -> QuerySet:
    return (
        Replacement.objects.for_company(company)
        .select_related("order", "enrolment__model")
        .order_by("created_at", "id")
    )


class ReplacementsView(TenoviView):
    @extend_schema(operation_id="hwi_replacements_list", responses=OpenApiTypes.OBJECT)
    def get(self, request, client_domain):
        return self.listing(replacements(self.company), wire.replacement)

    @extend_schema(request=serializers.ReplacementRequest, responses={201: OpenApiTypes.OBJECT})
    def post(self, request, client_domain):
        body = self.validated(serializers.ReplacementRequest)
        data = body.validated_data
        enrolment = (
            Enrolment.objects.for_company(self.company)
            .select_related("company", "model", "patient", "gateway")
            .filter(pk=data["hwi_device_id"])
            .first()
        )
        if enrolment is None:
            raise exceptions.ValidationError(
                {"hwi_device_id": ["no HWI device of this client has that id"]}
            )
        names = [t["name"] for t in data["device_types"]]
        with domain_errors():
            replacement = enrolments.request_replacement(
                self.company, enrolment, names, body.shipping()
            )
        replacement = replacements(self.company).get(pk=replacement.pk)
        return Response(wire.replacement(replacement), status=status.HTTP_201_CREATED)


class ReplacementView(TenoviView):
    def _get(self, pk) -> Replacement:
        found = replacements(self.company).filter(pk=pk).first()
        if found is None:
            raise exceptions.NotFound()
        return found

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, client_domain, pk):
        return Response(wire.replacement(self._get(pk)))

    @extend_schema(responses={204: None})
    def delete(self, request, client_domain, pk):
        with domain_errors():
            enrolments.delete_replacement(self._get(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


# ----------------------------------------------------------------------------- webhooks

WEBHOOK_FIELDS = {"url": "endpoint"}


@contextmanager
def webhook_errors():
    """``WebhookError("url: ...")`` names its field first: answered as that field's error."""
    try:
        yield
    except WebhookError as exc:
        name, _, message = str(exc).partition(": ")
        raise exceptions.ValidationError({WEBHOOK_FIELDS.get(name, name): [message]}) from None


def tenovi_webhooks(company) -> QuerySet:
    return (
        WebhookEndpoint.objects.for_company(company)
        .filter(format=WebhookEndpoint.Format.TENOVI)
        .order_by("created_at", "id")
    )


class WebhooksView(TenoviView):
    """``hwi/webhooks/``: the company's Tenovi webhooks (its Pylo ones are not listed)."""

    @extend_schema(operation_id="hwi_webhooks_list", responses=OpenApiTypes.OBJECT)
    def get(self, request, client_domain):
        return self.listing(tenovi_webhooks(self.company), wire.webhook)

    @extend_schema(request=serializers.Webhook, responses={201: OpenApiTypes.OBJECT})
    def post(self, request, client_domain):
        data = self.validated(serializers.Webhook).validated_data
        with webhook_errors():
            endpoint = webhook_services.create_endpoint(
                self.company,
                data["endpoint"],
                webhook_services.new_secret(),
                WebhookEndpoint.Format.TENOVI,
                [tenovi_webhooks_module.EVENTS[data.get("event", "MEASUREMENT")]],
                auth_header=data.get("auth_header", ""),
                auth_key=data.get("auth_key", ""),
                post_as_array=data.get("post_as_array", False),
                enabled_by_default=data.get("enabled_by_default", True),
            )
        return Response(wire.webhook(endpoint), status=status.HTTP_201_CREATED)


class WebhookView(TenoviView):
    def _get(self, pk) -> WebhookEndpoint:
        found = tenovi_webhooks(self.company).filter(pk=pk).first()
        if found is None:
            raise exceptions.NotFound()
        return found

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, client_domain, pk):
        return Response(wire.webhook(self._get(pk)))

    def _change(self, pk, *, partial: bool) -> Response:
        endpoint = self._get(pk)
        data = self.validated(serializers.Webhook, partial=partial).validated_data
        event = data.get("event")
        with webhook_errors():
            webhook_services.change_endpoint(
                endpoint,
                url=data.get("endpoint"),
                event_types=[tenovi_webhooks_module.EVENTS[event]] if event else None,
                auth_header=data.get("auth_header"),
                auth_key=data.get("auth_key"),
                post_as_array=data.get("post_as_array"),
                enabled_by_default=data.get("enabled_by_default"),
            )
        return Response(wire.webhook(endpoint))

    @extend_schema(request=serializers.Webhook, responses=OpenApiTypes.OBJECT)
    def put(self, request, client_domain, pk):
        return self._change(pk, partial=False)

    @extend_schema(request=serializers.Webhook, responses=OpenApiTypes.OBJECT)
    def patch(self, request, client_domain, pk):
        return self._change(pk, partial=True)

    @extend_schema(responses={204: None})
    def delete(self, request, client_domain, pk):
        self._get(pk).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


# ----------------------------------------------------------------------------- trailing slash


class PermanentRedirectKeepingMethod(HttpResponseRedirectBase):
    status_code = 308


@csrf_exempt  # an API path, authenticated by key: it never carries a CSRF token
def add_slash(request, path: str):
    """Tenovi's paths end with ``/``; without it the answer is a redirect to the same path with
    it (301 for GET and HEAD, as Django's APPEND_SLASH; 308 otherwise so that a POST stays a
    POST with its body). Nothing is redirected to a path that does not exist."""
    target = request.path + "/"
    try:
        resolve(target)
    except Resolver404:
        return not_found(request)
    query = request.META.get("QUERY_STRING", "")
    if query:
        target = f"{target}?{query}"
    if request.method in ("GET", "HEAD"):
        return HttpResponsePermanentRedirect(target)
    return PermanentRedirectKeepingMethod(target)
