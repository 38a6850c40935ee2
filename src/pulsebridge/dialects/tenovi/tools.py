"""``hwi/test-webhooks/`` and ``hwi/resend-webhooks/``: trying the client's webhooks with a
sample, and sending readings again."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response

from pulsebridge.devices import assignments
from pulsebridge.devices.models import Enrolment, Patient
from pulsebridge.readings.models import Measurement
from pulsebridge.webhooks import dispatch
from pulsebridge.webhooks.models import Delivery, EventType
from pulsebridge.webhooks.services import publish_lazily

from . import schema, serializers, wire
from .base import MAX_UNPAGINATED, TenoviView, parse_uuid
from .views import tenovi_webhooks
from .webhooks import dumps, headers, measurement_bodies


def webhooks_for(company, event: str, ids: list[str] | None) -> list:
    """The client's enabled Tenovi webhooks of ``event``, or those of ``ids`` (400 naming one
    that is not such a webhook)."""
    rows = [
        e for e in tenovi_webhooks(company).filter(enabled=True) if wire.webhook_event(e) == event
    ]
    if not ids:
        return rows
    by_id = {str(e.pk): e for e in rows}
    unknown = [i for i in ids if str(parse_uuid(i)) not in by_id]
    if unknown:
        raise exceptions.ValidationError(
            {"webhook_ids": [f"{unknown[0]!r} is not one of this client's {event} webhooks"]}
        )
    return [by_id[str(parse_uuid(i))] for i in dict.fromkeys(ids)]


class TestWebhooksView(TenoviView):
    """Sends a sample of ``event`` to each of the client's webhooks of that event (or to
    ``webhook_ids``) at once, through the outbox (signed and logged, never retried), and answers
    what each one said."""

    @extend_schema(**schema.operation("test-webhooks_create"))
    def post(self, request, client_domain):
        data = self.validated(serializers.WebhookTest).validated_data
        event = data["event"]
        responses = []
        for endpoint in webhooks_for(self.company, event, data.get("webhook_ids")):
            if event == "MEASUREMENT":
                sample = wire.sample_measurement(data, timezone.now())
                rendered = [(r.body, r.headers) for r in measurement_bodies([sample], endpoint)]
            else:
                rendered = [(dumps(wire.sample_fulfillment(data)), headers(endpoint))]
            for outcome in dispatch.send_once(endpoint, wire.EVENTS[event], rendered):
                responses.append(wire.delivery_response(endpoint, outcome))
        echo = {k: (str(v) if k in ("value", "secondary_value") else v) for k, v in data.items()}
        for name in ("timestamp", "created"):
            if name in echo:
                echo[name] = wire.time(echo[name])
        return Response({**echo, "responses": responses}, status=status.HTTP_201_CREATED)


class ResendWebhooksView(TenoviView):
    """Sends readings again to the client's MEASUREMENT webhooks (or to ``webhook_ids``): new
    deliveries in the outbox, sent by the worker with the usual retries. Only readings of HWI
    devices; at most 1,000 in one request."""

    @extend_schema(**schema.operation("resend-webhooks_create"))
    def post(self, request, client_domain):
        data = self.validated(serializers.Resend).validated_data
        endpoints = webhooks_for(self.company, "MEASUREMENT", data.get("webhook_ids"))
        ids = list(self._readings(data).values_list("pk", flat=True)[: MAX_UNPAGINATED + 1])
        if len(ids) > MAX_UNPAGINATED:
            raise exceptions.ValidationError(
                {"timestamp__gte": [f"more than {MAX_UNPAGINATED} readings: narrow the range"]}
            )
        responses = []
        if ids and endpoints:
            with transaction.atomic():
                events = publish_lazily(
                    self.company,
                    EventType.DEVICE_MEASUREMENT,
                    ids,
                    lambda: _load(ids),
                    endpoints=endpoints,
                    route=not data.get("webhook_ids"),
                )
            for d in Delivery.objects.filter(event_id__in=[e["id"] for e in events]).select_related(
                "endpoint"
            ):
                responses.append(
                    {
                        "webhook_id": str(d.endpoint_id),
                        "endpoint": d.endpoint.url,
                        "message_id": d.webhook_id,
                        "status": "queued",
                    }
                )
        body = {
            "measurement_id": data.get("measurement_id", ""),
            "client_device_id": data.get("client_device_id", ""),
            "webhook_ids": [str(e.pk) for e in endpoints],
            "responses": responses,
            "all_failed": not responses,
        }
        return Response(body, status=status.HTTP_201_CREATED)

    def _readings(self, data) -> QuerySet:
        readings = Measurement.objects.for_company(self.company)
        if data.get("measurement_id"):
            readings = assignments.with_hwi_assignment(
                readings.filter(pk=self._id(data["measurement_id"], "measurement_id"))
            )
        elif data.get("client_device_id"):
            enrolment = (
                Enrolment.objects.for_company(self.company)
                .filter(pk=self._id(data["client_device_id"], "client_device_id"))
                .first()
            )
            if enrolment is None:
                raise exceptions.ValidationError(
                    {"client_device_id": ["no HWI device of this client has that id"]}
                )
            readings = assignments.readings_of_enrolment(readings, enrolment)
        else:
            patient = Patient.objects.for_company(self.company).filter(
                external_id=data["patient_id"]
            )
            readings = assignments.with_hwi_assignment(readings.filter(patient__in=patient))
        readings = readings.filter(hwi_assignment__isnull=False)
        if "timestamp__gte" in data:
            readings = readings.filter(measured_at__gte=data["timestamp__gte"])
        if "timestamp__lt" in data:
            readings = readings.filter(measured_at__lt=data["timestamp__lt"])
        return readings.order_by("measured_at", "id")

    @staticmethod
    def _id(text: str, field: str):
        found = parse_uuid(text)
        if found is None:
            raise exceptions.ValidationError({field: ["must be a UUID"]})
        return found


def _load(ids) -> list[Measurement]:
    found = Measurement.objects.filter(pk__in=ids).select_related("device__model", "patient")
    by_id = {m.pk: m for m in found}
    return [by_id[i] for i in ids]
