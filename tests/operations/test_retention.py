"""The worker's retention: succeeded deliveries (and their attempts) and imported batches'
bodies go after their age; nothing else does."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from django.test import override_settings
from django.utils import timezone

from pulsebridge.care.models import ImportBatch
from pulsebridge.operations import retention
from pulsebridge.webhooks.models import Delivery, DeliveryAttempt, Event, WebhookEndpoint


def delivery(company, endpoint, status, last_attempt_days_ago):
    now = timezone.now()
    at = now - timedelta(days=last_attempt_days_ago)
    event = Event.objects.create(
        company=company, type="DEVICE_MEASUREMENT", created_at=at, subject_id="m"
    )
    row = Delivery.objects.create(
        company=company,
        event=event,
        endpoint=endpoint,
        webhook_id=f"msg_{uuid.uuid4().hex}",
        body="{}",
        created_at=at,
        status=status,
        last_attempt_at=at,
        next_attempt_at=None if status != "pending" else now,
    )
    DeliveryAttempt.objects.create(delivery=row, at=at, status_code=200)
    return row


def batch(company, status, finished_days_ago):
    return ImportBatch.objects.create(
        company=company,
        schema_type="client",
        status=status,
        payload=json.dumps({"dataSet": [{"id": "c1"}]}),
        received=1,
        finished_at=timezone.now() - timedelta(days=finished_days_ago),
    )


@override_settings(SUCCEEDED_DELIVERIES_RETENTION_DAYS=30, IMPORT_BODIES_RETENTION_DAYS=7)
def test_it_prunes_what_aged_out_and_keeps_everything_else(alice):
    endpoint = WebhookEndpoint.objects.create(
        company=alice, url="https://receiver.example/", secret="whsec_x", format="pylo"
    )
    old_success = delivery(alice, endpoint, "succeeded", 31)
    recent_success = delivery(alice, endpoint, "succeeded", 29)
    old_failure = delivery(alice, endpoint, "failed", 90)
    old_pending = delivery(alice, endpoint, "pending", 90)
    old_done = batch(alice, "done", 8)
    recent_done = batch(alice, "done", 6)
    old_failed = batch(alice, "failed", 30)

    removed = retention.prune_all()

    assert removed["succeeded_deliveries"] == 1
    assert removed["import_bodies"] == 1
    assert "fhir_exports" in removed
    remaining = set(Delivery.objects.values_list("pk", flat=True))
    assert remaining == {recent_success.pk, old_failure.pk, old_pending.pk}
    assert not DeliveryAttempt.objects.filter(delivery_id=old_success.pk).exists()
    assert DeliveryAttempt.objects.count() == 3
    assert Event.objects.count() == 4  # events are kept
    payloads = dict(ImportBatch.objects.values_list("pk", "payload"))
    assert payloads[old_done.pk] == ""
    assert payloads[recent_done.pk] != ""
    assert payloads[old_failed.pk] != ""  # can still be run again
    assert ImportBatch.objects.count() == 3
    assert retention.prune_all()["succeeded_deliveries"] == 0  # idempotent


@override_settings(SUCCEEDED_DELIVERIES_RETENTION_DAYS=0, IMPORT_BODIES_RETENTION_DAYS=0)
def test_zero_keeps_them_for_ever(alice):
    endpoint = WebhookEndpoint.objects.create(
        company=alice, url="https://receiver.example/", secret="whsec_x", format="pylo"
    )
    delivery(alice, endpoint, "succeeded", 3650)
    batch(alice, "done", 3650)
    removed = retention.prune_all()
    assert "succeeded_deliveries" not in removed
    assert "import_bodies" not in removed
    assert Delivery.objects.count() == 1
    assert ImportBatch.objects.exclude(payload="").count() == 1
