"""``pulsebridge webhook ...``: what an operator types, and what they read back."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from pulsebridge.webhooks.dispatch import deliver_due
from pulsebridge.webhooks.models import Delivery, WebhookEndpoint

from .conftest import T0, Answer


def run(*args: str) -> str:
    out = StringIO()
    call_command("webhook", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def run_json(*args: str) -> dict:
    return json.loads(run(*args, "--json"))


def test_add_prints_the_endpoint_as_one_json_object(alice):
    out = run_json(
        "add",
        "--company",
        "alice-care",
        "--url",
        "http://127.0.0.1:9/hook",
        "--format",
        "pylo",
        "--secret",
        "s3cret",
        "--event",
        "DEVICE_MEASUREMENT",
        "--event",
        "ORDER_STATUS_CHANGED",
    )
    endpoint = WebhookEndpoint.objects.get()
    assert out == {
        "id": str(endpoint.pk),
        "url": "http://127.0.0.1:9/hook",
        "format": "pylo",
        "events": ["DEVICE_MEASUREMENT", "ORDER_STATUS_CHANGED"],
        "enabled": True,
    }
    assert endpoint.secret == "s3cret"


def test_list_shows_the_companys_endpoints_and_never_their_secrets(alice, charlie, endpoint_for):
    endpoint_for(alice, "http://127.0.0.1:9/a", secret="top-secret")
    endpoint_for(charlie, "http://127.0.0.1:9/c")
    out = run_json("list", "--company", "alice-care")
    assert out["count"] == 1
    assert out["endpoints"][0]["url"] == "http://127.0.0.1:9/a"
    assert "top-secret" not in json.dumps(out)
    assert "top-secret" not in run("list", "--company", "alice-care")


def test_disable_stops_the_endpoint(alice, endpoint_for, publish_event):
    endpoint = endpoint_for(alice, "http://127.0.0.1:9/a")
    publish_event(alice)
    out = run_json("disable", str(endpoint.pk))
    assert out["enabled"] is False
    assert out["failed_deliveries"] == 1
    assert run_json("list", "--company", "alice-care")["endpoints"][0]["enabled"] is False
    assert "enabled" in run("enable", str(endpoint.pk))
    endpoint.refresh_from_db()
    assert endpoint.enabled


@pytest.mark.live
def test_deliveries_lists_each_attempt_with_status_latency_and_answer(
    alice, endpoint_for, publish_event, receiver_factory
):
    receiver = receiver_factory(Answer(500, b"upstream exploded"))
    endpoint_for(alice, receiver.url)
    event = publish_event(alice)
    deliver_due(now=T0)
    out = run_json("deliveries", "--company", "alice-care")
    (delivery,) = out["deliveries"]
    assert delivery["event"] == "DEVICE_MEASUREMENT"
    assert delivery["subject_id"] == event.subject_id
    assert delivery["status"] == "pending"
    assert delivery["last_error"] == "HTTP 500"
    (attempt,) = delivery["log"]
    assert attempt["status_code"] == 500
    assert attempt["response"] == "upstream exploded"
    assert isinstance(attempt["latency_ms"], int)
    text = run("deliveries", "--company", "alice-care")
    assert "500" in text
    assert "upstream exploded" in text
    assert run_json("deliveries", "--company", "alice-care", "--status", "failed")["count"] == 0


def test_deliveries_of_another_company_are_not_listed(alice, charlie, endpoint_for, publish_event):
    endpoint_for(alice, "http://127.0.0.1:9/a")
    publish_event(alice)
    assert run_json("deliveries", "--company", "charlie-health")["count"] == 0


@pytest.mark.live
def test_replay_sends_a_failed_delivery_again_with_the_same_webhook_id(
    alice, endpoint_for, publish_event, receiver_factory
):
    receiver = receiver_factory(lambda n, _: Answer(410 if n == 1 else 200))
    endpoint = endpoint_for(alice, receiver.url)
    event = publish_event(alice)
    deliver_due(now=T0)  # 410: failed, endpoint disabled
    delivery = Delivery.objects.get(event=event)
    assert delivery.status == "failed"
    with pytest.raises(CommandError, match="is disabled"):
        run("replay", str(delivery.pk))
    run("enable", str(endpoint.pk))
    out = run("replay", str(delivery.pk))
    assert out.startswith(f"delivered {delivery.webhook_id}: HTTP 200")
    first, second = receiver.wait_for(2)
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == delivery.webhook_id
    assert first.body == second.body
    delivery.refresh_from_db()
    assert delivery.status == "succeeded"
    assert delivery.attempt_log.count() == 2


def test_replay_with_queue_leaves_it_to_the_worker(alice, endpoint_for, publish_event):
    endpoint_for(alice, "http://127.0.0.1:9/a")
    event = publish_event(alice)
    delivery = Delivery.objects.get(event=event)
    Delivery.objects.filter(pk=delivery.pk).update(status="failed", attempts=6)
    assert run("replay", "--queue", str(delivery.pk)).startswith("queued")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.first_attempt_at) == ("pending", 0, None)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["list", "--company", "nobody"], "no company with code 'nobody'"),
        (["disable", "not-a-uuid"], "'not-a-uuid' is not a webhook endpoint id"),
        (["disable", "00000000-0000-0000-0000-000000000000"], "no webhook endpoint"),
        (["replay", "00000000-0000-0000-0000-000000000000"], "no delivery"),
        (
            [
                "add",
                "--company",
                "alice-care",
                "--url",
                "ftp://x",
                "--format",
                "pylo",
                "--secret",
                "k",
            ],
            "url: only http:// and https://",
        ),
        (
            [
                "add",
                "--company",
                "alice-care",
                "--url",
                "http://127.0.0.1/",
                "--format",
                "xml",
                "--secret",
                "k",
            ],
            "format: 'xml' is not one of",
        ),
        (["deliveries", "--company", "alice-care", "--status", "lost"], "invalid choice"),
    ],
)
def test_mistakes_are_explained_without_a_traceback(alice, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
