"""The authorization-code flow: the PING login page, the consent page, the redirect with
``code`` and ``state``, the exchange for tokens, and refreshing them."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from .conftest import PASSWORD, PingClient, make_application

pytestmark = pytest.mark.django_db

REDIRECTS = ["https://myapiapp.localhost/cb", "https://myapiapp.localhost/other"]


@pytest.fixture
def web_app(bob):
    return make_application(bob, grant="authorization-code", redirect_uris=REDIRECTS, name="Web")


def _hidden_inputs(page) -> dict[str, str]:
    """The form's hidden fields, as a browser would send them back."""
    fields = {}
    for tag in re.findall(rb"<input[^>]*>", page.content):
        tag = tag.decode()
        name = re.search(r'name="([^"]*)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if 'type="hidden"' in tag and name:
            fields[name.group(1)] = html.unescape(value.group(1)) if value else ""
    return fields


def _authorize(browser, application, **params):
    query = {"response_type": "code", "client_id": application.client_id, **params}
    return browser.get("/ping/auth/authorize/", query)


def _log_in_and_consent(browser, application, allow=True, **params):
    """Walk the pages as a person would: authorize -> login -> authorize (consent) -> back."""
    response = _authorize(browser, application, **params)
    assert response.status_code == 302
    login_url = response["Location"]
    assert login_url.startswith("/ping/auth/login/")
    page = browser.get(login_url)
    assert page.status_code == 200
    assert b'name="password"' in page.content
    next_url = parse_qs(urlsplit(login_url).query)["next"][0]
    login_form = _hidden_inputs(page)
    assert login_form["next"] == next_url
    response = browser.post(
        "/ping/auth/login/", {**login_form, "username": "bob", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == next_url
    consent = browser.get(next_url)
    assert consent.status_code == 200
    assert b"Authorize Web?" in consent.content
    post = _hidden_inputs(consent)
    assert "csrfmiddlewaretoken" in post
    if allow:
        post["allow"] = "Authorize"
    return browser.post(next_url, post)


def _exchange(application, secret, code, redirect_uri=REDIRECTS[0]):
    return Client().post(
        "/ping/auth/token/",
        {
            "client_id": application.client_id,
            "client_secret": secret,
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
        },
        content_type="application/json",
    )


def test_a_user_logs_in_consents_and_the_code_becomes_tokens(web_app):
    application, secret = web_app
    browser = Client(enforce_csrf_checks=True)
    response = _log_in_and_consent(
        browser, application, redirect_uri=REDIRECTS[1], state="kgrW0h8iavBtYxZW4Hsw2xxge020hj"
    )
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == REDIRECTS[1]
    query = parse_qs(target.query)
    assert query["state"] == ["kgrW0h8iavBtYxZW4Hsw2xxge020hj"]

    tokens = _exchange(application, secret, query["code"][0], REDIRECTS[1])
    assert tokens.status_code == 200, tokens.content
    body = tokens.json()
    assert body["token_type"] == "Bearer"
    assert body["refresh_token"]
    me = PingClient(body["access_token"]).get("/1.0/customers/accounts/me/")
    assert me.status_code == 200
    assert me.json()["username"] == "bob"


def test_without_redirect_uri_the_first_configured_one_is_used(web_app):
    application, secret = web_app
    response = _log_in_and_consent(Client(), application)
    assert response.status_code == 302
    assert response["Location"].startswith(REDIRECTS[0] + "?")
    code = parse_qs(urlsplit(response["Location"]).query)["code"][0]
    assert _exchange(application, secret, code).status_code == 200


def test_denying_consent_redirects_back_with_an_error(web_app):
    application, _ = web_app
    response = _log_in_and_consent(Client(), application, allow=False, state="s1")
    assert response.status_code == 302
    query = parse_qs(urlsplit(response["Location"]).query)
    assert response["Location"].startswith(REDIRECTS[0])
    assert query["error"] == ["access_denied"]
    assert query["state"] == ["s1"]


def test_an_unknown_redirect_uri_is_never_redirected_to(web_app):
    application, _ = web_app
    browser = Client()
    browser.login(username="bob", password=PASSWORD)
    response = _authorize(browser, application, redirect_uri="https://evil.example/steal")
    # PING: "In case of malicious redirect URL supplied not matching any of the configured
    # URLs, user will not be redirected back at all": an error page, not the consent form
    assert response.status_code == 400
    assert "Location" not in response
    assert b"Authorization failed" in response.content
    assert b"evil.example" not in response.content  # not even as a link to follow


def test_an_unknown_client_id_shows_an_error_page(bob):
    browser = Client()
    browser.login(username="bob", password=PASSWORD)
    response = browser.get(
        "/ping/auth/authorize/", {"response_type": "code", "client_id": "nobody"}
    )
    assert response.status_code == 400
    assert "Location" not in response
    assert b"Authorization failed" in response.content


def test_a_wrong_password_stays_on_the_login_page(web_app):
    browser = Client()
    response = browser.post("/ping/auth/login/", {"username": "bob", "password": "wrong"})
    assert response.status_code == 200
    assert b"did not match" in response.content


def test_a_code_is_good_for_one_exchange_only(web_app):
    application, secret = web_app
    response = _log_in_and_consent(Client(), application)
    code = parse_qs(urlsplit(response["Location"]).query)["code"][0]
    assert _exchange(application, secret, code).status_code == 200
    second = _exchange(application, secret, code)
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"


def test_a_refresh_token_gives_a_new_access_token(web_app):
    application, secret = web_app
    response = _log_in_and_consent(Client(), application)
    code = parse_qs(urlsplit(response["Location"]).query)["code"][0]
    first = _exchange(application, secret, code).json()
    refreshed = Client().post(
        "/ping/auth/token/",
        {
            "client_id": application.client_id,
            "client_secret": secret,
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
        },
        content_type="application/json",
    )
    assert refreshed.status_code == 200, refreshed.content
    body = refreshed.json()
    assert body["access_token"] != first["access_token"]
    assert body["refresh_token"]
    assert PingClient(body["access_token"]).get("/1.0/customers/accounts/me/").status_code == 200
    # The old access token was replaced when it was refreshed.
    assert PingClient(first["access_token"]).get("/1.0/customers/accounts/me/").status_code == 401


def test_refresh_and_access_tokens_are_stored_as_a_hash_only(web_app):
    from django.db import connection

    application, secret = web_app
    response = _log_in_and_consent(Client(), application)
    code = parse_qs(urlsplit(response["Location"]).query)["code"][0]
    issued = _exchange(application, secret, code).json()
    with connection.cursor() as cursor:
        stored = []
        for table in ("oauth2_provider_accesstoken", "oauth2_provider_refreshtoken"):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 (our own table names)
            stored += [str(value) for row in cursor.fetchall() for value in row]
    assert stored
    assert not any(issued["access_token"] in v or issued["refresh_token"] in v for v in stored)


def test_a_user_of_no_customer_is_sent_back_to_the_client_with_an_error(web_app, db):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user("loner", password=PASSWORD)
    application, _ = web_app
    browser = Client()
    browser.login(username="loner", password=PASSWORD)
    response = _authorize(browser, application, state="xyz")
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == REDIRECTS[0]
    query = parse_qs(target.query)
    assert query["error"] == ["access_denied"]
    assert query["state"] == ["xyz"]
    assert "no customer" in query["error_description"][0]
    # a consent posted anyway issues no code
    refused = browser.post("/ping/auth/authorize/", {"client_id": application.client_id})
    assert refused.status_code == 403


def test_a_user_of_no_customer_with_a_foreign_redirect_uri_is_not_redirected(web_app, db):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user("loner", password=PASSWORD)
    application, _ = web_app
    browser = Client()
    browser.login(username="loner", password=PASSWORD)
    response = _authorize(browser, application, redirect_uri="https://evil.example/cb")
    assert "Location" not in response
    assert response.status_code == 400


def test_the_login_page_visited_directly_lands_on_a_signed_in_page(bob):
    browser = Client()
    page = browser.get("/ping/auth/login/")
    assert page.status_code == 200
    form = _hidden_inputs(page)
    response = browser.post("/ping/auth/login/", {**form, "username": "bob", "password": PASSWORD})
    assert response.status_code == 302
    landed = browser.get(response["Location"])
    assert landed.status_code == 200
    assert b"signed in as <strong>bob</strong>" in landed.content


@pytest.mark.parametrize(("days_ago", "works"), [(29, True), (31, False)])
def test_a_refresh_token_lives_30_days_after_its_access_token_expires(web_app, days_ago, works):
    """As docs/compatibility.md says: the refresh token's life is counted from its access
    token's expiry (PING_REFRESH_TOKEN_SECONDS), not from when it was issued."""
    import hashlib
    from datetime import timedelta

    from django.utils import timezone
    from oauth2_provider.models import get_access_token_model

    application, secret = web_app
    response = _log_in_and_consent(Client(), application)
    code = parse_qs(urlsplit(response["Location"]).query)["code"][0]
    first = _exchange(application, secret, code).json()
    checksum = hashlib.sha256(first["access_token"].encode()).hexdigest()
    expired = timezone.now() - timedelta(days=days_ago)
    assert get_access_token_model().objects.filter(token_checksum=checksum).update(expires=expired)
    refreshed = Client().post(
        "/ping/auth/token/",
        {
            "client_id": application.client_id,
            "client_secret": secret,
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
        },
        content_type="application/json",
    )
    if works:
        assert refreshed.status_code == 200, refreshed.content
    else:
        assert refreshed.status_code == 400
        assert refreshed.json()["error"] == "invalid_grant"
