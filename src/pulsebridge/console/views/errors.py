"""The console's 404 page for unknown paths outside the APIs; API paths keep their JSON."""

from __future__ import annotations

from django.shortcuts import render

from pulsebridge import errors


def not_found(request, exception=None):
    if errors.is_api(request):
        return errors.not_found(request, exception)
    return render(request, "console/404.html", status=404)
