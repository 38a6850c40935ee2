"""PING's OAuth2 endpoints, served by django-oauth-toolkit with three adjustments the document
asks for: the token endpoint reads JSON bodies (as the document's example sends) as well as
forms; without ``redirect_uri`` the application's first URI is used; a client-credentials token
acts as the user who owns the application."""

from __future__ import annotations

import base64
import binascii
from functools import cache
from urllib.parse import unquote

from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.db import connection
from django.http import HttpResponse, JsonResponse, QueryDict
from django.urls import reverse, reverse_lazy
from django.utils.datastructures import MultiValueDict
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from oauth2_provider import views as oauth_views
from oauth2_provider.exceptions import OAuthToolkitError
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.signals import app_authorized
from oauthlib.oauth2.rfc6749.errors import CustomOAuth2Error
from rest_framework import exceptions

from pulsebridge.core.hashers import ALGORITHM as SECRET_HASHER
from pulsebridge.core.lockout import Guard
from pulsebridge.lib.bulk import Loader
from pulsebridge.lib.parsers import has_bad_text, loads_strict
from pulsebridge.tracking.applications import Application, acting_company

from .pages import PingPageMixin, render

# Wrong client secrets per client id and per address, wrong passwords per username and address.
TOKEN_GUARD = Guard("ping.token", actor="ping")
LOGIN_GUARD = Guard("ping.login", actor="ping")


APPLICATIONS, USERS = Loader(Application), Loader(get_user_model())


def _application_with_owner(client_id: str | None) -> Application | None:
    """The application whose client id this is, its owner loaded with it; None if there is
    none (or no client id: oauthlib passes None when the request names none). Plain SQL: asked
    on every token request, and the ORM took longer to build the joined query than the
    database took to answer it (docs/performance.md, P9)."""
    if not client_id or "\x00" in client_id:  # PostgreSQL refuses a NUL; no client id has one
        return None
    q = connection.ops.quote_name
    owner = get_user_model()._meta
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {APPLICATIONS.columns('a')}, {USERS.columns('u')} "  # noqa: S608 - names from _meta
            f"FROM {q(Application._meta.db_table)} a LEFT JOIN {q(owner.db_table)} u "
            f"ON u.{q(owner.pk.column)} = a.{q(Application._meta.get_field('user').column)} "
            "WHERE a.client_id = %s",
            [client_id],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    application = APPLICATIONS.load(row)
    # the toolkit's applications may have no owner (none of ours: create_application sets one)
    application.user = USERS.load(row[len(APPLICATIONS.fields) :]) if application.user_id else None
    return application


@cache
def _dummy_secret_hash() -> str:
    """What an unknown client id's secret is checked against, so that it costs what a wrong
    secret does and timing cannot tell which client ids exist."""
    return make_password("not a client secret", hasher=SECRET_HASHER)


