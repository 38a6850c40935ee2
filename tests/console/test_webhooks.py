import pytest

from pulsebridge.core.models import AuditEntry
from pulsebridge.webhooks.models import Delivery, WebhookEndpoint
from pulsebridge.webhooks.services import create_endpoint
from tests.webhooks.conftest import Answer, Receiver


@pytest.fixture
def receiver():
    started = Receiver(Answer(status=500, body=b"down")).start()
    yield started
    started.stop()


def test_adding_an_endpoint_shows_its_secret_once(operator, as_user, alice):
    client = as_user(operator)
    page = client.post(
        "/webhooks/endpoints",
        {"url": "http://127.0.0.1:9/hook", "format": "pylo", "events": ["ORDER_STATUS_CHANGED"]},
    ).content.decode()
    endpoint = WebhookEndpoint.objects.get(company=alice)
    assert endpoint.event_types == ["ORDER_STATUS_CHANGED"]
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.secret in page
    assert endpoint.secret not in client.get("/webhooks/").content.decode()
    assert AuditEntry.objects.filter(
        action="webhook.endpoint.add", target=str(endpoint.pk)
    ).exists()


def test_a_bad_url_is_refused_with_the_reason(operator, as_user, alice):
    page = (
        as_user(operator)
        .post("/webhooks/endpoints", {"url": "ftp://x", "format": "pylo"})
        .content.decode()
    )
    assert "url:" in page
    assert not WebhookEndpoint.objects.exists()


def test_disabling_enabling_and_changing_the_events(operator, as_user, alice):
    endpoint = create_endpoint(alice, "http://127.0.0.1:9/hook", "s", "pylo")
    client = as_user(operator)
    client.post(f"/webhooks/endpoints/{endpoint.pk}/state", {"action": "disable"})
    endpoint.refresh_from_db()
    assert not endpoint.enabled
    client.post(f"/webhooks/endpoints/{endpoint.pk}/state", {"action": "enable"})
    client.post(f"/webhooks/endpoints/{endpoint.pk}/events", {"events": ["DEVICE_MEASUREMENT"]})
    endpoint.refresh_from_db()
    assert endpoint.enabled
    assert endpoint.event_types == ["DEVICE_MEASUREMENT"]


def test_replaying_a_failed_delivery_sends_it_again_now(
    operator, as_user, alice, receiver, patient_with_readings
):
    from pulsebridge.fulfillment.services import (
        LineRequest,
        OrderRequest,
        cancel_order,
        place_order,
    )
    from pulsebridge.webhooks import dispatch

    endpoint = create_endpoint(alice, receiver.url, "s", "pylo", ["ORDER_STATUS_CHANGED"])
    cancel_order(place_order(alice, OrderRequest(lines=[LineRequest("PY-802-LTE", 1)])))
    dispatch.deliver_due()
    delivery = Delivery.objects.filter(endpoint=endpoint).first()
    delivery.refresh_from_db()
    attempts = delivery.attempt_log.count()
    client = as_user(operator)
    page = client.get("/webhooks/").content.decode()
    assert "down" in page  # the answer's first bytes
    receiver.answer = Answer(status=200, body=b"thanks")
    response = client.post(f"/webhooks/deliveries/{delivery.pk}/replay", HTTP_HX_REQUEST="true")
    assert "Delivered again: HTTP 200" in response.content.decode()
    delivery.refresh_from_db()
    assert delivery.status == "succeeded"
    assert delivery.attempt_log.count() == attempts + 1
    assert receiver.requests[-1].headers["webhook-id"] == delivery.webhook_id
    assert AuditEntry.objects.filter(action="webhook.delivery.replay").exists()


def test_failed_deliveries_are_listed_first(operator, as_user, alice):
    from pulsebridge.fulfillment.services import (
        LineRequest,
        OrderRequest,
        cancel_order,
        place_order,
    )

    endpoint = create_endpoint(alice, "http://127.0.0.1:9/hook", "s", "pylo")
    for _ in range(2):
        cancel_order(place_order(alice, OrderRequest(lines=[LineRequest("PY-802-LTE", 1)])))
    first, *_ = Delivery.objects.filter(endpoint=endpoint).order_by("created_at")
    Delivery.objects.filter(pk=first.pk).update(status="failed")
    page = as_user(operator).get("/webhooks/").content.decode()
    assert page.index(f'id="delivery-{first.pk}"') < page.index('class="delivery pending"')
