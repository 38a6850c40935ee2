"""The PING login and consent pages are rendered from this package's own templates by an
engine of its own, so the dialect needs no entry in INSTALLED_APPS or TEMPLATES."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.http import HttpResponse
from django.template.backends.django import DjangoTemplates

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


@cache
def engine() -> DjangoTemplates:
    return DjangoTemplates(
        {
            "NAME": "ping",
            "DIRS": [TEMPLATES_DIR],
            "APP_DIRS": False,
            "OPTIONS": {
                "context_processors": [
                    "django.template.context_processors.request",
                    "django.contrib.auth.context_processors.auth",
                ],
            },
        }
    )


def render(request, name: str, context: dict, status: int = 200) -> HttpResponse:
    body = engine().get_template(name).render(context, request)
    return HttpResponse(body, status=status)


class PingPageMixin:
    """For Django's class-based views: render ``template_name`` with the PING engine."""

    template_name: str
    request = None

    def render_to_response(self, context, **response_kwargs):
        return render(self.request, self.template_name, context, response_kwargs.get("status", 200))
