"""POST /ping/auth/token/ with the client-credentials grant, as JSON (the document) or a form."""

from __future__ import annotations

import hashlib

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from .conftest import PingClient, make_application

pytestmark = pytest.mark.django_db


def _token(body, json=True):
    if json:
        return Client().post("/ping/auth/token/", body, content_type="application/json")
    return Client().post("/ping/auth/token/", body)


def test_a_json_body_gets_a_bearer_token_without_refresh_token(bob_app):
    application, secret = bob_app
    response = _token(
        {
            "client_id": application.client_id,
            "client_secret": secret,
            "grant_type": "client_credentials",
        }
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert isinstance(body["expires_in"], int)
    assert body["expires_in"] > 0
    assert body["scope"] == "read write"
    assert body["access_token"]
    assert "refresh_token" not in body
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"  # RFC 6749 §5.1, as the toolkit answers
    assert response["Pragma"] == "no-cache"


def _statements(queries, *, leave_out=()) -> list[str]:
    """The SQL a request ran, but the cache's (the lockout counters, in the database cache when
    there is no Redis), each value in ``leave_out`` replaced by ``?``."""
    statements = []
    for query in queries.captured_queries:
        sql = query["sql"]
        if "pulsebridge_cache" in sql:
            continue
        for value in leave_out:
            sql = sql.replace(value, "?")
        statements.append(sql)
    return statements


def test_a_token_costs_one_read_of_the_client_with_its_owner_and_one_insert(bob_app):
    """No second query for the owner, no transaction around the one row, no read-back of it."""
    application, secret = bob_app
    with CaptureQueriesContext(connection) as queries:
        response = _token(
            {
                "client_id": application.client_id,
                "client_secret": secret,
                "grant_type": "client_credentials",
            }
        )
    assert response.status_code == 200
    read, write = _statements(queries)
    assert read.startswith("SELECT")
    assert '"oauth2_provider_application"' in read
    assert 'JOIN "auth_user"' in read
    assert write.startswith('INSERT INTO "oauth2_provider_accesstoken"')
    checksum = hashlib.sha256(response.json()["access_token"].encode()).hexdigest()
    token = type(application).objects.get(pk=application.pk).accesstoken_set.get()
    assert token.token_checksum == checksum
    assert token.user_id == application.user_id


def test_a_receiver_of_app_authorized_still_gets_each_new_token(bob_app):
    """The toolkit's signal: the token is read back for it only when something listens."""
    from oauth2_provider.signals import app_authorized

    application, secret = bob_app
    received = []

    def receiver(sender, request, token, **kwargs):
        received.append(token)

    app_authorized.connect(receiver)
    try:
        response = _token(
            {
                "client_id": application.client_id,
                "client_secret": secret,
                "grant_type": "client_credentials",
            }
        )
    finally:
        app_authorized.disconnect(receiver)
    assert response.status_code == 200
    assert set(response.json()) == {"access_token", "expires_in", "token_type", "scope"}
    [token] = received
    assert (
        token.token_checksum == hashlib.sha256(response.json()["access_token"].encode()).hexdigest()
    )
    assert token.user == application.user
    assert token.application == application


def test_a_form_body_works_too(bob_app):
    application, secret = bob_app
    response = _token(
        {
            "client_id": application.client_id,
            "client_secret": secret,
            "grant_type": "client_credentials",
        },
        json=False,
    )
    assert response.status_code == 200
    assert response.json()["token_type"] == "Bearer"


def test_the_documents_sample_fields_are_accepted_together(bob_app):
    """The document's request sample sends redirect_uri and code even for client_credentials."""
    application, secret = bob_app
    response = _token(
        {
            "client_id": application.client_id,
            "client_secret": secret,
            "grant_type": "client_credentials",
            "redirect_uri": "https://example.org",
            "code": "3LpM0dscS27mmaKtdbc4aBNhFExk0E",
        }
    )
    assert response.status_code == 200


def test_a_wrong_secret_is_refused(bob_app):
    application, _ = bob_app
    response = _token(
        {
            "client_id": application.client_id,
            "client_secret": "nope",
            "grant_type": "client_credentials",
        }
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_a_body_that_is_not_json_is_a_400():
    response = Client().post("/ping/auth/token/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_a_client_credentials_token_acts_as_the_applications_owner(bob_app):
    from oauth2_provider.models import AccessToken

    application, secret = bob_app
    token = _token(
        {
            "client_id": application.client_id,
            "client_secret": secret,
            "grant_type": "client_credentials",
        }
    ).json()["access_token"]
    checksum = hashlib.sha256(token.encode()).hexdigest()
    assert AccessToken.objects.get(token_checksum=checksum).user == application.user
    me = PingClient(token).get("/1.0/customers/accounts/me/")
    assert me.status_code == 200
    assert me.json()["username"] == "bob"


def test_an_authorization_code_application_cannot_use_client_credentials(bob):
    application, secret = make_application(
        bob, grant="authorization-code", redirect_uris=["https://example.org/cb"]
    )
    response = _token(
        {
            "client_id": application.client_id,
            "client_secret": secret,
            "grant_type": "client_credentials",
        }
    )
    # PING's token endpoint answers 200 or 400, nothing else (and RFC 6749 §5.2 says 400 for
    # unauthorized_client: the client authenticated, its grant type is not allowed)
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"


def test_the_client_secret_is_stored_hashed(bob_app):
    application, secret = bob_app
    application.refresh_from_db()
    assert application.client_secret != secret
    assert secret not in application.client_secret


def test_the_client_secret_is_stored_with_the_fast_keyed_hash_not_argon2(bob_app):
    application, secret = bob_app
    application.refresh_from_db()
    assert application.client_secret.startswith("pb_hmac_sha256$")
    assert secret not in application.client_secret


def test_an_argon2_secret_still_works_and_is_upgraded_on_first_use(bob_app, settings):
    from django.contrib.auth.hashers import make_password

    settings.PASSWORD_HASHERS = [
        *settings.PASSWORD_HASHERS,
        "django.contrib.auth.hashers.Argon2PasswordHasher",
    ]
    application, secret = bob_app
    type(application).objects.filter(pk=application.pk).update(
        client_secret=make_password(secret, hasher="argon2")
    )
    wrong = {"client_id": application.client_id, "client_secret": "nope"}
    assert _token({**wrong, "grant_type": "client_credentials"}).status_code == 401
    application.refresh_from_db()
    assert application.client_secret.startswith("argon2$")  # a wrong secret upgrades nothing
    right = {"client_id": application.client_id, "client_secret": secret}
    assert _token({**right, "grant_type": "client_credentials"}).status_code == 200
    application.refresh_from_db()
    assert application.client_secret.startswith("pb_hmac_sha256$")
    assert _token({**right, "grant_type": "client_credentials"}).status_code == 200


def test_an_unknown_client_id_costs_a_secret_check_as_a_wrong_secret_does(bob_app, monkeypatch):
    """Timing must not tell which client ids exist: both verify one secret."""
    from pulsebridge.core.hashers import KeyedSecretHasher

    calls = []
    verify = KeyedSecretHasher.verify
    monkeypatch.setattr(
        KeyedSecretHasher, "verify", lambda self, *a: calls.append(a) or verify(self, *a)
    )
    application, _ = bob_app
    for client_id in (application.client_id, "no-such-client"):
        calls.clear()
        response = _token(
            {"client_id": client_id, "client_secret": "nope", "grant_type": "client_credentials"}
        )
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"
        assert len(calls) == 1, client_id


def test_an_unknown_client_id_runs_the_queries_a_wrong_secret_does(bob_app):
    """The same work for both, in the database too: one look-up of the client, nothing else."""
    application, _ = bob_app
    seen = []
    for client_id in (application.client_id, "no-such-client"):
        with CaptureQueriesContext(connection) as queries:
            response = _token(
                {
                    "client_id": client_id,
                    "client_secret": "nope",
                    "grant_type": "client_credentials",
                }
            )
        assert response.status_code == 401
        statements = _statements(queries, leave_out=[client_id])
        # a failure is counted in the cache, in a transaction of its own: not the client's work
        seen.append([sql for sql in statements if "oauth2_provider" in sql])
    assert len(seen[0]) == 1
    assert seen[0] == seen[1]


def test_access_tokens_are_stored_as_a_hash_only(bob_app):
    from django.db import connection

    application, secret = bob_app
    token = _token(
        {
            "client_id": application.client_id,
            "client_secret": secret,
            "grant_type": "client_credentials",
        }
    ).json()["access_token"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM oauth2_provider_accesstoken")
        rows = cursor.fetchall()
    assert len(rows) == 1
    assert not any(token in str(value) for value in rows[0])
    assert hashlib.sha256(token.encode()).hexdigest() in rows[0]
    assert PingClient(token).get("/1.0/customers/accounts/me/").status_code == 200


@pytest.mark.parametrize("json", [True, False])
def test_a_nul_in_a_field_is_an_invalid_request_not_a_500(bob_app, json):
    """PostgreSQL refuses a NUL in any query: the client id is looked up with it (issue 16)."""
    application, secret = bob_app
    body = {
        "client_id": application.client_id + "\x00",
        "client_secret": secret,
        "grant_type": "client_credentials",
    }
    response = _token(body, json=json)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_a_nul_in_basic_credentials_is_an_invalid_request(bob_app):
    import base64

    application, secret = bob_app
    credentials = base64.b64encode(f"{application.client_id}\x00:{secret}".encode()).decode()
    response = Client().post(
        "/ping/auth/token/",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=f"Basic {credentials}",
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_a_deeply_nested_body_is_an_invalid_request():
    response = Client().post("/ping/auth/token/", "[" * 100_000, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_an_application_without_an_owner_is_looked_up_without_one(bob_app):
    """The toolkit lets an application have no user (ours always have one): the client is still
    found, its token belongs to no one, and the API refuses that token in PING's words."""
    application, secret = bob_app
    type(application).objects.filter(pk=application.pk).update(user=None)
    response = _token(
        {
            "client_id": application.client_id,
            "client_secret": secret,
            "grant_type": "client_credentials",
        }
    )
    assert response.status_code == 200, response.content
    token = type(application).objects.get(pk=application.pk).accesstoken_set.get()
    assert token.user_id is None
    refused = PingClient(response.json()["access_token"]).get("/1.0/customers/accounts/me/")
    assert refused.status_code == 401
    assert refused.json() == {"detail": "The token's user is unknown or inactive."}


@pytest.mark.parametrize("json", [True, False])
@pytest.mark.parametrize("client_id", [None, ""])
def test_a_request_naming_no_client_is_an_invalid_client(bob_app, json, client_id):
    """oauthlib hands the validator no client id at all (None) when the request names none."""
    body = {"client_secret": "anything", "grant_type": "client_credentials"}
    if client_id is not None:
        body["client_id"] = client_id
    response = _token(body, json=json)
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}
