import pytest
from django.test import Client

from pulsebridge.core.models import AuditEntry

from .conftest import PASSWORD


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()  # failed sign-ins are counted there
    yield
    cache.clear()


def sign_in(client, username, password=PASSWORD, **extra):
    return client.post("/", {"username": username, "password": password}, **extra)


def test_the_root_is_the_sign_in_page_with_links_to_every_api_s_docs(db):
    response = Client().get("/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="password"' in page
    for dialect in ("pylo", "tenovi", "hayylo", "ping"):
        assert f'href="/api/docs/{dialect}/"' in page


def test_signing_in_opens_the_first_screen_of_the_role_and_is_audited(owner, alice):
    client = Client()
    response = sign_in(client, "alice")
    assert response.status_code == 302
    assert response["Location"] == "/patients/"
    assert client.get("/").status_code == 302  # signed in: / is no longer the form
    assert AuditEntry.objects.filter(company=alice, actor="alice", action="console.signin").exists()


def test_an_operator_lands_on_the_devices_screen(operator):
    assert sign_in(Client(), "otto")["Location"] == "/devices/"


def test_signing_in_goes_back_to_the_page_asked_for_but_never_to_another_site(owner):
    assert Client().get("/devices/")["Location"] == "/?next=/devices/"
    assert sign_in(Client(), "alice", next="/devices/").status_code == 302
    response = Client().post(
        "/", {"username": "alice", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response["Location"] == "/patients/"


def test_a_wrong_password_is_refused_with_a_message(owner):
    response = sign_in(Client(), "alice", "wrong password")
    assert response.status_code == 200
    assert "username or password is wrong" in response.content.decode()
    assert "_auth_user_id" not in response.wsgi_request.session


def test_a_user_of_no_company_cannot_sign_in(db):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user("nobody", password=PASSWORD)
    response = sign_in(Client(), "nobody")
    assert response.status_code == 200
    assert "_auth_user_id" not in response.wsgi_request.session


def test_an_account_is_locked_after_five_failures_even_with_the_right_password(owner, settings):
    client = Client()
    for _ in range(settings.CONSOLE_SIGNIN_FAILURES_PER_ACCOUNT):
        assert sign_in(client, "alice", "wrong").status_code == 200
    response = sign_in(client, "alice")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= settings.CONSOLE_SIGNIN_WINDOW_SECONDS
    assert "Too many failed sign-ins" in response.content.decode()
    assert AuditEntry.objects.filter(
        action="console.signin.locked", target="account alice"
    ).exists()


def test_one_address_is_locked_after_its_failures_across_accounts(owner, settings):
    settings.CONSOLE_SIGNIN_FAILURES_PER_ADDRESS = 3
    client = Client(REMOTE_ADDR="10.9.8.7")
    for name in ("a", "b", "c"):
        sign_in(client, name, "wrong")
    assert sign_in(client, "alice").status_code == 429
    assert sign_in(Client(REMOTE_ADDR="10.9.8.6"), "alice").status_code == 302


def test_a_lockout_ends_when_its_window_has_passed(owner, settings):
    from pulsebridge.console.signin import GUARD

    client = Client()
    for _ in range(settings.CONSOLE_SIGNIN_FAILURES_PER_ACCOUNT):
        sign_in(client, "alice", "wrong")
    request = client.get("/").wsgi_request
    assert GUARD.wait_seconds(request, "alice") is not None
    from django.core.cache import cache

    for key in list(GUARD._keys(request, "alice")):
        cache.delete(f"{key[0]}:until")  # the window passing, as the cache expiry does
    assert sign_in(client, "alice").status_code == 302


def test_a_form_without_its_csrf_token_is_refused(owner):
    client = Client(enforce_csrf_checks=True)
    assert sign_in(client, "alice").status_code == 403
    client.force_login(owner)
    assert client.post("/keys/create", {"dialect": "pylo"}).status_code == 403


def test_signing_out_ends_the_session(owner, as_user):
    client = as_user(owner)
    assert client.post("/signout").status_code == 302
    assert client.get("/patients/")["Location"].startswith("/?next=")


def test_console_pages_carry_a_policy_that_allows_no_inline_script(owner, as_user, make_key, alice):
    response = as_user(owner).get("/patients/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "<script>" not in response.content.decode()
    api = Client().get("/pylo/devices", HTTP_X_API_KEY=make_key(alice, "pylo"))
    assert api.status_code == 200
    assert "Content-Security-Policy" not in api


def test_cookies_are_secure_when_served_over_https(owner):
    response = Client().post("/", {"username": "alice", "password": PASSWORD}, secure=True)
    assert response.cookies["sessionid"]["secure"] is True
    assert response.cookies["sessionid"]["httponly"] is True
    plain = Client().post("/", {"username": "alice", "password": PASSWORD})
    assert not plain.cookies["sessionid"]["secure"]


def test_an_unknown_path_outside_the_apis_is_the_console_s_404_page(db):
    response = Client().get("/no-such-page")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "Not found" in response.content.decode()
    api = Client().get("/pylo/no-such-thing")
    assert api.status_code == 404
    assert api.json() == {"message": "Not Found"}
