"""Every error of the FHIR API is an OperationOutcome with the status that fits.

DRF's exceptions (authentication, permission, throttling, parse, method, negotiation) are
translated here, once, for every view; anything unexpected is logged and answered 500 with an
OperationOutcome that says nothing about the data."""

from __future__ import annotations

import logging

from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

logger = logging.getLogger("pulsebridge.fhir")

# HTTP status -> the IssueType code (http://hl7.org/fhir/issue-type) an issue carries by default
ISSUE_CODES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    410: "deleted",
    415: "not-supported",
    422: "processing",
    429: "throttled",
    500: "exception",
}


class FhirError(exceptions.APIException):
    """A refusal with its own issue code and, when it is about one parameter, its name."""

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(self, message: str, *, status_code: int = 400, code: str | None = None,
                 expression: str | None = None, headers: dict[str, str] | None = None):  # fmt: skip
        super().__init__(message)
        self.status_code = status_code
        self.issue_code = code or ISSUE_CODES.get(status_code, "processing")
        self.expression = expression
        self.headers = headers or {}


def invalid(message: str, parameter: str | None = None) -> FhirError:
    return FhirError(
        message, code="invalid" if parameter is None else "value", expression=parameter
    )


def not_supported(message: str, parameter: str | None = None) -> FhirError:
    return FhirError(message, code="not-supported", expression=parameter)


def not_found(message: str) -> FhirError:
    return FhirError(message, status_code=404)


def outcome(message: str, *, code: str, severity: str = "error",
            expression: str | None = None) -> dict:  # fmt: skip
    issue = {"severity": severity, "code": code, "diagnostics": message}
    if expression:
        issue["expression"] = [expression]
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def _message(exc: exceptions.APIException) -> str:
    detail = exc.detail
    if isinstance(detail, dict):
        return "; ".join(f"{k}: {' '.join(map(str, v)) if isinstance(v, list) else v}"
                         for k, v in detail.items())  # fmt: skip
    if isinstance(detail, list):
        return " ".join(map(str, detail))
    return str(detail)


def handle(exc, context):
    """DRF's exception handler for the FHIR views."""
    set_rollback()
    if isinstance(exc, Http404):
        exc = not_found("Not found.")
    if isinstance(exc, FhirError):
        body = outcome(_message(exc), code=exc.issue_code, expression=exc.expression)
        return Response(body, status=exc.status_code, headers=exc.headers)
    if isinstance(exc, exceptions.APIException):
        code = ISSUE_CODES.get(exc.status_code, "processing")
        headers = {}
        auth_header = getattr(exc, "auth_header", None)
        if auth_header:
            headers["WWW-Authenticate"] = auth_header
        wait = getattr(exc, "wait", None)
        if wait is not None:
            headers["Retry-After"] = str(int(wait))
        return Response(outcome(_message(exc), code=code), status=exc.status_code, headers=headers)
    logger.exception("FHIR request failed")
    return Response(
        outcome("The server could not answer this request.", code="exception"),
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )
