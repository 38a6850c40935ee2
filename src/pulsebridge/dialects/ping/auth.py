"""``Authorization: Bearer <token>`` on every PING request: the token's user, and through the
user's membership the one customer (company) the request acts for."""

from __future__ import annotations

from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from pulsebridge.tracking.applications import acting_company


class BearerAuthentication(OAuth2Authentication):
    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            if request.headers.get("Authorization", "").lower().startswith("bearer "):
                raise exceptions.AuthenticationFailed("Invalid, expired or revoked access token.")
            return None
        user, token = result
        if user is None and token.application is not None:
            user = token.application.user  # tokens issued before owners were mapped
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
        request.company = company
        return True
