"""Django middleware of the core."""

from __future__ import annotations


def release_rendered_responses(get_response):
    """Let a rendered DRF response be freed as soon as the server is done with it.

    DRF leaves every response in reference cycles: ``response.renderer_context`` holds the
    response itself and the view, and the view holds the response (``view.response``) and the
    request, which holds the view. So the response and its ``data`` (a Pylo readings page is some
    20,000 objects) outlive the request until the cycle collector finds them, and freeing them
    there took 25-35 ms, inside whichever request happened to trigger that collection (bench P3:
    the p99 was three times the p50). Once rendered, the bytes are in ``response.content`` and the
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
