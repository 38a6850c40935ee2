"""1.0/applications/: the user's own OAuth2 applications."""

from __future__ import annotations

import pytest

from .conftest import PingClient, client_credentials_token, make_application

pytestmark = pytest.mark.django_db

FIELDS = {
    "id",
    "name",
    "client_id",
    "authorization_grant_type",
    "redirect_uris",
    "created_at",
    "modified_at",
}


def test_creating_an_application_answers_its_secret_once(ping):
    response = ping.post(
        "/1.0/applications/",
        {
            "name": "Backup event retriever",
            "authorization_grant_type": "authorization-code",
            "redirect_uris": "https://myapiapp.localhost/,https://other.localhost/cb",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == FIELDS | {"client_secret"}
    assert body["redirect_uris"] == "https://myapiapp.localhost/,https://other.localhost/cb"
    assert len(body["client_secret"]) > 30
    again = ping.get(f"/1.0/applications/{body['id']}/")
    assert again.status_code == 200
    assert set(again.json()) == FIELDS
    assert again.json()["client_id"] == body["client_id"]


def test_a_created_client_credentials_application_can_get_tokens(ping):
    from pulsebridge.tracking.applications import Application

    body = ping.post(
        "/1.0/applications/", {"name": "M2M", "authorization_grant_type": "client-credentials"}
    ).json()
    token = client_credentials_token(Application.objects.get(pk=body["id"]), body["client_secret"])
    assert PingClient(token).get("/1.0/customers/accounts/me/").json()["username"] == "bob"


def test_the_list_holds_only_the_users_own_applications(ping, bob_app, dave):
    make_application(dave, name="Dave's")
    response = ping.get("/1.0/applications/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["num_pages"] == 1
    assert [a["name"] for a in body["results"]] == ["Backup"]
    assert "client_secret" not in body["results"][0]


def test_another_users_application_is_404(ping, dave):
    other, _ = make_application(dave)
    assert ping.get(f"/1.0/applications/{other.pk}/").status_code == 404
    assert ping.patch(f"/1.0/applications/{other.pk}/", {"name": "mine"}).status_code == 404
    assert ping.delete(f"/1.0/applications/{other.pk}/").status_code == 404


def test_put_and_patch_change_name_grant_and_redirect_uris(ping, bob_app):
    application, _ = bob_app
    response = ping.put(
        f"/1.0/applications/{application.pk}/",
        {
            "name": "Renamed",
            "authorization_grant_type": "authorization-code",
            "redirect_uris": "https://a.example/cb",
        },
    )
    assert response.status_code == 200, response.content
    assert response.json()["authorization_grant_type"] == "authorization-code"
    response = ping.patch(f"/1.0/applications/{application.pk}/", {"name": "Again"})
    assert response.status_code == 200
    assert response.json()["name"] == "Again"
    assert response.json()["redirect_uris"] == "https://a.example/cb"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "authorization_grant_type": "authorization-code"}, "redirect_uris"),
        ({"name": "x", "authorization_grant_type": "password"}, "authorization_grant_type"),
        ({"authorization_grant_type": "client-credentials"}, "name"),
        (
            {
                "name": "x",
                "authorization_grant_type": "authorization-code",
                "redirect_uris": "ftp://x.example/",
            },
            "redirect_uris",
        ),
    ],
)
def test_an_invalid_application_is_refused_naming_the_field(ping, body, field):
    response = ping.post("/1.0/applications/", body)
    assert response.status_code == 400
    assert isinstance(response.json()[field], list)


def test_deleting_an_application_revokes_its_tokens(ping, bob_app):
    application, _ = bob_app
    assert ping.get("/1.0/customers/accounts/me/").status_code == 200
    assert ping.delete(f"/1.0/applications/{application.pk}/").status_code == 204
    assert ping.get("/1.0/customers/accounts/me/").status_code == 401


def test_the_answer_to_create_can_be_put_back_as_it_came(ping):
    created = ping.post(
        "/1.0/applications/",
        {"name": "Mine", "authorization_grant_type": "client-credentials"},
    ).json()
    assert created["client_secret"]
    response = ping.put(f"/1.0/applications/{created['id']}/", {**created, "name": "Ours"})
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Ours"
    changed = ping.patch(f"/1.0/applications/{created['id']}/", {"client_id": "another"})
    assert changed.status_code == 400
    assert list(changed.json()) == ["client_id"]
