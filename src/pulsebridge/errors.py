"""Errors raised outside any API view (unknown paths, crashes) still answer JSON in the shape
of the API the path belongs to."""

from django.http import JsonResponse

# Paths whose dialect writes errors as {"message": ...}; the DRF-shaped dialects use {"detail"}.
MESSAGE_SHAPED = ("/pylo/", "/ingest/", "/hayylo/")


def _body(request, message: str, detail: str) -> dict:
    if request.path.startswith(MESSAGE_SHAPED):
        return {"message": message}
    return {"detail": detail}


def not_found(request, exception=None):
    return JsonResponse(_body(request, "Not Found", "Not found."), status=404)


def server_error(request):
    return JsonResponse(
        _body(request, "Internal Server Error", "A server error occurred."), status=500
    )
