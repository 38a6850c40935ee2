"""What the console's views share: paging, partial (htmx) or whole pages, going back."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

PER_PAGE = 25


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def page_of(request, items, per_page: int = PER_PAGE, param: str = "page"):
    """One page of ``items``; a page number past the end is the last page, a bad one the first."""
    return Paginator(items, per_page).get_page(request.GET.get(param))


def uuid_or_404(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(text))
    except ValueError:
        raise Http404("no such object") from None


def page(
    request, template: str, context: dict[str, Any], *, partial: str | None = None, status=200
):
    """The whole page, or only ``partial`` when htmx asks for a piece of it."""
    if partial and is_htmx(request):
        return render(request, partial, context, status=status)
    return render(request, template, context, status=status)


def back(request, fallback: str):
    """After a form's POST without htmx: back to the page it came from (on this site)."""
    target = request.POST.get("next") or fallback
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = fallback
    return redirect(target)
