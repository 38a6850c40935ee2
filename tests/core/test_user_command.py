import pytest
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

PASSWORD = "tangerine-violin-42"


@pytest.mark.production_hashers
def test_it_creates_a_viewer_whose_password_is_hashed_with_argon2(run_json, alice):
    created = run_json(
        "user",
        "create",
        "--company",
        "alice-care",
        "--username",
        "dana",
        "--password",
        PASSWORD,
        "--first-name",
        "Dana",
        "--last-name",
        "Scully",
        "--email",
        "dana@alice.example",
    )
    user = get_user_model().objects.get(username="dana")
    assert created["id"] == user.pk
    assert created["company"] == "alice-care"
    assert (user.first_name, user.last_name, user.email) == ("Dana", "Scully", "dana@alice.example")
    assert user.password.startswith("argon2$")
    assert user.check_password(PASSWORD)
    assert user.membership.company == alice
    assert user.membership.role == "viewer"  # the least, unless --role says more


def test_it_can_make_an_owner(run_json, alice):
    created = run_json(
        "user",
        "create",
        "--company",
        "alice-care",
        "--username",
        "owner",
        "--password",
        PASSWORD,
        "--role",
        "owner",
    )
    assert created["role"] == "owner"


def test_it_refuses_a_username_that_is_taken(run, bob):
    with pytest.raises(CommandError, match="a user named 'bob' already exists"):
        run(
            "user", "create", "--company", "alice-care", "--username", "bob", "--password", PASSWORD
        )


def test_it_refuses_a_weak_password(run, alice):
    with pytest.raises(CommandError, match="too weak"):
        run("user", "create", "--company", "alice-care", "--username", "eve", "--password", "123")
    assert not get_user_model().objects.filter(username="eve").exists()


def test_it_refuses_a_bad_email(run, alice):
    with pytest.raises(CommandError, match="not an e-mail address"):
        run(
            "user",
            "create",
            "--company",
            "alice-care",
            "--username",
            "eve",
            "--password",
            PASSWORD,
            "--email",
            "eve-at-example",
        )


def test_it_refuses_an_unknown_company(run):
    with pytest.raises(CommandError, match="no company with code 'nobody'"):
        run("user", "create", "--company", "nobody", "--username", "eve", "--password", PASSWORD)
    assert not get_user_model().objects.exists()


def test_it_asks_for_a_password_only_on_a_terminal(run, alice):
    with pytest.raises(CommandError, match="give --password"):
        run("user", "create", "--company", "alice-care", "--username", "eve")
