"""Errors raised outside any API view (unknown paths, a wrong Host, a body or query string over
the limit, crashes) still answer JSON in the shape of the API the path belongs to."""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import JsonResponse
from django.views import defaults

# Paths whose dialect writes errors as {"message": ...}; the DRF-shaped dialects use {"detail"}.
MESSAGE_SHAPED = ("/pylo/", "/ingest/", "/hayylo/")
FHIR = "/fhir/"
# Every path answered by an API (the rest is the console's, whose errors are pages).
API_PREFIXES = ("/pylo/", "/tenovi/", "/hayylo/", "/ping/", "/ingest/", "/api/", FHIR)
# OperationOutcome issue codes (http://hl7.org/fhir/issue-type) of the statuses answered here
_FHIR_CODES = {400: "invalid", 404: "not-found", 413: "too-costly", 414: "too-costly"}


def is_api(request) -> bool:
    return request.path.startswith(API_PREFIXES)


def _body(request, message: str, detail: str, status: int = 400) -> dict:
    if request.path.startswith(MESSAGE_SHAPED):
        return {"message": message}
    if request.path.startswith(FHIR):
        issue = {"severity": "error", "code": _FHIR_CODES.get(status, "exception")}
        return {"resourceType": "OperationOutcome", "issue": [{**issue, "diagnostics": detail}]}
    return {"detail": detail}


def error(request, status: int, message: str, detail: str | None = None) -> JsonResponse:
    """``status`` in the shape of the API ``request.path`` belongs to: ``message`` for the
    message-shaped dialects (with its prefix), ``detail`` for the others."""
    return JsonResponse(_body(request, message, detail or message, status), status=status)


def not_found(request, exception=None):
    return error(request, 404, "Not Found", "Not found.")


def bad_request(request, exception=None):
    """Django's refusals before any view (a Host not in ALLOWED_HOSTS, a form body over
    DATA_UPLOAD_MAX_MEMORY_SIZE): JSON on the APIs' paths, the plain page elsewhere; a body too
    large is 413 everywhere."""
    if isinstance(exception, RequestDataTooBig | TooManyFieldsSent):
        text = "the body is over the size limit"
        return error(request, 413, f"Payload Too Large: {text}", text)
    if not is_api(request):
        return defaults.bad_request(request, exception)
    return error(request, 400, "Bad Request", "Bad request.")


def server_error(request):
    return error(request, 500, "Internal Server Error", "A server error occurred.")
