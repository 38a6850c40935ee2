"""``pulsebridge application create``: a user's first OAuth2 application."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from pulsebridge.tracking.applications import Application

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command("application", *args, stdout=out)
    return out.getvalue()


def test_it_creates_a_client_credentials_application_and_shows_the_secret_once(bob, client):
    answer = json.loads(
        run(
            "create",
            "--username",
            "bob",
            "--name",
            "Backup",
            "--grant",
            "client-credentials",
            "--json",
        )
    )
    assert set(answer) == {"id", "client_id", "client_secret"}
    application = Application.objects.get(pk=answer["id"])
    assert application.user == bob
    assert application.client_secret != answer["client_secret"]  # stored hashed
    token = client.post(
        "/ping/auth/token/",
        {
            "client_id": answer["client_id"],
            "client_secret": answer["client_secret"],
            "grant_type": "client_credentials",
        },
        content_type="application/json",
    )
    assert token.status_code == 200


def test_it_creates_an_authorization_code_application_with_its_redirect_uris(bob):
    answer = json.loads(
        run(
            "create",
            "--username",
            "bob",
            "--name",
            "Web",
            "--grant",
            "authorization-code",
            "--redirect-uri",
            "https://a.example/cb",
            "--redirect-uri",
            "https://b.example/cb",
            "--json",
        )
    )
    application = Application.objects.get(pk=answer["id"])
    assert application.redirect_uris.split() == ["https://a.example/cb", "https://b.example/cb"]
    assert application.authorization_grant_type == "authorization-code"


def test_without_json_it_says_what_was_made(bob):
    text = run("create", "--username", "bob", "--name", "Backup", "--grant", "client-credentials")
    assert "client_secret" in text
    assert "shown only now" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--username", "nobody", "--name", "x", "--grant", "client-credentials"], "no user named"),
        (["--username", "bob", "--name", "x", "--grant", "authorization-code"], "--redirect-uri"),
        (
            [
                "--username",
                "bob",
                "--name",
                "x",
                "--grant",
                "authorization-code",
                "--redirect-uri",
                "ftp://x",
            ],
            "redirect_uris",
        ),
    ],
)
def test_it_refuses_with_a_message(bob, args, message):
    with pytest.raises(CommandError, match=message):
        run("create", *args)


def test_a_user_of_no_company_gets_no_application(db):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user("loner", password="x")
    with pytest.raises(CommandError, match="no company"):
        run("create", "--username", "loner", "--name", "x", "--grant", "client-credentials")
