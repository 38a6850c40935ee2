"""Every delivery is signed so that a receiver can check it exactly as the documents say."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import timedelta

import pytest

from pulsebridge.webhooks.dispatch import deliver_due
from pulsebridge.webhooks.models import Delivery
from pulsebridge.webhooks.services import replay_delivery

from .conftest import T0, Answer

pytestmark = pytest.mark.live


def verify_standard_webhook(secret_key: bytes, headers: dict[str, str], body: bytes) -> bool:
    """What a receiver following https://www.standardwebhooks.com/ does."""
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(secret_key, signed, hashlib.sha256).digest()).decode()
    offered = [
        s.split(",", 1)[1] for s in headers["webhook-signature"].split() if s.startswith("v1,")
    ]
    return any(hmac.compare_digest(expected, s) for s in offered)


def test_a_receiver_verifies_the_standard_webhooks_signature(
    alice, receiver, endpoint_for, publish_event
):
    endpoint_for(alice, receiver.url, secret="plain shared secret")
    publish_event(alice)
    deliver_due(now=T0)
    (request,) = receiver.wait_for(1)
    assert verify_standard_webhook(b"plain shared secret", request.headers, request.body)
    assert request.headers["webhook-timestamp"] == str(int(T0.timestamp()))
    assert request.headers["content-type"] == "application/json"


def test_a_whsec_secret_is_used_as_standard_webhooks_libraries_expect(
    alice, receiver, endpoint_for, publish_event
):
    key = b"\x01\x02 sixteen bytes!"
    endpoint_for(alice, receiver.url, secret="whsec_" + base64.b64encode(key).decode())
    publish_event(alice)
    deliver_due(now=T0)
    (request,) = receiver.wait_for(1)
    assert verify_standard_webhook(key, request.headers, request.body)


def test_a_tampered_body_fails_verification(alice, receiver, endpoint_for, publish_event):
    endpoint_for(alice, receiver.url, secret="k")
    publish_event(alice)
    deliver_due(now=T0)
    (request,) = receiver.wait_for(1)
    assert not verify_standard_webhook(b"k", request.headers, request.body + b" ")


def test_the_bytes_sent_are_the_stored_body_and_carry_the_format_headers(
    alice, receiver, endpoint_for, publish_event
):
    endpoint_for(alice, receiver.url)
    event = publish_event(alice)
    deliver_due(now=T0)
    (request,) = receiver.wait_for(1)
    delivery = Delivery.objects.get(event=event)
    assert request.body == delivery.body.encode("utf-8")
    assert request.headers["x-test-format"] == "yes"
    assert request.headers["webhook-id"] == delivery.webhook_id


def test_a_format_header_cannot_replace_the_signature(alice, receiver, endpoint_for, publish_event):
    endpoint_for(alice, receiver.url, secret="k")
    event = publish_event(alice)
    Delivery.objects.filter(event=event).update(
        headers={
            "webhook-signature": "v1,forged",
            "Content-Type": "text/plain",
            "Host": "elsewhere.example",
            "Content-Length": "3",
        }
    )
    deliver_due(now=T0)
    (request,) = receiver.wait_for(1)
    assert verify_standard_webhook(b"k", request.headers, request.body)
    assert request.headers["content-type"] == "application/json"
    assert request.headers["host"].startswith("127.0.0.1:")
    assert request.body == Delivery.objects.get(event=event).body.encode()


def test_the_webhook_id_stays_the_same_on_retries_and_replays(
    alice, receiver_factory, endpoint_for, publish_event
):
    receiver = receiver_factory(lambda n, _: Answer(500 if n == 1 else 200))
    endpoint_for(alice, receiver.url, secret="k")
    event = publish_event(alice)
    deliver_due(now=T0)
    deliver_due(now=T0 + timedelta(minutes=15))
    delivery = Delivery.objects.get(event=event)
    replay_delivery(delivery, now=T0 + timedelta(hours=1))
    deliver_due(now=T0 + timedelta(hours=1))
    requests = receiver.wait_for(3)
    assert [r.headers["webhook-id"] for r in requests] == [delivery.webhook_id] * 3
    assert [r.headers["webhook-timestamp"] for r in requests] == [
        str(int((T0 + d).timestamp()))
        for d in (timedelta(0), timedelta(minutes=15), timedelta(hours=1))
    ]
    assert all(verify_standard_webhook(b"k", r.headers, r.body) for r in requests)


