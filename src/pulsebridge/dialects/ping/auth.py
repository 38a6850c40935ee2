"""``Authorization: Bearer <token>`` on every PING request: the token's user, and through the
user's membership the one customer (company) the request acts for.

The token is read from the header only (the document's one way), looked up by its SHA-256 as
the toolkit stores it; the body is never touched, so a POST without a JSON body still reaches
the view."""

from __future__ import annotations

import hashlib

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from oauth2_provider.models import get_access_token_model
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission

from pulsebridge.tracking.applications import acting_company


class BearerAuthentication(BaseAuthentication):
    def authenticate(self, request):
        header = request.headers.get("Authorization", "")
        if not header:
            return None
        scheme, _, raw = header.partition(" ")
        raw = raw.strip()
        if scheme.lower() != "bearer" or not raw:
            raise exceptions.AuthenticationFailed("Expected 'Authorization: Bearer <token>'.")
        checksum = hashlib.sha256(raw.encode()).hexdigest()
        token = (
            get_access_token_model()
            # The user's membership and company come along: one query for the whole identity.
            .objects.select_related("user__membership__company")
            .filter(token_checksum=checksum)
            .first()
        )
        if token is None or not token.is_valid():
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked access token.")
        user = token.user
        if user is None and token.application is not None:
            user = token.application.user  # a client-credentials token acts as the owner
        if user is None or not user.is_active:
            raise exceptions.AuthenticationFailed("The token's user is unknown or inactive.")
        return user, token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class ActsForCustomer(BasePermission):
    """The token's user must belong to a customer; ``request.company`` is that customer."""

    def has_permission(self, request, view) -> bool:
        if request.auth is None or request.user is None:
            raise exceptions.NotAuthenticated()
        company = acting_company(request.user)
        if company is None:
            raise exceptions.PermissionDenied("This account belongs to no customer.")
        request.company = request._request.company = company  # the latter for the log line
        return True


class BearerScheme(OpenApiAuthenticationExtension):
    target_class = BearerAuthentication
    name = "bearer"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer"}
