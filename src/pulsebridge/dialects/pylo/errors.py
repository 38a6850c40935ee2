"""Pylo's error shape: ``{"message": "..."}`` (plus ``"errors"`` naming fields on a 400), with
the status codes of the document's error table."""

from __future__ import annotations

import logging

from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

logger = logging.getLogger("pulsebridge.pylo")

MESSAGES = {
    400: "Bad Request -- Your request is invalid.",
    401: "Unauthorized -- Your API key is invalid.",
    403: "Forbidden -- Your API key may be valid but it is not associated with a usage plan.",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable -- You requested a format that isn't json.",
    415: "Unsupported Media Type",
    429: "Too Many Requests or Limit Exceeded -- Slow down (or request a rate/quota increase)!",
}


class NotFound(exceptions.NotFound):
    pass


def _flatten(detail) -> dict[str, str]:
    if isinstance(detail, dict):
        out = {}
        for key, value in detail.items():
            if isinstance(value, list):
                out[key] = "; ".join(str(v) for v in value)
            elif isinstance(value, dict):
                for inner, text in _flatten(value).items():
                    out[f"{key}.{inner}"] = text
            else:
                out[key] = str(value)
        return out
    if isinstance(detail, list):
        return {"body": "; ".join(str(v) for v in detail)}
    return {"body": str(detail)}


def handle(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = exception_handler(exc, context)
    if response is None:
        logger.exception("unhandled error in the Pylo API", exc_info=exc)
        return Response(
            {
                "message": "Internal Server Error -- We had a problem with our server. Try again later."
            },
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    code = response.status_code
    if isinstance(exc, exceptions.ParseError):
        # A body that is not JSON is a 400 like any other: the same shape, naming the body.
        errors = {"body": str(exc.detail)}
        response.data = {"message": f"Bad Request -- body: {exc.detail}", "errors": errors}
    elif isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        summary = "; ".join(f"{k}: {v}" for k, v in errors.items())
        response.data = {"message": f"Bad Request -- {summary}", "errors": errors}
    else:
        detail = getattr(exc, "detail", None)
        text = str(detail) if detail is not None else MESSAGES.get(code, "Error")
        if isinstance(exc, exceptions.NotAcceptable):
            text = MESSAGES[406]
        if code in (401, 403, 406, 429) and not text.startswith(MESSAGES[code].split(" --")[0]):
            text = f"{MESSAGES[code].split(' --')[0]} -- {text}"
        response.data = {"message": text}
    return response
