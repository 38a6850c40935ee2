"""Headers for health data (issue 16 §7): no cache keeps a copy of an answer, HTTPS is sticky
and its cookies secure (behind a proxy too), and Django's admin is off unless turned on."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from pulsebridge.settings import proxy_ssl_header

pytestmark = pytest.mark.django_db


def test_api_answers_with_patient_data_are_not_stored_by_any_cache(client, alice, make_key):
    from pulsebridge.devices.services import create_patient

    create_patient(alice, "P-1", name="Ada Lovelace")
    key = make_key(alice, "tenovi", rate_per_second=100)
    response = client.get(
        f"/tenovi/clients/{alice.code}/hwi/hwi-patients/", HTTP_AUTHORIZATION=f"Api-Key {key}"
    )
    assert response.status_code == 200
    assert "Ada" in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert client.get("/pylo/devices")["Cache-Control"] == "no-store"  # refusals too


def test_console_pages_are_not_stored_and_static_files_keep_their_caching(client, bob):
    client.force_login(bob)
    page = client.get("/patients/")
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store"
    css = client.get("/static/console/console.css")
    assert css.status_code == 200
    assert "no-store" not in css["Cache-Control"]
    assert "max-age" in css["Cache-Control"]


def test_https_answers_carry_hsts_and_plain_http_ones_do_not(client):
    assert "Strict-Transport-Security" not in client.get("/pylo/devices")
    secure = client.get("/pylo/devices", secure=True)
    assert secure["Strict-Transport-Security"].startswith("max-age=31536000")


def test_behind_a_tls_proxy_its_header_makes_the_request_https(client, settings):
    settings.SECURE_PROXY_SSL_HEADER = proxy_ssl_header("X-Forwarded-Proto: https")
    response = client.get("/", HTTP_X_FORWARDED_PROTO="https")  # the sign-in page sets CSRF
    assert "Strict-Transport-Security" in response
    assert response.cookies, "the sign-in page sets its CSRF cookie"
    assert all(morsel["secure"] for morsel in response.cookies.values())
    plain = client.get("/", HTTP_X_FORWARDED_PROTO="http")
    assert "Strict-Transport-Security" not in plain
    assert not any(morsel["secure"] for morsel in plain.cookies.values())


@pytest.mark.parametrize(
    "raw", ["X-Forwarded-Proto: https", "HTTP_X_FORWARDED_PROTO,https", "x-forwarded-proto:https"]
)
def test_the_proxy_header_setting_reads_both_spellings(raw):
    assert proxy_ssl_header(raw) == ("HTTP_X_FORWARDED_PROTO", "https")


@pytest.mark.parametrize("raw", ["X-Forwarded-Proto", "X-Forwarded-Proto:", ": https"])
def test_a_malformed_proxy_header_setting_fails_loudly(raw):
    with pytest.raises(ImproperlyConfigured):
        proxy_ssl_header(raw)


def test_the_admin_is_off_unless_a_setting_turns_it_on(client, reload_urls):
    reload_urls(False)
    assert client.get("/admin/").status_code == 404
    assert client.get("/admin/login/").status_code == 404
    reload_urls(True)
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert b"Django" in response.content or b"admin" in response.content
