import pytest
from django.core.management.base import CommandError

from pulsebridge.core.apikeys import find_api_key
from pulsebridge.core.models import ApiKey


def test_it_creates_a_key_that_opens_its_dialect(run_json, alice):
    created = run_json("apikey", "create", "--company", "alice-care", "--dialect", "pylo")
    assert created["dialect"] == "pylo"
    assert created["key"].startswith(created["prefix"] + "_")
    api_key = find_api_key(created["key"], "pylo")
    assert api_key is not None
    assert api_key.company == alice
    assert api_key.plan is not None


def test_it_prints_only_the_key_on_stdout_without_json(run, alice):
    output = run("apikey", "create", "--company", "alice-care", "--dialect", "ingest")
    key = output.strip()
    assert find_api_key(key, "ingest") is not None


def test_it_sets_the_usage_plan_limits(run_json, alice):
    created = run_json(
        "apikey",
        "create",
        "--company",
        "alice-care",
        "--dialect",
        "tenovi",
        "--rate-per-second",
        "7",
        "--monthly-quota",
        "1000",
    )
    plan = find_api_key(created["key"], "tenovi").plan
    assert (plan.rate_per_second, plan.monthly_quota) == (7, 1000)
    assert created["plan"] == {"rate_per_second": 7, "monthly_quota": 1000}


def test_it_makes_a_key_without_a_plan(run_json, alice):
    created = run_json(
        "apikey", "create", "--company", "alice-care", "--dialect", "pylo", "--no-plan"
    )
    assert find_api_key(created["key"], "pylo").plan is None
    assert created["plan"] is None


def test_it_refuses_no_plan_with_limits(run, alice):
    with pytest.raises(CommandError, match="--no-plan cannot be combined"):
        run(
            "apikey",
            "create",
            "--company",
            "alice-care",
            "--dialect",
            "pylo",
            "--no-plan",
            "--rate-per-second",
            "5",
        )


def test_it_refuses_an_unknown_dialect(run, alice):
    with pytest.raises(CommandError, match="invalid choice: 'soap'"):
        run("apikey", "create", "--company", "alice-care", "--dialect", "soap")
    assert not ApiKey.objects.exists()


def test_it_refuses_an_unknown_company(run):
    with pytest.raises(CommandError, match="no company with code 'nobody'"):
        run("apikey", "create", "--company", "nobody", "--dialect", "pylo")


def test_it_refuses_a_rate_below_one(run, alice):
    with pytest.raises(CommandError, match="must be at least 1"):
        run(
            "apikey",
            "create",
            "--company",
            "alice-care",
            "--dialect",
            "pylo",
            "--rate-per-second",
            "0",
        )


def test_a_revoked_key_opens_nothing(run, run_json, alice):
    created = run_json("apikey", "create", "--company", "alice-care", "--dialect", "hayylo")
    assert "revoked" in run("apikey", "revoke", created["prefix"])
    assert find_api_key(created["key"], "hayylo") is None
    assert "already revoked" in run("apikey", "revoke", created["prefix"])


def test_it_says_when_no_key_has_that_prefix(run, alice):
    with pytest.raises(CommandError, match="no API key with prefix pb_pylo_nothere"):
        run("apikey", "revoke", "pb_pylo_nothere")


def test_it_does_not_revoke_a_key_named_with_the_wrong_dialect(run_json, run, alice):
    created = run_json("apikey", "create", "--company", "alice-care", "--dialect", "pylo")
    lookup = created["prefix"].split("_")[2]
    with pytest.raises(CommandError, match="no API key"):
        run("apikey", "revoke", f"pb_ingest_{lookup}")
    assert find_api_key(created["key"], "pylo") is not None


def test_it_lists_keys_without_showing_them(run, run_json, alice, charlie, make_key):
    key = make_key(alice, "pylo")
    make_key(charlie, "pylo")
    run("apikey", "revoke", key.rsplit("_", 1)[0])
    listed = run_json("apikey", "list", "--company", "alice-care")
    assert listed["count"] == 1
    (row,) = listed["api_keys"]
    assert row["prefix"] == key.rsplit("_", 1)[0]
    assert row["last4"] == key[-4:]
    assert row["revoked"] is True
    secret = key.rsplit("_", 1)[1]
    assert secret not in str(listed)
    assert secret not in run("apikey", "list", "--company", "alice-care")
