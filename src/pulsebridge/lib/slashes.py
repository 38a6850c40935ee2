"""Vendor paths that end with ``/`` (Tenovi, PING): without it, a redirect to the same path with it."""

from __future__ import annotations

from django.http import HttpResponsePermanentRedirect
from django.http.response import HttpResponseRedirectBase
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt

from pulsebridge.errors import not_found


class PermanentRedirectKeepingMethod(HttpResponseRedirectBase):
    status_code = 308


@csrf_exempt  # an API path, authenticated by key or token: it never carries a CSRF token
def add_slash(request, path: str):
    """301 for GET and HEAD, as Django's APPEND_SLASH; 308 otherwise so that a POST stays a
    POST with its body. Nothing is redirected to a path that does not exist."""
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
