"""Every endpoint that checks a password or a secret is limited per account (or client) and per
address: 429 with Retry-After once the failures are used up, even for the right credential,
until the window has passed; each lockout is audited."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from pulsebridge.core.models import AuditEntry

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _small_limits(settings, db):
    from django.core.cache import cache

    cache.clear()
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "pulsebridge.core.hashers.KeyedSecretHasher",
    ]
    settings.CREDENTIAL_FAILURES_PER_ACCOUNT = 3
    settings.CREDENTIAL_FAILURES_PER_ADDRESS = 5


@pytest.fixture
def bob(alice):
    from pulsebridge.core.models import Membership

    user = get_user_model().objects.create_user("bob", password=PASSWORD)
    Membership.objects.create(user=user, company=alice)
    return user


def _locked(action: str, target: str) -> int:
    return AuditEntry.objects.filter(action=action, target=target).count()


def test_the_ping_login_page_locks_an_account_after_its_failures(bob):
    browser = Client()
    for _ in range(3):
        page = browser.post("/ping/auth/login/", {"username": "bob", "password": "wrong"})
        assert page.status_code == 200
    refused = browser.post("/ping/auth/login/", {"username": "bob", "password": PASSWORD})
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 900
    assert _locked("ping.login.locked", "account bob") == 1


def test_the_ping_token_endpoint_locks_a_client_after_wrong_secrets(bob):
    from tests.dialects.ping.conftest import make_application

    application, secret = make_application(bob)

    def token(client_secret):
        body = {
            "client_id": application.client_id,
            "client_secret": client_secret,
            "grant_type": "client_credentials",
        }
        return Client().post("/ping/auth/token/", body, content_type="application/json")

    assert [token("nope").status_code for _ in range(3)] == [401, 401, 401]
    refused = token(secret)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert refused.json()["error"] == "invalid_request"
    assert _locked("ping.token.locked", f"account {application.client_id.lower()}") == 1


def test_the_ping_password_change_locks_after_wrong_old_passwords(bob):
    from tests.dialects.ping.conftest import PingClient, client_credentials_token, make_application

    ping = PingClient(client_credentials_token(*make_application(bob)))
    path = "/1.0/customers/accounts/password/change/"
    new = "a new and long enough passphrase"
    wrong = {"old_password": "wrong", "password": new, "password_confirmation": new}
    assert [ping.post(path, wrong).status_code for _ in range(3)] == [400, 400, 400]
    right = {**wrong, "old_password": PASSWORD}
    refused = ping.post(path, right)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    bob.refresh_from_db()
    assert bob.check_password(PASSWORD)
    assert _locked("ping.password_change.locked", "account bob") == 1


def test_the_admin_login_locks_an_account_after_its_failures(db, reload_urls):
    reload_urls(True)  # /admin/ is off unless ADMIN_ENABLED
    get_user_model().objects.create_superuser("root", password=PASSWORD)
    browser = Client()
    for _ in range(3):
        page = browser.post("/admin/login/", {"username": "root", "password": "wrong"})
        assert page.status_code == 200
    refused = browser.post("/admin/login/", {"username": "root", "password": PASSWORD})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert _locked("admin.login.locked", "account root") == 1


def test_one_address_is_locked_after_its_failures_across_accounts(bob):
    browser = Client()
    for name in ("ann", "ben", "cat", "dan", "eve"):
        browser.post("/ping/auth/login/", {"username": name, "password": "wrong"})
    refused = browser.post("/ping/auth/login/", {"username": "bob", "password": PASSWORD})
    assert refused.status_code == 429
    assert _locked("ping.login.locked", "address 127.0.0.1") == 1
    elsewhere = Client(REMOTE_ADDR="10.0.0.9")
    response = elsewhere.post("/ping/auth/login/", {"username": "bob", "password": PASSWORD})
    assert response.status_code == 302  # bob's account itself was not locked


def test_a_lockout_ends_by_itself(bob, monkeypatch, settings):
    from pulsebridge.core import lockout

    browser = Client()
    for _ in range(3):
        browser.post("/ping/auth/login/", {"username": "bob", "password": "wrong"})
    assert browser.post("/ping/auth/login/", {"username": "bob"}).status_code == 429
    later = time.time() + settings.CREDENTIAL_WINDOW_SECONDS + 1
    monkeypatch.setattr(lockout.time, "time", lambda: later)
    response = browser.post("/ping/auth/login/", {"username": "bob", "password": PASSWORD})
    assert response.status_code == 302


def test_a_success_resets_the_accounts_count(bob):
    browser = Client()
    for _ in range(2):
        browser.post("/ping/auth/login/", {"username": "bob", "password": "wrong"})
    assert (
        browser.post("/ping/auth/login/", {"username": "bob", "password": PASSWORD}).status_code
        == 302
    )
    for _ in range(2):
        assert (
            Client().post("/ping/auth/login/", {"username": "bob", "password": "wrong"}).status_code
            == 200
        )


def _token_request(application, client_secret):
    body = {
        "client_id": application.client_id,
        "client_secret": client_secret,
        "grant_type": "client_credentials",
    }
    return Client().post("/ping/auth/token/", body, content_type="application/json")


def test_a_right_secret_clears_the_clients_count_of_wrong_ones(bob):
    from tests.dialects.ping.conftest import make_application

    application, secret = make_application(bob)
    assert [_token_request(application, "nope").status_code for _ in range(2)] == [401, 401]
    assert _token_request(application, secret).status_code == 200
    # two more wrong ones, not one: the count started again (the address's did not: 4 of 5)
    assert [_token_request(application, "nope").status_code for _ in range(2)] == [401, 401]
    assert _token_request(application, secret).status_code == 200
    assert _locked("ping.token.locked", f"account {application.client_id.lower()}") == 0


def test_a_check_with_no_failures_reads_the_cache_once_and_writes_nothing(bob, settings):
    """The common case of every credential endpoint: one read (both lockouts and the count)."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.dialects.ping.conftest import make_application

    application, secret = make_application(bob)
    calls = []
    for name in ("get", "get_many", "add", "set", "incr", "delete"):
        method = getattr(cache, name)
        setattr(
            cache,
            name,
            lambda *a, _name=name, _method=method, **k: calls.append(_name) or _method(*a, **k),
        )
    try:
        with CaptureQueriesContext(connection) as queries:
            assert _token_request(application, secret).status_code == 200
    finally:
        for name in ("get", "get_many", "add", "set", "incr", "delete"):
            delattr(cache, name)
    assert calls == ["get_many"]
    if "pulsebridge_cache" in settings.CACHES["default"].get("LOCATION", ""):
        cached = [q["sql"] for q in queries.captured_queries if "pulsebridge_cache" in q["sql"]]
        assert len(cached) == 1
        assert cached[0].startswith("SELECT")
