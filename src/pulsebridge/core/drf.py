"""DRF building blocks shared by the dialects: API-key authentication, usage-plan throttling,
the refusal of NUL characters in paths and query parameters.

A dialect subclasses these to name its header and key dialect; the key look-up and the limits
themselves live here, once."""

from __future__ import annotations

import contextlib

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from pulsebridge.lib import metrics

from .apikeys import find_api_key
from .throttle import Refusal, check_and_count

NUL_REFUSED = "Null characters are not allowed."  # DRF's own words for a body's CharField
BODY_METHODS = ("POST", "PUT", "PATCH")


class RefusesNulCharacters(APIView):
    """A view mixin: a NUL (U+0000) in a path parameter or a query parameter names nothing here,
    and PostgreSQL refuses it in any query (a 500). Refused as a 400 in the dialect's own error
    shape, after authentication and throttling, before any look-up. (Bodies go through
    serializers, whose CharField refuses it already.)"""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method in BODY_METHODS and self.parser_classes:
            # A body is parsed, and a crafted one refused, even where the view reads none
            # (cancel, publish): the same body is never a 400 here and a 200 there.
            # not JSON: a view that reads it refuses it then (DRF asks again)
            with contextlib.suppress(exceptions.UnsupportedMediaType):
                request.data  # noqa: B018 - parsing is the point
        given = [*kwargs.items(), *request.query_params.items()]
        refused = {str(name): [NUL_REFUSED] for name, value in given if "\x00" in str(value)}
        if refused:
            raise exceptions.ValidationError(refused)


class NoUsagePlan(exceptions.PermissionDenied):
    default_detail = "Forbidden: this API key is not associated with a usage plan."


class PlanThrottled(exceptions.Throttled):
    def __init__(self, refusal: Refusal):
        super().__init__(wait=refusal.retry_after, detail=refusal.message)
        self.refusal = refusal


class HeaderApiKeyAuthentication(BaseAuthentication):
    """``<header>: <key>``; sets ``request.auth`` to the ApiKey (its company is the tenant)."""

    header = "x-api-key"
    scheme = ""  # e.g. "Api-Key" for "Authorization: Api-Key <key>"
    dialect = ""

    def authenticate(self, request):
        raw = request.headers.get(self.header)
        if not raw:
            raise exceptions.NotAuthenticated(f"Unauthorized: the {self.header} header is missing.")
        if self.scheme:
            prefix = f"{self.scheme} "
            if not raw.startswith(prefix):
                raise exceptions.AuthenticationFailed(
                    f"Unauthorized: expected '{self.header}: {self.scheme} <key>'."
                )
            raw = raw[len(prefix) :]
        api_key = find_api_key(raw, self.dialect)
        if api_key is None:
            raise exceptions.AuthenticationFailed(
                "Unauthorized: the API key is invalid or revoked."
            )
        request._request.company = api_key.company  # for the request's log line
        return (None, api_key)

    def authenticate_header(self, request) -> str:
        # Present so that DRF answers 401 (not 403) to a missing or bad key.
        return f'{self.scheme or "ApiKey"} realm="api", header="{self.header}"'


class HasUsagePlan(BasePermission):
    def has_permission(self, request, view) -> bool:
        if request.auth is None:
            raise exceptions.NotAuthenticated()
        if request.auth.plan is None:
            raise NoUsagePlan()
        return True


class UsagePlanThrottle(BaseThrottle):
    def allow_request(self, request, view) -> bool:
        if request.auth is None:
            return True
        refusal = check_and_count(request.auth)
        if refusal is not None:
            metrics.THROTTLED.labels(refusal.limit).inc()
            raise PlanThrottled(refusal)
        return True


class HeaderApiKeyScheme(OpenApiAuthenticationExtension):
    """Describes every dialect's API-key header in its OpenAPI schema."""

    target_class = HeaderApiKeyAuthentication
    match_subclasses = True
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": self.target.header}
