"""The Tenovi HWI API under ``/tenovi/clients/{client_domain}/hwi/``: HWI devices, device types,
properties, measurements, replacements and webhooks. Patients, gateways, bulk orders and the
webhook tools are in their own modules."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import django_filters
from django.db.models import BooleanField, Case, Exists, OuterRef, Q, QuerySet, Value, When
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response

from pulsebridge.devices import assignments
from pulsebridge.devices.models import (
    DeviceModel,
    Enrolment,
    EnrolmentProperty,
    Patient,
    Replacement,
)
from pulsebridge.fulfillment import enrolments
from pulsebridge.fulfillment.models import Order
from pulsebridge.lib import slashes
from pulsebridge.readings.models import Measurement
from pulsebridge.webhooks import services as webhook_services
from pulsebridge.webhooks.models import WebhookEndpoint
from pulsebridge.webhooks.services import WebhookError

from . import schema, serializers, wire
from .base import (
    MAX_UNPAGINATED,
    TenoviView,
    domain_errors,
    filtered,
    flag,
    parse_uuid,
    search_term,
)

# ----------------------------------------------------------------------------- HWI devices


def hwi_devices(company) -> QuerySet:
    shared = Enrolment.objects.filter(
        company=OuterRef("company"), hardware_uuid=OuterRef("hardware_uuid")
    ).exclude(pk=OuterRef("pk"))
    # Another request for the same device type to the same address; asked only of devices
    # that have a request, through the orders' (company, postal code) index.
    same_address = (
        Order.objects.filter(
            company=OuterRef("company"),
            postal_code=OuterRef("order__postal_code"),
            address1=OuterRef("order__address1"),
            enrolments__model=OuterRef("model"),
        )
        .exclude(pk=OuterRef("order"))
        .exclude(status=Order.Status.CANCELLED)
    )
    duplicate = Case(
        When(Q(order__isnull=True) | Q(order__address1=""), then=Value(False)),
        default=Exists(same_address),
        output_field=BooleanField(),
    )
    return (
        Enrolment.objects.for_company(company)
        .select_related("model", "patient", "order")
        .annotate(shared_hardware_uuid=Exists(shared), duplicate_at_address=duplicate)
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
        if parse_uuid(value) is not None:
            match |= Q(pk=parse_uuid(value))
        return queryset.filter(match)


class HwiDevicesView(TenoviView):
    """``hwi/hwi-devices/``: list (with filters) and activate."""

    @extend_schema(**schema.operation("hwi-devices_list"))
    def get(self, request, client_domain):
        rows = filtered(HwiDeviceFilter, request.query_params, hwi_devices(self.company))
        return self.listing(rows, wire.hwi_device)

    @extend_schema(**schema.operation("hwi-devices_create"))
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

    @extend_schema(**schema.operation("hwi-devices_read"))
    def get(self, request, client_domain, id):
        return Response(wire.hwi_device(self._get(id)))

    def _change(self, pk, *, partial: bool) -> Response:
        enrolment = self._get(pk)
        changes = self.validated(serializers.HwiDevice, partial=partial).changes()
        with domain_errors():
            enrolments.update(enrolment, **changes)
        return Response(wire.hwi_device(self._get(pk)))

    @extend_schema(**schema.operation("hwi-devices_update"))
    def put(self, request, client_domain, id):
        return self._change(id, partial=False)

    @extend_schema(**schema.operation("hwi-devices_partial_update"))
    def patch(self, request, client_domain, id):
        return self._change(id, partial=True)

    @extend_schema(**schema.operation("hwi-devices_delete"))
    def delete(self, request, client_domain, id):
        enrolment = self._get(id)
        with domain_errors():
            enrolments.delete(enrolment)
        return Response(status=status.HTTP_204_NO_CONTENT)


class UnlinkGatewayView(HwiDeviceView):
    """``hwi/unlink-gateway/{id}/``: always succeeds; the device has no hardware afterwards."""

    http_method_names = ["get", "head", "options"]

    @extend_schema(**schema.operation("unlink-gateway_read"))
    def get(self, request, client_domain, id):
        with domain_errors():
            enrolments.unlink(self._get(id))
        return Response(wire.hwi_device(self._get(id)))


# ----------------------------------------------------------------------------- device types


def _matching(rows: list, term: str, *texts: Callable[[Any], str]) -> list:
    if not term:
        return rows
    term = term.lower()
    return [r for r in rows if any(term in (text(r) or "").lower() for text in texts)]


class DeviceTypesView(TenoviView):
    @extend_schema(**schema.operation("hwi-device-types_list"))
    def get(self, request, client_domain):
        rows = _matching(
            enrolments.device_types(),
            search_term(request.query_params),
            lambda m: m.name,
            lambda m: m.sku,
        )
        return self.listing(rows, wire.device_type)


class DeviceTypeView(TenoviView):
    @extend_schema(**schema.operation("hwi-device-types_read"))
    def get(self, request, client_domain, id):
        # the Swagger's UUID; the catalogue row number answered before it is still understood
        found: DeviceModel | None = next(
            (m for m in enrolments.device_types() if id in (wire.device_type_id(m), str(m.pk))),
            None,
        )
        if found is None:
            raise exceptions.NotFound()
        return Response(wire.device_type(found))


# ----------------------------------------------------------------------------- properties


def _check_route(company, key: str, value: str) -> None:
    """``measurement_webhook_id`` must name one of the client's Tenovi webhooks."""
    if key.strip() != wire.MEASUREMENT_WEBHOOK_KEY:
        return
    if not tenovi_webhooks(company).filter(pk=parse_uuid(value.strip())).exists():
        raise exceptions.ValidationError(
            {"value": [f"{value!r} is not the id of one of this client's webhooks"]}
        )


