"""1.0/customers/accounts/me/ and password/change/, and what a token must be to be let in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from .conftest import PASSWORD, PingClient, client_credentials_token

pytestmark = pytest.mark.django_db


def test_me_answers_the_tokens_user_and_customer(ping, bob, alice):
    bob.first_name, bob.last_name = "Jon", "Doe"
    bob.save()
    response = ping.get("/1.0/customers/accounts/me/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "id",
        "username",
        "first_name",
        "last_name",
        "customer",
        "created_at",
        "modified_at",
    }
    assert body["id"] == bob.pk
    assert (body["username"], body["first_name"], body["last_name"]) == ("bob", "Jon", "Doe")
    assert body["customer"] == {"id": str(alice.pk), "code": "alice-care", "name": "Alice Care"}
    assert body["created_at"].endswith("Z")


def test_a_request_without_a_token_is_401():
    response = PingClient(None).get("/1.0/customers/accounts/me/")
    assert response.status_code == 401
    assert "detail" in response.json()
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_made_up_token_is_401():
    response = PingClient("made-up").get("/1.0/customers/accounts/me/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid, expired or revoked access token."}


def test_an_expired_token_is_401(ping):
    from oauth2_provider.models import AccessToken

    AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    assert ping.get("/1.0/customers/accounts/me/").status_code == 401


def test_a_revoked_token_is_401(ping):
    from oauth2_provider.models import AccessToken

    AccessToken.objects.get().revoke()
    assert ping.get("/1.0/customers/accounts/me/").status_code == 401


def test_a_user_of_no_customer_is_403(db):
    from django.contrib.auth import get_user_model

    from .conftest import make_application

    loner = get_user_model().objects.create_user("loner", password=PASSWORD)
    # An application can only be made for a member; one made before the membership ended:
    from pulsebridge.core.models import Company, Membership

    membership = Membership.objects.create(
        user=loner, company=Company.objects.create(code="x", name="X")
    )
    token = client_credentials_token(*make_application(loner))
    membership.delete()
    response = PingClient(token).get("/1.0/customers/accounts/me/")
    assert response.status_code == 403
    assert response.json() == {"detail": "This account belongs to no customer."}


def test_the_password_is_changed(ping, bob):
    response = ping.post(
        "/1.0/customers/accounts/password/change/",
        {
            "old_password": PASSWORD,
            "password": "a new and long pass phrase",
            "password_confirmation": "a new and long pass phrase",
        },
    )
    assert response.status_code == 204
    bob.refresh_from_db()
    assert bob.check_password("a new and long pass phrase")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {
                "old_password": "wrong",
                "password": "a new and long pass phrase",
                "password_confirmation": "a new and long pass phrase",
            },
            "old_password",
        ),
        (
            {
                "old_password": PASSWORD,
                "password": "a new and long pass phrase",
                "password_confirmation": "another",
            },
            "password_confirmation",
        ),
        ({"old_password": PASSWORD, "password": "123", "password_confirmation": "123"}, "password"),
        (
            {"old_password": PASSWORD, "password": "a new and long pass phrase"},
            "password_confirmation",
        ),
    ],
)
def test_a_refused_password_change_names_the_field_and_changes_nothing(ping, bob, body, field):
    response = ping.post("/1.0/customers/accounts/password/change/", body)
    assert response.status_code == 400
    errors = response.json()
    assert isinstance(errors[field], list)
    bob.refresh_from_db()
    assert bob.check_password(PASSWORD)


def test_an_unknown_ping_path_is_a_drf_shaped_404(ping):
    response = ping.get("/1.0/nothing/here/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_path_without_its_trailing_slash_is_a_301_to_it(ping):
    response = ping.get("/1.0/customers/accounts/me")
    assert response.status_code == 301
    assert response["Location"] == "/ping/1.0/customers/accounts/me/"
    assert ping.get("/1.0/devices/devices", {"page": "2"})["Location"].endswith(
        "/ping/1.0/devices/devices/?page=2"
    )


def test_a_path_that_would_not_exist_with_the_slash_is_a_404_not_a_redirect(ping):
    response = ping.get("/1.0/nothing/here")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_the_documents_doubled_slash_after_the_base_path_is_accepted(ping, bob_app):
    application, secret = bob_app
    token = ping.client.post(
        "/ping//auth/token/",
        {
            "client_id": application.client_id,
            "client_secret": secret,
            "grant_type": "client_credentials",
        },
        content_type="application/json",
    )
    assert token.status_code == 200
    me = ping.client.get(
        "/ping//1.0/customers/accounts/me/",
        HTTP_AUTHORIZATION=f"Bearer {token.json()['access_token']}",
    )
    assert me.status_code == 200
    assert me.json()["username"] == "bob"
