"""PING personas: Bob (Alice's company) holds a client-credentials application; Dave works for
Charlie's company and must see none of Alice's data."""

from __future__ import annotations

import pytest
from django.test import Client

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    """Argon2 makes every secret check take tens of milliseconds; these tests check the flows,
    not the hasher (which the toolkit and Django test). Storage stays hashed."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "pulsebridge.core.hashers.KeyedSecretHasher",  # client secrets
    ]


class PingClient:
    """``ping.get("/1.0/devices/devices/")`` with ``Authorization: Bearer <token>``."""

    def __init__(self, token: str | None):
        self.client = Client()
        self.token = token

    def _headers(self, headers):
        if self.token is not None:
            headers.setdefault("HTTP_AUTHORIZATION", f"Bearer {self.token}")
        return headers

    def get(self, path, params=None, **headers):
        return self.client.get(f"/ping{path}", params or {}, **self._headers(headers))

    def _send(self, method, path, body, headers):
        kwargs = {"content_type": "application/json"} if body is not None else {}
        return getattr(self.client, method)(
            f"/ping{path}", body, **kwargs, **self._headers(headers)
        )

    def post(self, path, body=None, **headers):
        return self._send("post", path, body, headers)

    def put(self, path, body, **headers):
        return self._send("put", path, body, headers)

    def patch(self, path, body, **headers):
        return self._send("patch", path, body, headers)

    def delete(self, path, **headers):
        return self.client.delete(f"/ping{path}", **self._headers(headers))


def make_application(user, grant="client-credentials", redirect_uris=None, name="Backup"):
    from pulsebridge.tracking.applications import create_application

    application, secret = create_application(
        user, name=name, grant_type=grant, redirect_uris=redirect_uris or []
    )
    return application, secret


def client_credentials_token(application, secret) -> str:
    response = Client().post(
        "/ping/auth/token/",
        {
            "client_id": application.client_id,
            "client_secret": secret,
            "grant_type": "client_credentials",
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


@pytest.fixture
def bob_app(bob):
    return make_application(bob)


@pytest.fixture
def ping(bob_app):
    """Bob's API client, authenticated with a client-credentials token."""
    return PingClient(client_credentials_token(*bob_app))


@pytest.fixture
def dave(charlie):
    from django.contrib.auth import get_user_model

    from pulsebridge.core.models import Membership

    user = get_user_model().objects.create_user("dave", password=PASSWORD)
    Membership.objects.create(user=user, company=charlie)
    return user


@pytest.fixture
def charlie_ping(dave):
    return PingClient(client_credentials_token(*make_application(dave)))


@pytest.fixture
def tracker(alice, add_device):
    """Make a tracker of Alice's company: ``tracker(imei=..., mac=...)`` -> Tracker."""
    from pulsebridge.tracking.models import Tracker
    from pulsebridge.tracking.services import ensure_trackers

    def make(company=None, **options):
        company = company or alice
        device = add_device(company, "PING-TRACKER", **options)
        ensure_trackers(company)
        return Tracker.objects.get(device=device)

    return make


@pytest.fixture
def post_events(alice):
    """Record tracker events through the core, as the ingest API would."""
    from pulsebridge.ingest.events import record_event_items as record_events

    def post(*items, company=None):
        return record_events(company or alice, list(items))

    return post