class PropertiesView(HwiDeviceView):
    """``hwi/hwi-devices/{hwi_device_id}/properties/``: POST of a key the device has changes its
    value."""

    http_method_names = ["get", "post", "head", "options"]

    @extend_schema(**schema.operation("hwi-devices_properties_list"))
    def get(self, request, client_domain, hwi_device_id):
        rows = self._get(hwi_device_id).properties.all()
        term = search_term(request.query_params)
        if term:
            rows = rows.filter(Q(key__icontains=term) | Q(value__icontains=term))
        return self.listing(rows, wire.hwi_property)

    @extend_schema(**schema.operation("hwi-devices_properties_create"))
    def post(self, request, client_domain, hwi_device_id):
        enrolment = self._get(hwi_device_id)
        data = self.validated(serializers.Property).validated_data
        value = data.get("value") or ""
        _check_route(self.company, data["key"], value)
        with domain_errors():
            prop, created = enrolments.set_property(enrolment, data["key"], value)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(wire.hwi_property(prop), status=code)


class PropertyView(HwiDeviceView):
    def _property(self, hwi_device_id, pk) -> EnrolmentProperty:
        prop = self._get(hwi_device_id).properties.filter(pk=pk).first()
        if prop is None:
            raise exceptions.NotFound()
        return prop

    @extend_schema(**schema.operation("hwi-devices_properties_read"))
    def get(self, request, client_domain, hwi_device_id, id):
        return Response(wire.hwi_property(self._property(hwi_device_id, id)))

    def _change(self, hwi_device_id, pk, *, partial: bool) -> Response:
        prop = self._property(hwi_device_id, pk)
        data = self.validated(serializers.Property, partial=partial).validated_data
        key = data.get("key")
        value = (data.get("value") or "") if "value" in data else None
        _check_route(self.company, key or prop.key, prop.value if value is None else value)
        with domain_errors():
            enrolments.change_property(prop, key=key, value=value)
        return Response(wire.hwi_property(prop))

    @extend_schema(**schema.operation("hwi-devices_properties_update"))
    def put(self, request, client_domain, hwi_device_id, id):
        return self._change(hwi_device_id, id, partial=False)

    @extend_schema(**schema.operation("hwi-devices_properties_partial_update"))
    def patch(self, request, client_domain, hwi_device_id, id):
        return self._change(hwi_device_id, id, partial=True)

    @extend_schema(**schema.operation("hwi-devices_properties_delete"))
    def delete(self, request, client_domain, hwi_device_id, id):
        enrolments.delete_property(self._property(hwi_device_id, id))
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


