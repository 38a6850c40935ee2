"""The native API at /api/v1/ for alert rules, overrides and alerts (an ``api`` key)."""

from datetime import UTC, datetime

import pytest

from pulsebridge.alerts.models import Alert
from pulsebridge.core.models import AuditEntry
from pulsebridge.ingest.readings import record_items as record_measurements

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def high(imei, systolic=185, at="2026-11-20T11:59:00Z"):
    return {"kind": "blood_pressure", "measured_at": at, "imei": imei,
            "values": {"systolic": systolic, "diastolic": 80}}  # fmt: skip


@pytest.fixture
def cuff(alice, add_device):
    from pulsebridge.devices.services import assign_device

    return assign_device(add_device(alice), patient_id="P-1")


@pytest.fixture
def api(client, alice, make_key):
    key = make_key(alice, "api")

    def call(method, path, body=None, **params):
        kwargs = {"HTTP_X_API_KEY": key}
        if body is not None:
            kwargs.update(data=body, content_type="application/json")
        elif params:
            kwargs["data"] = params
        return getattr(client, method)(f"/api/v1/{path}", **kwargs)

    return call


def test_the_rules_start_as_the_defaults(api):
    response = api("get", "alert-rules")
    assert response.status_code == 200
    codes = {r["code"]: r for r in response.json()["results"]}
    assert codes["systolic-high"]["threshold"] == 180
    assert codes["spo2-low"]["comparison"] == "lt"
    assert codes["weight-gain-7d"]["window_hours"] == 168
    assert len(codes) == 9


def test_a_rule_is_changed_through_the_api_and_applies_to_the_next_reading(api, alice, cuff):
    response = api("patch", "alert-rules/systolic-high", {"threshold": 170})
    assert response.status_code == 200
    assert response.json()["threshold"] == 170
    record_measurements(alice, [high(cuff.imei, systolic=175)], now=NOW)
    assert Alert.objects.get().threshold == 170
    assert AuditEntry.objects.filter(action="alerts.rule", target="systolic-high").exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"threshold": "high"}, "threshold"),
        ({"enabled": "yes"}, "enabled"),
        ({"window_hours": 5}, "window_hours"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_rule_change_is_a_400_that_changes_nothing(api, alice, body, message):
    response = api("patch", "alert-rules/systolic-high", body)
    assert response.status_code == 400
    assert message in response.json()["message"]
    assert api("get", "alert-rules/systolic-high").json()["threshold"] == 180


def test_a_patient_override_is_set_read_and_removed(api, alice, cuff):
    response = api("put", "patients/P-1/alert-rules/systolic-high", {"threshold": 150})
    assert response.status_code == 200
    assert response.json()["override"] == {"threshold": 150, "enabled": None}
    listed = {r["code"]: r for r in api("get", "patients/P-1/alert-rules").json()["results"]}
    assert listed["systolic-high"]["override"]["threshold"] == 150
    assert "override" not in listed["diastolic-high"]
    record_measurements(alice, [high(cuff.imei, systolic=155)], now=NOW)
    assert Alert.objects.get().threshold == 150
    assert api("patch", "patients/P-1/alert-rules/systolic-high", {}).status_code == 405
    assert api("put", "patients/P-1/alert-rules/nope", {"threshold": 1}).status_code == 404
    assert api("delete", "patients/P-1/alert-rules/systolic-high").status_code == 204
    assert api("delete", "patients/P-1/alert-rules/systolic-high").status_code == 404


def test_alerts_are_listed_acknowledged_and_resolved(api, alice, cuff):
    record_measurements(alice, [high(cuff.imei)], now=NOW)
    [listed] = api("get", "alerts", status="open").json()["results"]
    assert listed["rule"]["code"] == "systolic-high"
    assert listed["patient_id"] == "P-1"
    response = api("post", f"alerts/{listed['id']}/acknowledge", {"by": "Nurse Joy"})
    assert response.status_code == 200
    assert response.json()["status"] == "acknowledged"
    assert response.json()["acknowledged_by"] == "Nurse Joy"
    response = api("post", f"alerts/{listed['id']}/resolve", {"note": "called, fine"})
    assert response.json()["status"] == "resolved"
    assert response.json()["resolved_by"].startswith("api:pb_api_")
    assert api("get", "alerts", status="open").json()["results"] == []
    again = api("post", f"alerts/{listed['id']}/resolve", {})
    assert again.status_code == 400
    assert "already resolved" in again.json()["message"]
    assert AuditEntry.objects.filter(action="alert.resolve", patient="P-1").exists()


def test_another_companys_alert_and_patient_are_404(api, charlie, add_device):
    from pulsebridge.devices.services import assign_device

    theirs = assign_device(add_device(charlie), patient_id="C-1")
    record_measurements(charlie, [high(theirs.imei)], now=NOW)
    alert = Alert.objects.get()
    assert api("get", f"alerts/{alert.pk}").status_code == 404
    assert api("post", f"alerts/{alert.pk}/resolve", {}).status_code == 404
    assert api("get", "alerts/not-a-uuid").status_code == 404
    assert api("get", "patients/C-1/alert-rules").status_code == 404
    assert api("get", "alerts").json()["results"] == []
    assert Alert.objects.get().status == "open"


def test_an_ingest_key_does_not_open_the_api(client, alice, make_key):
    key = make_key(alice, "ingest")
    response = client.get("/api/v1/alerts", HTTP_X_API_KEY=key)
    assert response.status_code == 401
    assert "message" in response.json()
    assert client.get("/api/v1/alerts").status_code == 401
