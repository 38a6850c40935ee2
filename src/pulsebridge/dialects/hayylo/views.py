"""The Hayylo Inbound API under ``/hayylo/``: ``POST /inbound`` takes a batch (202), and
``GET /inbound/{batchId}`` says how its import went (the document leaves that to "check your
account"; Pulsebridge answers it)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from pulsebridge.care.models import ImportBatch
from pulsebridge.care.services import batch_report, receive_batch
from pulsebridge.core.drf import (
    HasUsagePlan,
    HeaderApiKeyAuthentication,
    RefusesNulCharacters,
    UsagePlanThrottle,
)

from . import errors, wire


class HayyloKeyAuthentication(HeaderApiKeyAuthentication):
    header = "x-api-key"
    dialect = "hayylo"


class HayyloView(RefusesNulCharacters, APIView):
    authentication_classes = [HayyloKeyAuthentication]
    permission_classes = [HasUsagePlan]
    throttle_classes = [UsagePlanThrottle]
    # The body is read by hand (wire.read_body), so that its size is checked before it is
    # read and no parser holds more than the limit.
    parser_classes: list = []

    def get_exception_handler(self):
        return errors.handle

    @property
    def company(self):
        return self.request.auth.company

    def http_method_not_allowed(self, request, *args, **kwargs):
        allowed = ", ".join(m for m in self.allowed_methods if m != "OPTIONS")
        raise exceptions.MethodNotAllowed(
            request.method, detail=f"{request.method} is not accepted here (use {allowed})"
        )


class InboundView(HayyloView):
    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={202: OpenApiTypes.OBJECT},
        description="Send one batch of records of one schemaType, in the document's wrapper.",
    )
    def post(self, request):
        wire.check_content_type(request)
        body = wire.read_body(request._request, settings.HAYYLO_MAX_BODY_BYTES)
        data, text = wire.parse_json(body)
        del body
        wrapper = wire.validate_wrapper(data, text, self.company)
        count = len(wrapper.records)
        batch = receive_batch(
            self.company, wrapper.schema_type, wrapper.text, count, api_key=request.auth
        )
        noun = "record" if count == 1 else "records"
        return Response(
            {
                "message": f"Accepted: {count} {wrapper.schema_type} {noun} queued for import; "
                f"GET /hayylo/inbound/{batch.pk} reports the outcome.",
                "batchId": str(batch.pk),
                "records": count,
            },
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": reverse("hayylo-batch", args=[batch.pk])},
        )


class BatchView(HayyloView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, batch_id: str):
        try:
            pk = uuid.UUID(batch_id)
        except ValueError:
            pk = None
        batch = (
            ImportBatch.objects.for_company(self.company).defer("payload").filter(pk=pk).first()
            if pk
            else None
        )
        if batch is None:
            raise exceptions.NotFound(f"no batch {batch_id!r} for this company")
        return Response(wire.batch_status(batch_report(batch)))