def _chunks(iterable: Iterable, size: int) -> Iterable[list]:
    chunk = []
    for row in iterable:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class MeasurementsView(TenoviView):
    """Items shaped like the measurement webhook, newest reading first; only readings of HWI
    devices (``devices.assignments.with_hwi_assignment``)."""

    def readings(self, **kwargs) -> QuerySet:
        raise NotImplementedError

    def get(self, request, client_domain, **kwargs):
        readings = (
            self.readings(**kwargs)
            .filter(hwi_assignment__isnull=False)
            .select_related("patient")
            .order_by("-measured_at", "-id")
        )
        readings = filtered(MeasurementFilter, request.query_params, readings)
        metric = request.query_params.get("metric__name") or None
        term = search_term(request.query_params).lower()
        paged = "page" in request.query_params
        items: list[dict[str, Any]] = []
        for chunk in _chunks(readings.iterator(chunk_size=500), 500):
            rows = assignments.by_id(m.hwi_assignment for m in chunk)
            for m in chunk:
                found = wire.measurement_items(m, rows[m.hwi_assignment], metric=metric)
                items.extend(i for i in found if not term or _mentions(i, term))
            if not paged and len(items) >= MAX_UNPAGINATED:
                break
        return self.listing(items, lambda item: item)


def _mentions(item: dict[str, Any], term: str) -> bool:
    return any(term in (item[k] or "").lower() for k in ("metric", "device_name", "hardware_uuid"))


class DeviceMeasurementsView(MeasurementsView, HwiDeviceView):
    """``hwi/hwi-devices/{hwi_device_id}/measurements/``: what its hardware sent while bound to
    it, across replacements."""

    http_method_names = ["get", "head", "options"]

    def readings(self, hwi_device_id) -> QuerySet:
        enrolment = self._get(hwi_device_id)
        return assignments.readings_of_enrolment(
            Measurement.objects.for_company(self.company), enrolment
        )

    @extend_schema(**schema.operation("hwi-devices_measurements_list"))
    def get(self, request, client_domain, hwi_device_id):
        return super().get(request, client_domain, hwi_device_id=hwi_device_id)


class PatientMeasurementsView(MeasurementsView):
    """``hwi/patients/{patient_external_id}/measurements/``: every reading taken for the
    patient by an HWI device."""

    def readings(self, patient_external_id) -> QuerySet:
        patient = (
            Patient.objects.for_company(self.company)
            .filter(external_id=patient_external_id)
            .first()
        )
        if patient is None:
            raise exceptions.NotFound()
        return assignments.with_hwi_assignment(
            Measurement.objects.for_company(self.company).filter(patient=patient)
        )

    @extend_schema(**schema.operation("patients_measurements_list"))
    def get(self, request, client_domain, patient_external_id):
        return super().get(request, client_domain, patient_external_id=patient_external_id)


# ----------------------------------------------------------------------------- replacements


def replacements(company) -> QuerySet:
    return (
        Replacement.objects.for_company(company)
        .select_related("order", "enrolment__model")
        .order_by("created_at", "id")
    )


class ReplacementsView(TenoviView):
    @extend_schema(**schema.operation("hwi-replacements_list"))
    def get(self, request, client_domain):
        rows = replacements(self.company)
        fulfilled = flag(request.query_params, "fulfilled")
        if fulfilled is not None:
            done = Q(order__status__in=[Order.Status.SHIPPED, Order.Status.DELIVERED,
                                        Order.Status.RETURNED])  # fmt: skip
            rows = rows.filter(done) if fulfilled else rows.exclude(done)
        term = search_term(request.query_params)
        if term:
            rows = rows.filter(
                Q(order__number__icontains=term)
                | Q(old_hardware_uuid__icontains=term)
                | Q(new_hardware_uuid__icontains=term)
                | Q(order__shipping_name__icontains=term)
            )
        return self.listing(rows, wire.replacement)

    @extend_schema(**schema.operation("hwi-replacements_create"))
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

    @extend_schema(**schema.operation("hwi-replacements_read"))
    def get(self, request, client_domain, id):
        return Response(wire.replacement(self._get(id)))

    @extend_schema(**schema.operation("hwi-replacements_delete"))
    def delete(self, request, client_domain, id):
        with domain_errors():
            enrolments.delete_replacement(self._get(id))
        return Response(status=status.HTTP_204_NO_CONTENT)


# ----------------------------------------------------------------------------- webhooks


