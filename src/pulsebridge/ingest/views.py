"""The device-facing API: devices and gateways post readings here."""

from __future__ import annotations

from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from pulsebridge.core.drf import (
    HasUsagePlan,
    HeaderApiKeyAuthentication,
    RefusesNulCharacters,
    UsagePlanThrottle,
)
from pulsebridge.lib.parsers import ItemJSONParser

from .readings import record_items

MAX_ITEMS = 1000


class IngestKeyAuthentication(HeaderApiKeyAuthentication):
    header = "x-api-key"
    dialect = "ingest"


def error_handler(exc, context):
    """``{"message": ..., "errors": ...}`` for every refused request of the ingest API."""
    from rest_framework.views import exception_handler

    response = exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    if isinstance(detail, dict) and "detail" in detail:
        response.data = {"message": str(detail["detail"])}
    elif isinstance(detail, dict | list):
        response.data = {"message": "Invalid request.", "errors": detail}
    return response


class IngestView(RefusesNulCharacters, APIView):
    authentication_classes = [IngestKeyAuthentication]
    permission_classes = [HasUsagePlan]
    throttle_classes = [UsagePlanThrottle]
    # an item's unrepresentable number or lone surrogate is that item's error, not the batch's
    parser_classes = [ItemJSONParser]

    def get_exception_handler(self):
        return error_handler


class BatchView(IngestView):
    """One item or an array of up to 1,000, each succeeding or failing on its own.

    200 when every item was stored or already known, 207 when some failed, 400 when all did;
    the answer lists every item's outcome by index."""

    noun = "item"

    def record(self, company, items):
        raise NotImplementedError

    def post(self, request):
        body = request.data
        items = body if isinstance(body, list) else [body]
        if not items:
            raise exceptions.ValidationError({"body": [f"must hold at least one {self.noun}"]})
        if len(items) > MAX_ITEMS:
            raise exceptions.ValidationError(
                {"body": [f"at most {MAX_ITEMS} {self.noun}s per request, got {len(items)}"]}
            )
        outcomes = self.record(request.auth.company, items)
        summary = {"created": 0, "duplicate": 0, "error": 0}
        for outcome in outcomes:
            summary[outcome.status] += 1
        if summary["error"] == len(outcomes):
            code = status.HTTP_400_BAD_REQUEST
        elif summary["error"]:
            code = status.HTTP_207_MULTI_STATUS
        else:
            code = status.HTTP_200_OK
        return Response(
            {
                "created": summary["created"],
                "duplicates": summary["duplicate"],
                "errors": summary["error"],
                "results": [o.as_dict() for o in outcomes],
            },
            status=code,
        )


class MeasurementsView(BatchView):
    """``POST /ingest/v1/measurements``: readings of medical devices."""

    noun = "reading"

    def record(self, company, items):
        return record_items(company, items)
