"""The console's alerts and billing screens, and the patient page's alerts, time log and setup
date: every read of patient data and every change audited."""

from datetime import UTC, datetime, timedelta

import pytest

from pulsebridge.alerts.models import Alert
from pulsebridge.billing.models import TimeEntry
from pulsebridge.core.models import AuditEntry
from pulsebridge.devices.services import assign_device
from pulsebridge.ingest.readings import record_items as record_measurements


@pytest.fixture
def alerted(alice, add_device):
    cuff = assign_device(add_device(alice), patient_id="P-1")
    at = (datetime.now(UTC) - timedelta(minutes=5)).isoformat().replace("+00:00", "Z")
    record_measurements(
        alice,
        [{"imei": cuff.imei, "kind": "blood_pressure", "measured_at": at,
          "values": {"systolic": 188, "diastolic": 80}}],
    )  # fmt: skip
    return Alert.objects.get()


def test_the_alerts_screen_lists_open_alerts_and_is_audited(clinician, as_user, alerted):
    page = as_user(clinician).get("/alerts/").content.decode()
    assert "Systolic 180 mmHg or more" in page
    assert "P-1" in page
    assert "Acknowledge" in page
    assert AuditEntry.objects.filter(action="alerts.list", actor="cleo").exists()


def test_a_clinician_acknowledges_and_resolves_an_alert(clinician, as_user, alerted):
    client = as_user(clinician)
    client.post(f"/alerts/{alerted.pk}", {"action": "acknowledge", "note": "calling"})
    alerted.refresh_from_db()
    assert (alerted.status, alerted.acknowledged_by, alerted.note) == (
        "acknowledged",
        "cleo",
        "calling",
    )
    client.post(f"/alerts/{alerted.pk}", {"action": "resolve"})
    alerted.refresh_from_db()
    assert alerted.status == "resolved"
    entry = AuditEntry.objects.get(action="alert.resolve")
    assert (entry.actor, entry.patient) == ("cleo", "P-1")
    assert "not resolved" in client.get("/alerts/").content.decode()  # the filter
    assert "No alerts." in client.get("/alerts/").content.decode()


def test_a_viewer_sees_alerts_but_cannot_resolve_them(viewer, as_user, alerted):
    client = as_user(viewer)
    assert "Resolve" not in client.get("/alerts/").content.decode()
    assert client.post(f"/alerts/{alerted.pk}", {"action": "resolve"}).status_code == 403
    alerted.refresh_from_db()
    assert alerted.status == "open"


def test_another_companys_alert_is_404(charlie_user, as_user, alerted):
    client = as_user(charlie_user)
    assert client.post(f"/alerts/{alerted.pk}", {"action": "resolve"}).status_code == 404
    assert "P-1" not in client.get("/alerts/").content.decode()


def test_a_rule_is_changed_from_the_alerts_screen(owner, as_user, alice):
    client = as_user(owner)
    client.post("/alerts/rules/systolic-high", {"threshold": "172", "enabled": "on"})
    client.post("/alerts/rules/spo2-low", {"threshold": "88"})  # unchecked: off
    from pulsebridge.alerts.rules import get_rule

    assert get_rule(alice, "systolic-high").threshold == 172
    assert not get_rule(alice, "spo2-low").enabled
    response = client.post("/alerts/rules/systolic-high", {"threshold": "lots", "enabled": "on"})
    assert get_rule(alice, "systolic-high").threshold == 172
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="alerts.rule").count() == 2


def test_the_patient_page_logs_time_records_a_setup_and_sets_an_override(
    clinician, as_user, alice, alerted
):
    patient = alerted.patient
    client = as_user(clinician)
    page = client.get(f"/patients/{patient.pk}/").content.decode()
    assert "Open alerts" in page
    assert "Systolic 180 mmHg or more" in page
    assert "1 / 30 days" in page
    client.post(f"/patients/{patient.pk}/time", {"minutes": "25", "note": "reviewed"})
    entry = TimeEntry.objects.get()
    assert (entry.minutes, entry.clinician, entry.note) == (25, "cleo", "reviewed")
    assert entry.user.username == "cleo"
    client.post(f"/patients/{patient.pk}/time", {"minutes": "lots"})
    assert TimeEntry.objects.count() == 1
    client.post(f"/patients/{patient.pk}/setup", {"setup_on": "2026-11-02"})
    assert patient.billing_setups.get().setup_on.isoformat() == "2026-11-02"
    client.post(
        f"/patients/{patient.pk}/alert-rules", {"rule": "systolic-high", "threshold": "150"}
    )
    assert patient.alert_overrides.get().threshold == 150
    page = client.get(f"/patients/{patient.pk}/").content.decode()
    assert "reviewed" in page
    assert "systolic-high at 150" in page
    actions = set(AuditEntry.objects.filter(patient="P-1").values_list("action", flat=True))
    assert {"patient.view", "billing.time", "billing.setup", "alerts.override"} <= actions


def test_the_billing_screen_shows_the_month_and_its_csv(owner, as_user, alice, alerted):
    from pulsebridge.billing.services import log_time

    now = datetime.now(UTC)
    log_time(alice, alerted.patient, clinician="Nurse", minutes=45, now=now)
    month = now.strftime("%Y-%m")
    client = as_user(owner)
    page = client.get("/billing/", {"month": month}).content.decode()
    assert "P-1" in page
    assert f"RPM billing, {month}" in page
    csv = client.get("/billing/report.csv", {"month": month})
    assert csv["content-type"].startswith("text/csv")
    assert "P-1" in csv.content.decode()
    assert AuditEntry.objects.filter(action="billing.report").count() == 2
    assert "RPM billing" in client.get("/billing/", {"month": "garbage"}).content.decode()


def test_an_operator_sees_no_billing_nor_alerts(operator, as_user, alerted):
    client = as_user(operator)
    assert client.get("/billing/").status_code == 403
    assert client.get("/alerts/").status_code == 403


def test_the_company_time_zone_is_set_on_the_team_screen(owner, as_user, alice):
    client = as_user(owner)
    client.post("/team/settings", {"weight_unit": "kg", "time_zone": "America/Chicago"})
    alice.refresh_from_db()
    assert alice.time_zone == "America/Chicago"
    client.post("/team/settings", {"weight_unit": "kg", "time_zone": "Nowhere/Special"})
    alice.refresh_from_db()
    assert alice.time_zone == "America/Chicago"