def webhook_field_errors(exc: WebhookError) -> exceptions.ValidationError:
    """``WebhookError("url: ...")`` names its field first: answered as that field's error, by
    the name the Tenovi body gives it (the header's name is ``auth_key``, its value
    ``auth_header``)."""
    name, _, message = str(exc).partition(": ")
    field = {"url": "endpoint", "auth_header": "auth_key", "auth_key": "auth_header"}.get(
        name, name
    )
    return exceptions.ValidationError({field: [message]})


def tenovi_webhooks(company) -> QuerySet:
    return (
        WebhookEndpoint.objects.for_company(company)
        .filter(format=WebhookEndpoint.Format.TENOVI)
        .order_by("created_at", "id")
    )


def auth(data: dict[str, Any], endpoint: WebhookEndpoint | None = None) -> dict[str, Any]:
    """The header every delivery carries, as the domain keeps it (name, value), from the Tenovi
    body: ``auth_key`` is the name (``Authorization`` unless given), ``auth_header`` the value.
    What the body leaves out stays as it was."""
    if "auth_header" not in data and "auth_key" not in data:
        return {}
    value = data["auth_header"] if "auth_header" in data else getattr(endpoint, "auth_key", "")
    name = data["auth_key"] if "auth_key" in data else getattr(endpoint, "auth_header", "")
    value, name = (value or "").strip(), (name or "").strip()
    if value and not name:
        name = wire.DEFAULT_AUTH_HEADER
    return {"auth_header": name, "auth_key": value}


class WebhooksView(TenoviView):
    """``hwi/webhooks/``: the company's Tenovi webhooks (its Pylo ones are not listed)."""

    @extend_schema(**schema.operation("webhooks_list"))
    def get(self, request, client_domain):
        rows = tenovi_webhooks(self.company)
        term = search_term(request.query_params)
        if term:
            rows = rows.filter(url__icontains=term)
        return self.listing(rows, wire.webhook)

    @extend_schema(**schema.operation("webhooks_create"))
    def post(self, request, client_domain):
        data = self.validated(serializers.Webhook).validated_data
        try:
            endpoint = webhook_services.create_endpoint(
                self.company,
                data["endpoint"],
                data.get("secret") or webhook_services.new_secret(),
                WebhookEndpoint.Format.TENOVI,
                [wire.EVENTS[data.get("event", "MEASUREMENT")]],
                post_as_array=data.get("post_as_array", False),
                enabled_by_default=data.get("enabled_by_default", True),
                **auth(data),
            )
        except WebhookError as exc:
            raise webhook_field_errors(exc) from None
        return Response(wire.webhook(endpoint), status=status.HTTP_201_CREATED)


class WebhookView(TenoviView):
    def _get(self, pk) -> WebhookEndpoint:
        found = tenovi_webhooks(self.company).filter(pk=pk).first()
        if found is None:
            raise exceptions.NotFound()
        return found

    @extend_schema(**schema.operation("webhooks_read"))
    def get(self, request, client_domain, id):
        return Response(wire.webhook(self._get(id)))

    def _change(self, pk, *, partial: bool) -> Response:
        endpoint = self._get(pk)
        data = self.validated(serializers.Webhook, partial=partial).validated_data
        event = data.get("event")
        try:
            webhook_services.change_endpoint(
                endpoint,
                url=data.get("endpoint"),
                event_types=[wire.EVENTS[event]] if event else None,
                post_as_array=data.get("post_as_array"),
                enabled_by_default=data.get("enabled_by_default"),
                secret=data.get("secret"),
                **auth(data, endpoint),
            )
        except WebhookError as exc:
            raise webhook_field_errors(exc) from None
        return Response(wire.webhook(endpoint))

    @extend_schema(**schema.operation("webhooks_update"))
    def put(self, request, client_domain, id):
        return self._change(id, partial=False)

    @extend_schema(**schema.operation("webhooks_partial_update"))
    def patch(self, request, client_domain, id):
        return self._change(id, partial=True)

    @extend_schema(**schema.operation("webhooks_delete"))
    def delete(self, request, client_domain, id):
        webhook_services.delete_endpoint(self._get(id))
        return Response(status=status.HTTP_204_NO_CONTENT)


# ----------------------------------------------------------------------------- trailing slash

add_slash = slashes.add_slash  # Tenovi's paths end with ``/`` (lib.slashes)
