"""Every path a reading enters by is evaluated: the ingest API over HTTP, a gateway's sensor,
and the PostgreSQL one-statement path (an active device, no endpoint, no enrolment)."""

from datetime import UTC, datetime, timedelta

from pulsebridge.alerts.models import Alert
from pulsebridge.ingest.readings import record_items as record_measurements


def stamp(at: datetime) -> str:
    return at.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def test_a_reading_posted_to_the_ingest_api_raises_its_alert(client, alice, make_key, add_device):
    from pulsebridge.devices.services import assign_device

    key = make_key(alice, "ingest")
    body = {"kind": "pulse_oximetry", "measured_at": stamp(datetime.now(UTC)),
            "values": {"spo2": 86, "pulse": 90}}  # fmt: skip
    ox = assign_device(add_device(alice, "PY-OX1-LTE"), patient_id="P-1")
    body["imei"] = ox.imei
    response = client.post(
        "/ingest/v1/measurements", body, content_type="application/json", HTTP_X_API_KEY=key
    )
    assert response.status_code == 200, response.content
    alert = Alert.objects.get()
    assert (alert.rule.code, alert.value) == ("spo2-low", 86)
    assert str(alert.reading_id) == response.json()["results"][0]["id"]


def test_an_active_device_with_no_endpoint_still_raises(alice, add_device):
    """On PostgreSQL such a batch is one statement without a transaction when nothing follows
    from it; a breaking reading brings the transaction back."""
    from pulsebridge.devices.services import assign_device

    cuff = assign_device(add_device(alice), patient_id="P-1")
    now = datetime.now(UTC)
    first = {"imei": cuff.imei, "kind": "blood_pressure", "measured_at": stamp(now - timedelta(minutes=9)),
             "values": {"systolic": 120, "diastolic": 80}}  # fmt: skip
    record_measurements(alice, [first], now=now)
    cuff.refresh_from_db()
    assert cuff.billing_status == "active"
    assert not Alert.objects.exists()
    second = {**first, "measured_at": stamp(now - timedelta(minutes=1)),
              "values": {"systolic": 85, "diastolic": 55}}  # fmt: skip
    record_measurements(alice, [second], now=now)
    assert Alert.objects.get().rule.code == "systolic-low"


def test_a_gateway_sensor_reading_raises_its_alert(alice, add_device):
    from pulsebridge.devices.services import assign_device

    gateway = add_device(alice, "TENOVI-GW", serial="0a1b2c3d4e5f")
    thermometer = assign_device(
        add_device(alice, "TENOVI-THERMOMETER", serial="T-1"), patient_id="P-9"
    )
    thermometer.gateway = gateway
    thermometer.save()
    item = {"gateway_id": "0A1B2C3D4E5F", "sensor_code": thermometer.model.sensor_code,
            "kind": "temperature", "measured_at": stamp(datetime.now(UTC)),
            "values": {"temperature": 38.4, "unit": "C"}}  # fmt: skip
    [outcome] = record_measurements(alice, [item])
    assert outcome.status == "created", outcome
    alert = Alert.objects.get()
    assert (alert.rule.code, alert.patient.external_id) == ("temperature-high", "P-9")
