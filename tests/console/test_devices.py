from datetime import UTC, datetime, timedelta

from pulsebridge.core.models import AuditEntry
from pulsebridge.devices.models import Device
from pulsebridge.webhooks.models import Event


def test_the_fleet_filters_by_kind_billing_patient_silence_and_battery(
    operator, as_user, alice, add_device, patient_with_readings
):
    spare = add_device(alice, "PY-GL1-LTE")
    Device.objects.filter(pk=spare.pk).update(
        last_measurement_at=datetime.now(UTC) - timedelta(days=10)
    )
    client = as_user(operator)

    def serials(**query):
        page = client.get("/devices/", query).content.decode()
        return {d.serial for d in Device.objects.filter(company=alice) if f">{d.serial}<" in page}

    cuff, scale = (
        patient_with_readings.devices.get(model__kind=k) for k in ("blood_pressure", "weight")
    )
    assert serials() == {cuff.serial, scale.serial, spare.serial}
    assert serials(kind="glucose") == {spare.serial}
    assert serials(model="PY-300-LTE") == {scale.serial}
    assert serials(billing="preactive") == {spare.serial}
    assert serials(patient="P-1") == {cuff.serial, scale.serial}
    assert serials(patient="-") == {spare.serial}
    assert serials(silent="5") == {spare.serial}
    assert serials(low_battery="1") == {cuff.serial}  # its readings report 15 %


def test_an_operator_assigns_and_unassigns_a_patient_and_both_are_audited(
    operator, as_user, alice, add_device
):
    device = add_device(alice)
    client = as_user(operator)
    response = client.post(f"/devices/{device.pk}/assign", {"patient_id": "P-9"})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.patient.external_id == "P-9"
    client.post(f"/devices/{device.pk}/assign", {"patient_id": ""}, HTTP_HX_REQUEST="true")
    device.refresh_from_db()
    assert device.patient is None
    actions = list(
        AuditEntry.objects.filter(target=device.serial)
        .order_by("id")
        .values_list("action", "patient")
    )
    assert actions == [("device.assign", "P-9"), ("device.unassign", "P-9")]


def test_suspending_and_resuming_billing_calls_the_domain_service(
    operator, as_user, alice, add_device, patient_with_readings
):
    device = patient_with_readings.devices.get(model__kind="blood_pressure")
    client = as_user(operator)
    row = client.post(
        f"/devices/{device.pk}/billing", {"action": "suspend"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert f'id="device-{device.pk}"' in row
    assert "Resume billing" in row
    device.refresh_from_db()
    assert device.billing_status == "suspended"
    assert Event.objects.filter(
        type="DEVICE_BILLING_STATUS_CHANGED", subject_id=str(device.pk)
    ).exists()
    client.post(f"/devices/{device.pk}/billing", {"action": "resume"})
    device.refresh_from_db()
    assert device.billing_status == "active"
    assert AuditEntry.objects.filter(action="device.billing.suspend", target=device.serial).exists()
    assert AuditEntry.objects.filter(action="device.billing.resume", target=device.serial).exists()


def test_resuming_a_device_that_is_not_suspended_says_why(operator, as_user, alice, add_device):
    device = add_device(alice)
    response = as_user(operator).post(
        f"/devices/{device.pk}/billing", {"action": "resume"}, follow=True
    )
    assert "is preactive, not suspended" in response.content.decode()
    assert not AuditEntry.objects.filter(action="device.billing.resume").exists()
