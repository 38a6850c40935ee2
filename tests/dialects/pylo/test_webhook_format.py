"""The Pylo webhook body: the document's envelope, data string and HMAC signature."""

import hashlib
import hmac
import json

import pytest

WEBHOOK_DATA_FIELDS = [
    "Id", "DeviceId", "DeviceImei", "DeviceSim", "DeviceType", "DeviceModel", "DeviceUser",
    "MeasurementType", "BatteryPercentage", "SignalStrengthPercentage", "MeasuredAt", "Values",
    "PatientId", "PracticeId", "RadioAccessTechnology", "NetworkName", "TowerLongitude",
    "TowerLatitude",
]  # fmt: skip


@pytest.fixture
def endpoint(alice):
    from pulsebridge.webhooks.models import WebhookEndpoint

    return WebhookEndpoint.objects.create(
        company=alice, url="http://127.0.0.1:9/hook", secret="shared-secret", format="pylo"
    )


def test_a_measurement_webhook_carries_the_data_string_and_its_signature(
    alice, add_device, endpoint, record
):
    from pulsebridge.webhooks.models import Delivery

    add_device(alice, "PY-300-LTE", imei="356000000000077", sim="sim1")
    [reading_id] = record(
        [
            {
                "imei": "356000000000077",
                "kind": "weight",
                "measured_at": "2021-02-23T22:06:00Z",
                "values": {"weight": 184.5, "unit": "lb"},
                "battery": 58,
                "signal": 94,
            }
        ]
    )
    delivery = Delivery.objects.get(event__type="DEVICE_MEASUREMENT")
    body = json.loads(delivery.body)
    assert list(body) == ["event", "eventTime", "data", "signature"]
    assert body["event"] == "DEVICE_MEASUREMENT"
    assert body["eventTime"].endswith("Z")
    # exactly what a receiver following the document does:
    expected = hmac.new(b"shared-secret", body["data"].encode(), hashlib.sha256).hexdigest()
    assert body["signature"] == expected
    data = json.loads(body["data"])
    assert list(data) == WEBHOOK_DATA_FIELDS
    assert data["Id"] == reading_id
    assert data["MeasurementType"] == "Weight"
    assert data["DeviceType"] == "PyloWt"
    assert data["Values"] == [{"Value": 184.5, "Type": "weight"}]


def test_a_reading_of_another_company_is_not_sent_to_alices_endpoint(
    charlie, add_device, endpoint, record
):
    from pulsebridge.webhooks.models import Delivery

    add_device(charlie, "PY-802-LTE", imei="356000000000078")
    record(
        [
            {
                "imei": "356000000000078",
                "kind": "blood_pressure",
                "measured_at": "2021-02-23T22:06:00Z",
                "values": {"systolic": 120, "diastolic": 80},
            }
        ],
        company=charlie,
    )
    assert not Delivery.objects.filter(endpoint=endpoint).exists()


@pytest.mark.parametrize("named_by", ["imei", "serial"])
def test_a_measurement_webhook_names_the_devices_patient_of_the_moment(
    alice, add_device, endpoint, record, named_by
):
    """The patient is read with the device the reading names: assigned, moved, removed."""
    from pulsebridge.devices.services import assign_device
    from pulsebridge.webhooks.models import Delivery

    device = add_device(alice, "PY-802-LTE", imei="356000000000079", serial="SN-79")
    ref = {"imei": device.imei} if named_by == "imei" else {"serial": device.serial}
    shown = []
    for minute, patient in enumerate(["P-7", "P-8", ""]):
        assign_device(device, patient_id=patient, practice_id="PR-1")
        [reading_id] = record(
            [
                {
                    **ref,
                    "kind": "blood_pressure",
                    "measured_at": f"2021-02-23T22:0{minute}:00Z",
                    "values": {"systolic": 120, "diastolic": 80},
                }
            ]
        )
        body = json.loads(Delivery.objects.get(event__subject_id=reading_id).body)
        data = json.loads(body["data"])
        shown.append((data["PatientId"], data["PracticeId"]))
    assert shown == [("P-7", "PR-1"), ("P-8", "PR-1"), ("", "PR-1")]


def test_each_endpoint_gets_the_same_data_signed_with_its_own_secret(alice, add_device, record):
    from pulsebridge.webhooks.models import Delivery, WebhookEndpoint

    secrets = ["first-secret", "second-secret", "third-secret"]
    for i, secret in enumerate(secrets):
        WebhookEndpoint.objects.create(
            company=alice, url=f"http://127.0.0.1:9/{i}", secret=secret, format="pylo"
        )
    device = add_device(alice, "PY-802-LTE")
    [reading_id] = record(
        [
            {
                "imei": device.imei,
                "kind": "blood_pressure",
                "measured_at": "2021-02-23T22:06:00Z",
                "values": {"systolic": 120, "diastolic": 80},
            }
        ]
    )
    deliveries = Delivery.objects.filter(event__subject_id=reading_id).select_related("endpoint")
    bodies = {d.endpoint.secret: json.loads(d.body) for d in deliveries}
    assert sorted(bodies) == sorted(secrets)
    (data,) = {body["data"] for body in bodies.values()}
    assert json.loads(data)["Id"] == reading_id
    for secret, body in bodies.items():
        assert body["signature"] == hmac.new(secret.encode(), data.encode(), "sha256").hexdigest()
    assert len({body["signature"] for body in bodies.values()}) == 3


def test_a_subject_published_again_is_written_again(alice, add_device, endpoint):
    """The data string is kept on the subject for the other endpoints of one event only."""
    from django.db import transaction

    from pulsebridge.webhooks.models import Delivery
    from pulsebridge.webhooks.services import publish

    device = add_device(alice, "PY-802-LTE")
    for status in ("active", "suspended"):
        device.billing_status = status
        with transaction.atomic():
            publish(alice, "DEVICE_BILLING_STATUS_CHANGED", [(device.pk, device)])
    rows = Delivery.objects.filter(endpoint=endpoint).order_by("created_at", "id")
    shown = [json.loads(json.loads(d.body)["data"])["billing_status"] for d in rows]
    assert shown == ["active", "suspended"]