def test_a_pylo_receiver_verifies_the_hex_signature_of_the_data_string(
    alice, receiver, endpoint_for, add_device, make_key, client
):
    """End to end: a reading posted to the ingest API arrives in the Pylo format."""
    endpoint_for(alice, receiver.url, fmt="pylo", secret="pylo-secret")
    device = add_device(alice, "PY-802-LTE")
    response = client.post(
        "/ingest/v1/measurements",
        {
            "imei": device.imei,
            "kind": "blood_pressure",
            "measured_at": "2026-11-01T08:00:00Z",
            "values": {"systolic": 129, "diastolic": 84, "pulse": 62},
        },
        content_type="application/json",
        HTTP_X_API_KEY=make_key(alice, "ingest"),
    )
    assert response.status_code == 200, response.content
    deliver_due()
    requests = receiver.wait_for(1)
    measurement = next(r for r in requests if r.json()["event"] == "DEVICE_MEASUREMENT")
    webhook = measurement.json()
    # As the document says: HMAC SHA-256 of the 'data' field with the shared secret.
    expected = hmac.new(b"pylo-secret", webhook["data"].encode(), hashlib.sha256).hexdigest()
    assert hmac.compare_digest(webhook["signature"], expected)
    data = json.loads(webhook["data"])
    assert data["DeviceImei"] == device.imei
    assert data["MeasurementType"] == "Blood Pressure"
    assert verify_standard_webhook(b"pylo-secret", measurement.headers, measurement.body)


def test_a_pinned_request_goes_to_the_address_checked_and_names_the_host_it_was_for(
    alice, receiver, endpoint_for, publish_event, settings, monkeypatch
):
    """With private networks refused, the worker resolves the host itself and connects to the
    address it checked, writing the URL's own host (and port) in ``Host``. Here the name
    resolves to the loopback receiver, which the check lets through (the check itself:
    tests/webhooks/test_endpoints.py)."""
    import ipaddress

    from pulsebridge.webhooks import netguard
    from pulsebridge.webhooks.dispatch import Pinner

    port = receiver.url.rsplit(":", 1)[1].split("/", 1)[0]
    endpoint_for(alice, f"http://receiver.example:{port}/hook?x=1", secret="k")
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False

    async def resolve(self, host, port):
        return [ipaddress.ip_address("127.0.0.1")]

    checked = []
    monkeypatch.setattr(Pinner, "_resolve", resolve)
    monkeypatch.setattr(netguard, "check_addresses", lambda host, addrs: checked.append(host))
    publish_event(alice)
    deliver_due(now=T0)
    (request,) = receiver.wait_for(1)
    assert checked == ["receiver.example"]
    assert request.path == "/hook?x=1"
    assert request.headers["host"] == f"receiver.example:{port}"
    assert request.headers["user-agent"] == "Pulsebridge-Webhooks/1"
    assert request.headers["accept-encoding"] == "identity"
    assert verify_standard_webhook(b"k", request.headers, request.body)


def test_an_endpoint_url_that_cannot_be_parsed_is_a_refused_attempt_not_an_internal_error(
    alice, endpoint_for, publish_event
):
    """A URL stored before today's checks (or changed in the database) that httpx's parser
    refuses: the attempt records why, as for any refused URL."""
    from pulsebridge.webhooks.models import DeliveryAttempt, WebhookEndpoint

    endpoint = endpoint_for(alice, "http://127.0.0.1:9/hook")
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url="http://example.com:abc/")
    publish_event(alice)
    deliver_due(now=T0)
    (attempt,) = DeliveryAttempt.objects.filter(delivery__endpoint=endpoint)
    assert attempt.error.startswith("refused: not a valid URL")
