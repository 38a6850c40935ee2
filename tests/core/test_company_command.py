import pytest
from django.core.management.base import CommandError

from pulsebridge.core.models import Company


def test_it_creates_a_company_and_prints_it_as_json(run_json):
    created = run_json(
        "company", "create", "--name", "Demo Clinic", "--code", "demo-clinic", "--instance-id", "7"
    )
    company = Company.objects.get(code="demo-clinic")
    assert created == {
        "id": str(company.pk),
        "code": "demo-clinic",
        "name": "Demo Clinic",
        "instance_id": "7",
        "alert_email": "",
        "time_zone": "UTC",
    }
    assert company.instance_id == "7"


def test_a_company_made_without_an_instance_id_gets_one_hayylo_can_name(run_json):
    created = run_json("company", "create", "--name", "Plain", "--code", "plain")
    assert created["instance_id"] == "1"
    assert Company.objects.get(code="plain").instance_id == "1"


def test_update_sets_the_time_zone_billing_days_are_counted_in(run_json, alice):
    changed = run_json("company", "update", "alice-care", "--time-zone", "America/Chicago")
    assert changed["changed"] == ["time_zone"]
    assert changed["time_zone"] == "America/Chicago"
    with pytest.raises(CommandError, match="time zone"):
        run_json("company", "update", "alice-care", "--time-zone", "Chicago")


def test_update_changes_the_instance_id_and_says_what_changed(run_json, alice):
    changed = run_json("company", "update", "alice-care", "--instance-id", "205")
    assert changed["changed"] == ["instance_id"]
    alice.refresh_from_db()
    assert alice.instance_id == "205"


def test_update_of_an_unknown_company_names_it(run):
    with pytest.raises(CommandError, match="no company with code 'nobody'"):
        run("company", "update", "nobody", "--name", "X")


def test_it_keeps_the_alert_email(run):
    run("company", "create", "--name", "A", "--code", "a", "--alert-email", "ops@a.example")
    assert Company.objects.get(code="a").alert_email == "ops@a.example"


def test_it_refuses_a_code_that_is_taken(run, alice):
    with pytest.raises(CommandError, match="'alice-care' already exists"):
        run("company", "create", "--name", "Other", "--code", "alice-care")


@pytest.mark.parametrize("code", ["has space", "slash/code", "é-accent", ""])
def test_it_refuses_a_code_that_is_not_a_slug(run, code):
    with pytest.raises(CommandError, match="not a valid slug"):
        run("company", "create", "--name", "X", "--code", code)
    assert not Company.objects.exists()


def test_it_refuses_a_bad_alert_email(run):
    with pytest.raises(CommandError, match="alert_email"):
        run("company", "create", "--name", "X", "--code", "x", "--alert-email", "not-an-email")


def test_it_refuses_a_blank_name(run):
    with pytest.raises(CommandError, match="--name"):
        run("company", "create", "--name", "  ", "--code", "x")


def test_it_lists_companies(run, run_json, alice, charlie):
    listed = run_json("company", "list")
    assert [c["code"] for c in listed["companies"]] == ["alice-care", "charlie-health"]
    assert listed["companies"][0]["instance_id"] == "100"
    assert "charlie-health" in run("company", "list")


def test_it_needs_a_subcommand(run):
    with pytest.raises(CommandError, match="required"):
        run("company")
