"""PING's OAuth2 endpoints, served by django-oauth-toolkit with three adjustments the document
asks for: the token endpoint reads JSON bodies (as the document's example sends) as well as
forms; without ``redirect_uri`` the application's first URI is used; a client-credentials token
acts as the user who owns the application."""

from __future__ import annotations

import base64
import binascii

from django.contrib.auth import views as auth_views
from django.http import JsonResponse, QueryDict
from django.urls import reverse_lazy
from django.utils.datastructures import MultiValueDict
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider import views as oauth_views
from oauth2_provider.oauth2_validators import OAuth2Validator
from rest_framework import exceptions

from pulsebridge.lib.parsers import has_bad_text, loads_strict
from pulsebridge.tracking.applications import acting_company

from .pages import PingPageMixin, render


class PingOAuth2Validator(OAuth2Validator):
    def get_default_redirect_uri(self, client_id, request, *args, **kwargs):
        """The document: "redirection will happen to the first URL configured in the
        application" (the toolkit insists on exactly one)."""
        uris = request.client.redirect_uris.split()
        return uris[0] if uris else None

    def _create_access_token(self, expires, request, token, source_refresh_token=None):
        # The toolkit issues client-credentials tokens to no user; PING's act as the
        # application's owner ("the same resources as the user owning the application").
        if request.user is None and request.grant_type == "client_credentials":
            request.user = request.client.user
        return super()._create_access_token(expires, request, token, source_refresh_token)


def _error(description: str) -> JsonResponse:
    return JsonResponse({"error": "invalid_request", "error_description": description}, status=400)


@method_decorator(csrf_exempt, name="dispatch")
class TokenView(oauth_views.TokenView):
    """``POST auth/token/`` with a JSON body or a form body."""

    def post(self, request, *args, **kwargs):
        if request.content_type == "application/json":
            try:
                data = loads_strict(request.body or b"{}")
            except exceptions.ValidationError:  # a NUL, an integer beyond 64 bits
                return _error("the body holds a value no field can take (a NUL, a huge number)")
            except exceptions.ParseError:
                return _error("the body is not valid JSON")
            if not isinstance(data, dict):
                return _error("the body must be a JSON object")
            form = QueryDict(mutable=True)
            for key, value in data.items():
                if value is None:
                    continue
                if isinstance(value, dict | list | bool):
                    return _error(f"{key} must be a string")
                form[key] = str(value)
            # The toolkit reads request.POST; give it the JSON fields as if they were a form.
            request._post, request._files = form, MultiValueDict()
            request.META["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
        basic = request.headers.get("Authorization", "")
        if basic[:6].lower() == "basic ":
            try:
                credentials = base64.b64decode(basic[6:].strip()).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                credentials = "\x00"
            if "\x00" in credentials:
                return _error("the Authorization header is not Basic client_id:client_secret")
        for key, value in request.POST.items():
            problem = has_bad_text(key) or has_bad_text(value)
            if problem:  # no client id, secret or code holds one; PostgreSQL refuses a NUL
                return _error(f"{key!a} {problem}")
        return super().post(request, *args, **kwargs)


class AuthorizeView(PingPageMixin, oauth_views.AuthorizationView):
    """``GET auth/authorize/``: log in, consent, then back to the client with ``code``."""

    template_name = "ping/authorize.html"
    login_url = reverse_lazy("ping-login")

    def dispatch(self, request, *args, **kwargs):
        # A token acts for the user's customer: a user of none has nothing to grant.
        if request.user.is_authenticated and acting_company(request.user) is None:
            error = {"error": "access_denied", "description": "this account belongs to no customer"}
            return render(request, self.template_name, {"error": error}, status=403)
        return super().dispatch(request, *args, **kwargs)


class LoginView(PingPageMixin, auth_views.LoginView):
    """The PING log-in page the authorization flow sends the user to."""

    template_name = "ping/login.html"
    redirect_authenticated_user = False
