"""hwi/test-webhooks/ (a sample sent at once, each webhook's answer reported), hwi/resend-webhooks/
(readings sent again through the outbox) and the signing secret of a Tenovi webhook."""

import base64
import json
from datetime import datetime

import pytest

from pulsebridge.webhooks.dispatch import deliver_due
from pulsebridge.webhooks.models import Delivery
from tests.webhooks.conftest import Answer, Receiver
from tests.webhooks.test_signatures import verify_standard_webhook

from .conftest import bp

pytestmark = pytest.mark.live


@pytest.fixture(autouse=True)
def _receivers_on_127_0_0_1(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True


@pytest.fixture
def receiver_factory():
    started = []

    def make(answer=None) -> Receiver:
        started.append(Receiver(answer).start())
        return started[-1]

    yield make
    for one in started:
        one.stop()


@pytest.fixture
def receiver(receiver_factory) -> Receiver:
    return receiver_factory()


def hook(tenovi, url, event="MEASUREMENT", **fields):
    response = tenovi.post("hwi/webhooks/", {"endpoint": url, "event": event, **fields})
    assert response.status_code == 201, response.content
    return response.json()


def key_of(secret: str) -> bytes:
    """What a Standard Webhooks library does with a ``whsec_`` secret."""
    return base64.b64decode(secret.removeprefix("whsec_"))


def test_a_test_is_sent_to_each_webhook_of_the_event_and_says_what_each_answered(
    tenovi, receiver_factory
):
    ok, failing = receiver_factory(), receiver_factory(Answer(status=500, body=b"boom"))
    first = hook(tenovi, ok.url, auth_header="Bearer abc")
    second = hook(tenovi, failing.url, post_as_array=True)
    hook(tenovi, ok.url.replace("/hook", "/fulfillment"), event="FULFILLMENT")
    response = tenovi.post(
        "hwi/test-webhooks/", {"event": "MEASUREMENT", "metric": "weight", "value": "184.5"}
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["event"], body["metric"], body["value"]) == ("MEASUREMENT", "weight", "184.50")
    answers = {r["webhook_id"]: r for r in body["responses"]}
    assert set(answers) == {first["id"], second["id"]}
    assert (answers[first["id"]]["status_code"], answers[first["id"]]["error"]) == ("200", None)
    assert (answers[second["id"]]["status_code"], answers[second["id"]]["response"]) == (
        "500",
        "boom",
    )
    [sent] = ok.wait_for(1)
    item = sent.json()
    assert (item["metric"], item["value_1"], item["created"]) == (
        "weight",
        "184.50",
        item["timestamp"],
    )
    assert sent.headers["authorization"] == "Bearer abc"
    assert verify_standard_webhook(key_of(first["secret"]), sent.headers, sent.body)
    assert isinstance(failing.wait_for(1)[0].json(), list)  # post_as_array
    # through the outbox, logged, and never retried: a test that failed has failed
    statuses = set(Delivery.objects.values_list("status", "attempts"))
    assert statuses == {("succeeded", 1), ("failed", 1)}
    assert deliver_due() == []


def test_a_test_of_fulfillment_goes_to_the_named_webhooks_only(tenovi, receiver_factory):
    one, two = receiver_factory(), receiver_factory()
    hook(tenovi, one.url, event="FULFILLMENT")
    named = hook(tenovi, two.url, event="FULFILLMENT")
    response = tenovi.post(
        "hwi/test-webhooks/",
        {"event": "FULFILLMENT", "status": "Shipped", "webhook_ids": [named["id"]]},
    )
    assert [r["webhook_id"] for r in response.json()["responses"]] == [named["id"]]
    [sent] = two.wait_for(1)
    assert sent.json()["status"] == "Shipped"
    assert one.requests == []


def test_a_test_names_only_the_clients_webhooks_of_that_event(tenovi, charlie_tenovi, receiver):
    measurement = hook(tenovi, receiver.url)
    wrong = tenovi.post(
        "hwi/test-webhooks/", {"event": "FULFILLMENT", "webhook_ids": [measurement["id"]]}
    )
    assert wrong.status_code == 400
    assert "webhook_ids" in wrong.json()
    theirs = charlie_tenovi.post(
        "hwi/test-webhooks/", {"event": "MEASUREMENT", "webhook_ids": [measurement["id"]]}
    )
    assert theirs.status_code == 400
    assert tenovi.post("hwi/test-webhooks/", {"event": "NOPE"}).status_code == 400


def test_resend_queues_a_readings_items_again_to_the_webhooks(tenovi, gateway, reading, receiver):
    endpoint = hook(tenovi, receiver.url, post_as_array=True)
    cuff = tenovi.activate()
    first = reading(bp("2025-03-01T08:00:00Z"))
    reading(bp("2025-03-02T08:00:00Z"))
    assert Delivery.objects.count() == 2
    response = tenovi.post("hwi/resend-webhooks/", {"measurement_id": first})
    assert response.status_code == 201
    body = response.json()
    assert (body["all_failed"], body["webhook_ids"]) == (False, [endpoint["id"]])
    [queued] = body["responses"]
    assert (queued["webhook_id"], queued["status"]) == (endpoint["id"], "queued")
    again = Delivery.objects.get(webhook_id=queued["message_id"])
    assert again.status == "pending"  # the worker sends it, with the usual retries
    assert {i["timestamp"][:10] for i in json.loads(again.body)} == {"2025-03-01"}
    everything = tenovi.post("hwi/resend-webhooks/", {"client_device_id": cuff["id"]}).json()
    assert len(everything["responses"]) == 2
    ranged = tenovi.post(
        "hwi/resend-webhooks/",
        {"patient_id": "P-1", "timestamp__gte": "2025-03-02T00:00:00Z"},
    ).json()
    assert len(ranged["responses"]) == 1


def test_resend_sends_nothing_of_a_device_that_is_no_hwi_device(
    tenovi, alice, add_device, reading, receiver
):
    hook(tenovi, receiver.url)
    add_device(alice, "PY-802-LTE", imei="356000000000001")
    pylo_reading = reading(bp(imei="356000000000001"))
    body = tenovi.post("hwi/resend-webhooks/", {"measurement_id": pylo_reading}).json()
    assert (body["responses"], body["all_failed"]) == ([], True)


def test_resend_needs_one_reading_device_or_patient(tenovi):
    response = tenovi.post("hwi/resend-webhooks/", {})
    assert response.status_code == 400
    assert "measurement_id" in response.json()
    bad = tenovi.post("hwi/resend-webhooks/", {"client_device_id": "nope"})
    assert bad.json() == {"client_device_id": ["must be a UUID"]}


def test_the_signing_secret_is_readable_and_can_be_set(tenovi, gateway, reading, receiver):
    created = hook(tenovi, receiver.url, secret="a secret of my own choosing")
    assert created["secret"] == "a secret of my own choosing"
    generated = hook(tenovi, receiver.url.replace("/hook", "/other"))["secret"]
    assert generated.startswith("whsec_")
    assert len(key_of(generated)) == 24
    url = f"hwi/webhooks/{created['id']}/"
    assert tenovi.get(url).json()["secret"] == "a secret of my own choosing"
    assert tenovi.patch(url, {"secret": "short"}).status_code == 400
    whsec = "whsec_" + base64.b64encode(b"k" * 24).decode()
    assert tenovi.patch(url, {"secret": whsec}).status_code == 200
    tenovi.activate()
    reading(bp())
    deliver_due()
    receiver.wait_for(6)  # three items, to each of the two webhooks
    signed = [r for r in receiver.requests if r.path == "/hook"]
    assert len(signed) == 3
    assert all(verify_standard_webhook(b"k" * 24, r.headers, r.body) for r in signed)


def test_every_time_parses_with_tenovis_format(tenovi, gateway, reading, receiver):
    hook(tenovi, receiver.url)
    cuff = tenovi.activate()
    reading(bp("2024-05-23T20:51:29.211103Z"))
    items = tenovi.get(f"hwi/hwi-devices/{cuff['id']}/measurements/").json()
    assert {i["timestamp"] for i in items} == {"2024-05-23T20:51:29.211103Z"}
    webhook = Delivery.objects.first().body
    for item in [*items, json.loads(webhook)]:
        for name in ("created", "timestamp"):
            datetime.strptime(item[name], "%Y-%m-%dT%H:%M:%S.%fZ")
    device = tenovi.get(f"hwi/hwi-devices/{cuff['id']}/").json()
    datetime.strptime(device["device"]["created"], "%Y-%m-%dT%H:%M:%S.%fZ")
