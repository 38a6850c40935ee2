"""Django middleware of the core."""

from __future__ import annotations

from csp.middleware import CSPMiddleware
from django.conf import settings


def release_rendered_responses(get_response):
    """Let a rendered DRF response be freed as soon as the server is done with it.

    DRF leaves every response in reference cycles: ``response.renderer_context`` holds the
    response itself and the view, and the view holds the response (``view.response``) and the
    request, which holds the view. So the response and its ``data`` (a Pylo readings page is some
    20,000 objects) outlive the request until the cycle collector finds them, and freeing them
    there took a long pause inside whichever request happened to trigger that collection (bench
    P3's p99, docs/performance.md). Once rendered, the bytes are in ``response.content`` and the
    context is no longer read: dropping it and the view's hold on the response breaks the cycles,
    and the page is freed when the last reference goes, at the end of its own request. ``data``
    itself is kept (tests read it)."""

    def middleware(request):
        response = get_response(request)  # rendered by now: the handler renders inside
        context = getattr(response, "renderer_context", None)
        if context:
            view = context.get("view")
            if getattr(view, "response", None) is response:
                view.response = None
            response.renderer_context = {}
        return response

    return middleware


class DocumentCSPMiddleware(CSPMiddleware):
    """django-csp's Content-Security-Policy, on HTML documents only.

    A policy governs what a page may load and run; a JSON answer runs nothing, and the API hot
    paths (ingest, Pylo readings) need not build the header on every request. Paths under
    ``CONTENT_SECURITY_POLICY_EXEMPT_PATHS`` are pages whose owner has not moved their inline
    script or style out yet (the PING login)."""

    def process_response(self, request, response):
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        if request.path.startswith(tuple(settings.CONTENT_SECURITY_POLICY_EXEMPT_PATHS)):
            return response
        return super().process_response(request, response)


def secure_cookies_over_https(get_response):
    """Every cookie set in an answer to an HTTPS request is marked ``Secure`` (the session and
    CSRF cookies of the console), so one install serves plain HTTP on 127.0.0.1 and HTTPS behind
    its proxy without a setting to keep in step (``SECURE_PROXY_SSL_HEADER`` names the proxy's
    header)."""

    def middleware(request):
        response = get_response(request)
        if response.cookies and request.is_secure():
            for morsel in response.cookies.values():
                morsel["secure"] = True
        return response

    return middleware


def refuse_long_query_strings(get_response):
    """A query string over ``MAX_QUERY_STRING_BYTES`` is 414 in the shape of the API its path
    belongs to, before anything parses it (gunicorn's own request-line limit is lifted in
    ``serve`` so that this answers, in JSON, rather than gunicorn's plain text)."""
    from pulsebridge.errors import error

    def middleware(request):
        limit = settings.MAX_QUERY_STRING_BYTES
        if len(request.META.get("QUERY_STRING", "")) > limit:
            text = f"the query string is over the limit of {limit:,} bytes"
            return error(request, 414, f"URI Too Long: {text}", text)
        return get_response(request)

    return middleware


def no_store(get_response):
    """``Cache-Control: no-store`` on every answer that says nothing of its own caching: API
    answers and console pages carry patient data, and no cache between here and the reader
    (a proxy, the browser's back button, a shared disk) may keep a copy. Static files keep the
    long-lived headers whitenoise gives them."""

    def middleware(request):
        response = get_response(request)
        if not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-store"
        return response

    return middleware
