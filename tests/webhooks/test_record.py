"""Recording a batch of results: every attempt and every delivery's new state, field by field,
whatever mix of outcomes one write holds (on PostgreSQL it is one statement for the batch)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from pulsebridge.webhooks.dispatch import (
    MIN_RETRY_GAP,
    Outcome,
    claim,
    deliver_due,
    lease,
    record,
)
from pulsebridge.webhooks.models import Alert, Delivery, DeliveryAttempt

from .conftest import T0, Answer

pytestmark = pytest.mark.live

AT = T0 + timedelta(seconds=3)


def _claimed(alice, endpoint_for, publish_event, count):
    endpoint_for(alice, "http://127.0.0.1:9/hook")
    events = [publish_event(alice) for _ in range(count)]
    jobs = claim(now=T0, limit=count, per_endpoint=count)
    by_event = {Delivery.objects.get(pk=j.delivery_id).event_id: j for j in jobs}
    return [by_event[e.pk] for e in events]


def test_one_batch_of_mixed_results_writes_each_delivery_and_attempt_as_its_own(
    alice, endpoint_for, publish_event
):
    ok, limited, refused, taken_over = _claimed(alice, endpoint_for, publish_event, 4)
    # The lease of the last one ran out and another worker claimed it meanwhile.
    (new_claim,) = claim(now=T0 + lease() + timedelta(seconds=1), limit=1, per_endpoint=8,
                         ids=[taken_over.delivery_id])  # fmt: skip
    due = Delivery.objects.get(pk=taken_over.delivery_id).next_attempt_at
    later = AT + timedelta(hours=2)
    record(
        [
            Outcome(job=ok, at=AT, status_code=200, latency_ms=12, excerpt="fine"),
            Outcome(job=limited, at=AT, status_code=503, latency_ms=7, retry_after=later),
            Outcome(job=refused, at=AT, error="ConnectError: refused", latency_ms=1),
            Outcome(job=taken_over, at=AT, status_code=500, latency_ms=30, excerpt="late"),
        ]
    )
    rows = {d.pk: d for d in Delivery.objects.all()}
    expected = {
        ok.delivery_id: ("succeeded", 1, AT, AT, 200, "", None, None, ""),
        limited.delivery_id: ("pending", 1, AT, AT, 503, "HTTP 503", later, None, ""),
        refused.delivery_id: (
            "pending", 1, AT, AT, None, "ConnectError: refused", AT + MIN_RETRY_GAP, None, ""
        ),
        # untouched: the new claim's lease and token stand
        taken_over.delivery_id: (
            "pending", 0, None, None, None, "", due, T0 + lease() + timedelta(seconds=1) + lease(),
            new_claim.claim_token,
        ),
    }  # fmt: skip
    for pk, want in expected.items():
        d = rows[pk]
        got = (
            d.status,
            d.attempts,
            d.first_attempt_at,
            d.last_attempt_at,
            d.last_status_code,
            d.last_error,
            d.next_attempt_at,
            d.claimed_until,
            d.claim_token,
        )
        assert got == want, pk
    attempts = {
        a.delivery_id: (a.at, a.status_code, a.latency_ms, a.error, a.response_excerpt)
        for a in DeliveryAttempt.objects.all()
    }
    assert attempts == {
        ok.delivery_id: (AT, 200, 12, "", "fine"),
        limited.delivery_id: (AT, 503, 7, "", ""),
        refused.delivery_id: (AT, None, 1, "ConnectError: refused", ""),
        taken_over.delivery_id: (AT, 500, 30, "", "late"),  # logged all the same
    }
    assert not Alert.objects.exists()


def test_a_final_failure_in_a_batch_alerts_once_and_a_taken_over_one_does_not(
    alice, endpoint_for, publish_event
):
    last, stale, ok = _claimed(alice, endpoint_for, publish_event, 3)
    Delivery.objects.filter(pk__in=[last.delivery_id, stale.delivery_id]).update(attempts=5)
    # Their sixth attempt: five made before, the first 30 hours ago.
    first = T0 - timedelta(hours=30)
    last = replace(last, attempts=5, first_attempt_at=first)
    stale = replace(stale, attempts=5, first_attempt_at=first)
    claim(now=T0 + lease() + timedelta(seconds=1), limit=1, per_endpoint=8,
          ids=[stale.delivery_id])  # fmt: skip
    record(
        [
            Outcome(job=last, at=AT, status_code=500),
            Outcome(job=stale, at=AT, status_code=500),
            Outcome(job=ok, at=AT, status_code=204),
        ]
    )
    failed = Delivery.objects.get(pk=last.delivery_id)
    assert (failed.status, failed.attempts, failed.next_attempt_at) == ("failed", 6, None)
    assert failed.first_attempt_at == first
    assert Delivery.objects.get(pk=stale.delivery_id).status == "pending"
    assert Delivery.objects.get(pk=ok.delivery_id).status == "succeeded"
    (alert,) = Alert.objects.all()
    assert alert.delivery_id == last.delivery_id
    assert "after 6 attempts; last: HTTP 500" in alert.message
    assert DeliveryAttempt.objects.count() == 3


def test_a_410_in_a_batch_disables_the_endpoint_and_the_rest_of_the_batch_is_kept(
    alice, endpoint_for, publish_event
):
    gone, ok = _claimed(alice, endpoint_for, publish_event, 2)
    record([Outcome(job=gone, at=AT, status_code=410), Outcome(job=ok, at=AT, status_code=200)])
    assert Delivery.objects.get(pk=gone.delivery_id).status == "failed"
    assert Delivery.objects.get(pk=gone.delivery_id).last_error == "HTTP 410"
    assert Delivery.objects.get(pk=ok.delivery_id).status == "succeeded"
    (alert,) = Alert.objects.all()
    assert "410 Gone" in alert.message
    assert DeliveryAttempt.objects.count() == 2


def test_an_answer_with_a_nul_character_is_recorded_with_a_replacement_character(
    alice, receiver_factory, endpoint_for, publish_event
):
    """PostgreSQL text holds no NUL: stored as it came, the receiver's answer made every write
    of the batch fail, and the worker retried that write for ever instead of sending."""
    receiver = receiver_factory(Answer(500, b"bad\x00answer"))
    endpoint_for(alice, receiver.url)
    event = publish_event(alice)
    (outcome,) = deliver_due(now=T0)
    assert outcome.excerpt == "bad\ufffdanswer"
    (attempt,) = DeliveryAttempt.objects.filter(delivery__event=event)
    assert attempt.response_excerpt == "bad\ufffdanswer"
    delivery = Delivery.objects.get(event=event)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
