"""Who is asking, for which company, allowed to read what.

Two kinds of credentials, both sent as ``Authorization: Bearer <credential>``:

- an OAuth2 access token from the server PING already runs (``/ping/auth/token/``, client
  credentials), checked by django-oauth-toolkit's own public validation path (its DRF
  authentication class), whatever the toolkit stores; the token acts for the company of the
  user who owns the application, and grants the SMART Backend Services style scopes it carries
  (``system/Observation.read``, ``system/Patient.read``, ``system/Device.read``, ``system/*.read``);
- an API key of the ``fhir`` key dialect (``pb_fhir_...``), which reads every resource type of
  its company, within its usage plan.

``request.auth`` becomes a :class:`Grant`; the same credentials (the same OAuth client, the
same key) own the Bulk Data exports they start."""

from __future__ import annotations

from dataclasses import dataclass

from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.throttling import BaseThrottle

from pulsebridge.core.apikeys import find_api_key
from pulsebridge.core.models import ApiKey, Company
from pulsebridge.core.throttle import check_and_count

from .errors import FhirError

RESOURCE_TYPES = ("Patient", "Device", "Observation")
ALL = "system/*.read"
KEY_PREFIX = "pb_fhir_"


def scope_for(resource_type: str) -> str:
    return f"system/{resource_type}.read"


@dataclass(frozen=True)
class Grant:
    company: Company
    scopes: frozenset[str]
    owner: str  # "client:<client_id>" or "key:<lookup>": who may see an export's files
    api_key: ApiKey | None = None

    def may_read(self, resource_type: str) -> bool:
        return ALL in self.scopes or scope_for(resource_type) in self.scopes


class FhirAuthentication(BaseAuthentication):
    def __init__(self):
        self.oauth = OAuth2Authentication()

    def authenticate(self, request):
        header = request.headers.get("Authorization", "")
        if not header:
            raise exceptions.NotAuthenticated(
                "Send 'Authorization: Bearer <access token or FHIR API key>'."
            )
        scheme, _, credential = header.partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or not credential:
            raise exceptions.AuthenticationFailed("Expected 'Authorization: Bearer <credential>'.")
        if credential.startswith(KEY_PREFIX):
            api_key = find_api_key(credential, "fhir")
            if api_key is None:
                raise exceptions.AuthenticationFailed("The API key is invalid or revoked.")
            grant = Grant(api_key.company, frozenset({ALL}), f"key:{api_key.lookup}", api_key)
            return None, grant
        found = self.oauth.authenticate(request)
        if found is None:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked access token.")
        user, token = found
        membership = getattr(user, "membership", None) if user is not None else None
        if user is None or not user.is_active or membership is None:
            raise exceptions.AuthenticationFailed("The token's user belongs to no company.")
        scopes = frozenset((token.scope or "").split())
        owner = (
            f"client:{token.application.client_id}" if token.application_id else f"user:{user.pk}"
        )
        return user, Grant(membership.company, scopes, owner)

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="fhir"'


def require_scope(grant: Grant, *resource_types: str) -> None:
    """403 unless the credentials may read every one of ``resource_types``."""
    missing = [t for t in resource_types if not grant.may_read(t)]
    if missing:
        needed = " or ".join(f"'{scope_for(t)}'" for t in missing)
        raise FhirError(
            f"These credentials do not carry the scope to read {', '.join(missing)}: "
            f"ask for {needed} (or '{ALL}').",
            status_code=403,
            code="forbidden",
        )


class IsAuthenticated(BasePermission):
    def has_permission(self, request, view) -> bool:
        if not isinstance(request.auth, Grant):
            raise exceptions.NotAuthenticated()
        return True


class KeyPlanThrottle(BaseThrottle):
    """An API key's usage plan (per second, per month); OAuth clients are not limited here."""

    def allow_request(self, request, view) -> bool:
        grant = request.auth
        if not isinstance(grant, Grant) or grant.api_key is None:
            return True
        refusal = check_and_count(grant.api_key)
        if refusal is not None:
            raise FhirError(
                refusal.message,
                status_code=429,
                headers={"Retry-After": str(refusal.retry_after)},
            )
        return True
