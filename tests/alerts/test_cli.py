"""``pulsebridge alerts``: rules, overrides and alerts from the operator's shell."""

from datetime import UTC, datetime

import pytest
from django.core.management.base import CommandError

from pulsebridge.alerts.models import Alert
from pulsebridge.ingest.readings import record_items as record_measurements

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def cuff(alice, add_device):
    from pulsebridge.devices.services import assign_device

    return assign_device(add_device(alice), patient_id="P-1")


def reading(imei, systolic, minute=59):
    return {"kind": "blood_pressure", "measured_at": f"2026-11-20T11:{minute}:00Z", "imei": imei,
            "values": {"systolic": systolic, "diastolic": 80}}  # fmt: skip


def test_rules_are_listed_changed_and_overridden(alice, cuff, run, run_json):
    assert "systolic-high" in run("alerts", "rules", "--company", "alice-care")
    run("alerts", "set-rule", "--company", "alice-care", "systolic-high", "--threshold", "175")
    rules = {r["code"]: r for r in run_json("alerts", "rules", "--company", "alice-care")["rules"]}
    assert rules["systolic-high"]["threshold"] == 175
    run("alerts", "override", "--company", "alice-care", "--patient", "P-1", "systolic-high",
        "--enabled", "off")  # fmt: skip
    record_measurements(alice, [reading(cuff.imei, 190)], now=NOW)
    assert not Alert.objects.exists()
    run("alerts", "override", "--company", "alice-care", "--patient", "P-1", "systolic-high",
        "--remove")  # fmt: skip
    record_measurements(alice, [reading(cuff.imei, 191, minute=58)], now=NOW)
    assert Alert.objects.get().threshold == 175


def test_alerts_are_listed_and_resolved(alice, charlie, cuff, run, run_json):
    record_measurements(alice, [reading(cuff.imei, 190)], now=NOW)
    [alert] = run_json("alerts", "list", "--company", "alice-care", "--status", "open")["alerts"]
    run("alerts", "acknowledge", "--company", "alice-care", alert["id"])
    out = run("alerts", "resolve", "--company", "alice-care", alert["id"], "--note", "seen")
    assert '"resolved"' in out
    assert Alert.objects.get().note == "seen"
    with pytest.raises(CommandError, match="already resolved"):
        run("alerts", "resolve", "--company", "alice-care", alert["id"])
    with pytest.raises(CommandError, match="no alert"):
        run("alerts", "resolve", "--company", "charlie-health", alert["id"])


def test_an_unknown_rule_is_a_clear_error(alice, run):
    with pytest.raises(CommandError, match="no rule"):
        run("alerts", "set-rule", "--company", "alice-care", "nope", "--threshold", "1")
