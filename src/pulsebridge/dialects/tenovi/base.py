"""What every Tenovi view shares: the key, the client domain, DRF's error shapes, lists.

``client_domain`` is the company's code; a key used on another company's domain is answered 404,
as any object of another company. Errors are DRF's own shape (``{"detail": ...}`` or
``{"field": [...]}``)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

from django.db.models import QuerySet
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from pulsebridge.core.drf import (
    HasUsagePlan,
    HeaderApiKeyAuthentication,
    RefusesNulCharacters,
    UsagePlanThrottle,
)
from pulsebridge.devices.errors import FieldError
from pulsebridge.lib.errors import DomainError, Gone

MAX_UNPAGINATED = 1000


class TenoviKeyAuthentication(HeaderApiKeyAuthentication):
    """``Authorization: Api-Key <key>`` (``Api-Key`` is case-sensitive)."""

    header = "Authorization"
    scheme = "Api-Key"
    dialect = "tenovi"


class Refused(exceptions.APIException):
    """A request that is well-formed but that the rules refuse: 400 ``{"detail": ...}``."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"


def _nested(path: str, message: str) -> dict[str, Any]:
    head, _, rest = path.partition(".")
    return {head: _nested(rest, message) if rest else [message]}


@contextmanager
def domain_errors():
    """Domain rules broken become 400: naming the field when the rule is about one."""
    try:
        yield
    except FieldError as exc:
        raise exceptions.ValidationError(_nested(exc.field, str(exc))) from None
    except Gone:  # deleted by a concurrent request: as if it never was
        raise exceptions.NotFound() from None
    except DomainError as exc:
        raise Refused(str(exc)) from None


class Pages(PageNumberPagination):
    """``?page=N`` (and ``page_size``, default 100, at most 1000) switches a list to
    ``{"count", "next", "previous", "results"}``."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class AlwaysPages(Pages):
    """A list the Swagger declares paginated: a page even without ``?page=``, and
    ``page_size=0`` answers every object in one page (as Tenovi's "Set page_size=0 to return all
    objects")."""

    def get_page_size(self, request):
        if request.query_params.get(self.page_size_query_param, "").strip() == "0":
            return EVERYTHING
        return super().get_page_size(request)


EVERYTHING = 2**31


class TenoviView(RefusesNulCharacters, APIView):
    authentication_classes = [TenoviKeyAuthentication]
    permission_classes = [HasUsagePlan]
    throttle_classes = [UsagePlanThrottle]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if kwargs.get("client_domain") != request.auth.company.code:
            raise exceptions.NotFound()

    @property
    def company(self):
        return self.request.auth.company

    def validated(self, serializer_class, *, partial: bool = False):
        serializer = serializer_class(data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return serializer

    def listing(self, rows: QuerySet | list, render: Callable[[Any], Any]) -> Response:
        """A flat array of at most 1,000 items, or a page when ``?page=`` is given."""
        if "page" in self.request.query_params:
            return self.paged(rows, render, Pages())
        return Response([render(r) for r in rows[:MAX_UNPAGINATED]])

    def paged(self, rows, render: Callable[[Any], Any], pages: Pages | None = None) -> Response:
        pages = pages or AlwaysPages()
        page = pages.paginate_queryset(rows, self.request, view=self)
        return pages.get_paginated_response([render(r) for r in page])


def parse_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(text))
    except ValueError:
        return None


def filtered(filterset_class, params, queryset) -> QuerySet:
    filterset = filterset_class(params, queryset=queryset)
    if not filterset.is_valid():
        raise exceptions.ValidationError(filterset.errors)
    return filterset.qs


TRUE, FALSE = {"true", "1", "yes"}, {"false", "0", "no"}


def flag(params, name: str) -> bool | None:
    """A ``true``/``false`` query parameter (``1``/``0`` too); absent is None, else 400."""
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if raw.strip().lower() in TRUE:
        return True
    if raw.strip().lower() in FALSE:
        return False
    raise exceptions.ValidationError({name: ["must be true or false"]})


def search_term(params) -> str:
    return (params.get("search") or "").strip()