class PingOAuth2Validator(OAuth2Validator):
    def _load_application(self, client_id, request):
        """The application with its owner, in one query (a client-credentials token is the
        owner's: the toolkit would fetch the user apart); the toolkit then checks the one it
        finds (``request.client``, its cache of the request's client). An unknown client id
        costs what a wrong secret does: the same query, then one secret check."""
        if not request.client:
            request.client = _application_with_owner(client_id)
        client = super()._load_application(client_id, request) if request.client else None
        if client is None:
            check_password(getattr(request, "client_secret", None) or "", _dummy_secret_hash())
        return client

    def _check_secret(self, provided_secret, stored_secret):
        """A secret hashed with argon2 before client secrets took the fast keyed hash is
        re-hashed with it on its first successful use (the secret is known only then)."""

        def upgrade(secret: str) -> None:
            Application.objects.filter(client_secret=stored_secret).update(
                client_secret=make_password(secret, hasher=SECRET_HASHER)
            )

        try:
            identify_hasher(stored_secret)
        except ValueError:  # not hashed at all: the toolkit compares in constant time
            return super()._check_secret(provided_secret, stored_secret)
        return check_password(
            provided_secret, stored_secret, setter=upgrade, preferred=SECRET_HASHER
        )

    def get_default_redirect_uri(self, client_id, request, *args, **kwargs):
        """The document: "redirection will happen to the first URL configured in the
        application" (the toolkit insists on exactly one)."""
        uris = request.client.redirect_uris.split()
        return uris[0] if uris else None

    def save_bearer_token(self, token, request, *args, **kwargs):
        """A token without a refresh token (client credentials) is one INSERT: the toolkit's
        transaction around it would only add a BEGIN and a COMMIT."""
        if "refresh_token" not in token:
            return self._save_bearer_token(token, request, *args, **kwargs)
        return super().save_bearer_token(token, request, *args, **kwargs)

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
        refused = _read_json_as_form(request) or _refuse_bad_text(request)
        if refused is not None:
            return refused
        client_id = _client_id(request)
        attempt = TOKEN_GUARD.check(request, client_id)
        wait = attempt.wait
        if wait:
            response = JsonResponse(
                {
                    "error": "invalid_request",
                    "error_description": "too many failed attempts for this client or from this "
                    f"address; try again in {wait} seconds",
                },
                status=429,
            )
            response["Retry-After"] = str(wait)
            return response
        response = super().post(request, *args, **kwargs)  # -> authorization_flow_token_response
        if response.status_code == 401:  # invalid_client: a wrong secret (or client id)
            attempt.failed()
        elif response.status_code == 200:
            attempt.succeeded()
        return response

    @method_decorator(sensitive_post_parameters("password", "client_secret"))
    def authorization_flow_token_response(self, request, *args, **kwargs):
        """The toolkit's answer. The toolkit reads each new token back from the database only to
        send it with its ``app_authorized`` signal: that read is left out while nothing listens
        to the signal (nothing in Pulsebridge does)."""
        if app_authorized.has_listeners(sender=self):
            return super().authorization_flow_token_response(request, *args, **kwargs)
        _url, headers, body, status = self.create_token_response(request)
        response = HttpResponse(content=body, status=status)
        for name, value in headers.items():
            response[name] = value
        return response


def _read_json_as_form(request) -> JsonResponse | None:
    """A JSON body's fields as the form the toolkit reads (``request.POST``); an error answer
    for a body that is not a JSON object of scalars."""
    if request.content_type != "application/json":
        return None
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
    request._post, request._files = form, MultiValueDict()
    request.META["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
    return None


def _refuse_bad_text(request) -> JsonResponse | None:
    """An error answer for a NUL, a lone surrogate or the like in Basic credentials or a form
    field: no client id, secret or code holds one, and PostgreSQL refuses a NUL."""
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
        if problem:
            return _error(f"{key!a} {problem}")
    return None


def _client_id(request) -> str:
    """The client id of a token request: in the body, or in HTTP Basic authentication."""
    if request.POST.get("client_id"):
        return request.POST["client_id"]
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return ""
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return ""
    return unquote(decoded.partition(":")[0])


class AuthorizeView(PingPageMixin, oauth_views.AuthorizationView):
    """``GET auth/authorize/``: log in, consent, then back to the client with ``code``."""

    template_name = "ping/authorize.html"
    login_url = reverse_lazy("ping-login")

    def get(self, request, *args, **kwargs):
        # A token acts for the user's customer: a user of none has nothing to grant. The
        # document: "other misconfiguration errors" go back to the client with ``error``, once
        # the client and its redirect URI are known to be genuine (else the toolkit's error page).
        if acting_company(request.user) is None:
            try:
                _scopes, credentials = self.validate_authorization_request(request)
            except OAuthToolkitError as error:
                return self.error_response(error, application=None)
            error = OAuthToolkitError(
                error=CustomOAuth2Error(
                    error="access_denied",
                    description="this account belongs to no customer",
                    state=credentials.get("state"),
                ),
                redirect_uri=credentials["redirect_uri"],
            )
            application = Application.objects.get(client_id=credentials["client_id"])
            return self.error_response(error, application)
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if acting_company(request.user) is None:  # a consent no page offered
            error = {"error": "access_denied", "description": "this account belongs to no customer"}
            return render(request, self.template_name, {"error": error}, status=403)
        return super().post(request, *args, **kwargs)


class LoginView(PingPageMixin, auth_views.LoginView):
    """The PING log-in page the authorization flow sends the user to. Visited directly (no
    ``next``), it ends on a page saying who is signed in, not on Django's default profile URL."""

    template_name = "ping/login.html"
    redirect_authenticated_user = False

    def get_default_redirect_url(self):
        return reverse("ping-login")

    def get(self, request, *args, **kwargs):
        if request.user.is_authenticated and not self.get_redirect_url():
            company = acting_company(request.user)
            return render(request, "ping/signed_in.html", {"company": company})
        return super().get(request, *args, **kwargs)
