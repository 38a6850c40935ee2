"""Hayylo's error shape: ``{"message": "..."}``, the message saying what is wrong and where.

The document shows no error bodies; this is the shape of the API gateway it runs behind, and of
Pulsebridge's other message-shaped dialects."""

from __future__ import annotations

import logging

from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

logger = logging.getLogger("pulsebridge.hayylo")


class BadRequest(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "Bad Request"


class WrongCompany(exceptions.PermissionDenied):
    pass


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Payload Too Large"


PREFIXES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    429: "Too Many Requests",
}


def handle(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or None)
    response = exception_handler(exc, context)
    if response is None:
        logger.exception("unhandled error in the Hayylo API", exc_info=exc)
        return Response(
            {"message": "Internal Server Error: please try again later."},
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    detail = getattr(exc, "detail", None)
    if isinstance(detail, list | dict):
        detail = "; ".join(_texts(detail))
    text = str(detail) if detail else PREFIXES.get(response.status_code, "Error")
    prefix = PREFIXES.get(response.status_code)
    if prefix and not text.startswith(prefix) and response.status_code != 429:
        text = f"{prefix}: {text}"
    response.data = {"message": text}
    return response


def _texts(detail) -> list[str]:
    """The messages of a DRF error detail, however nested (``{"field": ["message"]}``)."""
    if isinstance(detail, dict):
        detail = list(detail.values())
    if isinstance(detail, list):
        return [text for item in detail for text in _texts(item)]
    return [str(detail)]
