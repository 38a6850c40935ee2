"""ALERT_RAISED and ALERT_RESOLVED reach only the endpoints that asked for them, in the
Standard Webhooks payload shape of docs/webhooks.md, from the readings' own transaction."""

import json
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import call_command

from pulsebridge.alerts.models import Alert
from pulsebridge.alerts.services import acknowledge, resolve
from pulsebridge.ingest.readings import record_items as record_measurements
from pulsebridge.webhooks.models import Delivery, Event
from pulsebridge.webhooks.services import create_endpoint

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def high(imei, at="2026-11-20T11:59:00Z"):
    return {"kind": "blood_pressure", "measured_at": at, "imei": imei,
            "values": {"systolic": 185, "diastolic": 80}}  # fmt: skip


@pytest.fixture
def cuff(alice, add_device):
    from pulsebridge.devices.services import assign_device

    return assign_device(add_device(alice), patient_id="P-1")


def test_an_endpoint_taking_every_event_type_gets_no_alert(alice, cuff):
    create_endpoint(alice, "http://127.0.0.1:9/hook", "s3cret", "pylo")
    record_measurements(alice, [high(cuff.imei)], now=NOW)
    assert Alert.objects.count() == 1
    assert not Delivery.objects.filter(event__type="ALERT_RAISED").exists()


@pytest.mark.parametrize("fmt", ["pylo", "tenovi"])
def test_an_endpoint_that_opted_in_gets_the_standard_webhooks_body(alice, cuff, fmt):
    create_endpoint(alice, "http://127.0.0.1:9/hook", "s3cret", fmt, ["ALERT_RAISED"],
                    auth_header="x-auth", auth_key="k3y")  # fmt: skip
    [outcome] = record_measurements(alice, [high(cuff.imei)], now=NOW)
    delivery = Delivery.objects.get(event__type="ALERT_RAISED")
    body = json.loads(delivery.body)
    assert body["type"] == "alert.raised"
    assert body["timestamp"].endswith("Z")
    data = body["data"]
    alert = Alert.objects.get()
    assert data["id"] == str(alert.pk) == delivery.event.subject_id
    assert data["patient_id"] == "P-1"
    assert data["reading_id"] == outcome.id
    assert data["rule"]["code"] == "systolic-high"
    assert (data["value"], data["threshold"], data["late"], data["status"]) == (
        185,
        180,
        False,
        "open",
    )
    assert data["measured_at"] == "2026-11-20T11:59:00Z"
    if fmt == "tenovi":
        assert delivery.headers == {"x-auth": "k3y"}


def test_resolving_announces_alert_resolved_to_those_who_asked(alice, cuff):
    create_endpoint(alice, "http://127.0.0.1:9/hook", "s3cret", "pylo", ["ALERT_RESOLVED"])
    record_measurements(alice, [high(cuff.imei)], now=NOW)
    assert not Delivery.objects.exists()
    alert = acknowledge(Alert.objects.get(), by="nurse", note="calling them")
    assert alert.status == "acknowledged"
    alert = resolve(alert, by="nurse")
    body = json.loads(Delivery.objects.get().body)
    assert body["type"] == "alert.resolved"
    assert body["data"]["resolved_by"] == "nurse"
    assert body["data"]["note"] == "calling them"
    assert Event.objects.filter(type="ALERT_RESOLVED").count() == 1


def test_an_alert_is_written_with_its_reading_and_outbox_rows_or_not_at_all(alice, cuff):
    create_endpoint(
        alice, "http://127.0.0.1:9/hook", "s3cret", "pylo", ["ALERT_RAISED", "DEVICE_MEASUREMENT"]
    )
    record_measurements(alice, [high(cuff.imei)], now=NOW)
    assert set(Delivery.objects.values_list("event__type", flat=True)) == {
        "ALERT_RAISED",
        "DEVICE_MEASUREMENT",
    }


@pytest.mark.live
def test_the_worker_delivers_an_alert_signed_to_a_real_receiver(
    transactional_db, alice, add_device
):
    from pulsebridge.devices.services import assign_device
    from tests.webhooks.conftest import Receiver

    receiver = Receiver().start()
    try:
        cuff = assign_device(add_device(alice), patient_id="P-1")
        create_endpoint(alice, receiver.url, "whsec_" + "a" * 32, "pylo", ["ALERT_RAISED"])
        record_measurements(alice, [high(cuff.imei)], now=NOW)
        call_command("worker", "--once", stdout=StringIO(), stderr=StringIO())
        [got] = receiver.requests
    finally:
        receiver.stop()
    assert got.json()["type"] == "alert.raised"
    assert got.headers["webhook-id"].startswith("msg_")
    assert got.headers["webhook-signature"].startswith("v1,")
