"""Failures are retried on the document's schedule; the last failure raises an alert."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime

import pytest
from django.core import mail

from pulsebridge.webhooks.dispatch import deliver_due, next_attempt_at, parse_retry_after
from pulsebridge.webhooks.models import Alert, Delivery, DeliveryAttempt

from .conftest import T0, Answer, fast_timeout

pytestmark = pytest.mark.live

MINUTE, HOUR = timedelta(minutes=1), timedelta(hours=1)
SCHEDULE = [timedelta(0), 15 * MINUTE, HOUR, 3 * HOUR, 8 * HOUR, 24 * HOUR]


def attempt_times(delivery):
    return [a.at - T0 for a in DeliveryAttempt.objects.filter(delivery=delivery)]


def test_a_failing_delivery_is_retried_at_15_min_1_3_8_and_24_hours_after_the_first_attempt(
    alice, receiver_factory, endpoint_for, publish_event
):
    receiver = receiver_factory(Answer(500, b"database down"))
    endpoint_for(alice, receiver.url)
    event = publish_event(alice)
    deliver_due(now=T0)
    for offset in SCHEDULE[1:]:
        deliver_due(now=T0 + offset - timedelta(seconds=1))  # not due yet: nothing is sent
        deliver_due(now=T0 + offset)
    delivery = Delivery.objects.get(event=event)
    assert attempt_times(delivery) == SCHEDULE
    assert len(receiver.wait_for(6)) == 6
    assert delivery.status == "failed"
    assert delivery.attempts == 6
    assert delivery.last_status_code == 500
    deliver_due(now=T0 + 100 * HOUR)
    assert DeliveryAttempt.objects.filter(delivery=delivery).count() == 6


def test_every_attempt_is_logged_with_status_latency_and_the_start_of_the_answer(
    alice, receiver_factory, endpoint_for, publish_event
):
    receiver = receiver_factory(Answer(500, b"x" * 2000))
    endpoint_for(alice, receiver.url)
    event = publish_event(alice)
    deliver_due(now=T0)
    (attempt,) = DeliveryAttempt.objects.filter(delivery__event=event)
    assert attempt.at == T0
    assert attempt.status_code == 500
    assert attempt.latency_ms >= 0
    assert attempt.response_excerpt == "x" * 500
    assert attempt.error == ""


def test_a_later_success_ends_the_retries(alice, receiver_factory, endpoint_for, publish_event):
    receiver = receiver_factory(lambda n, _: Answer(502 if n < 3 else 204, b""))
    endpoint_for(alice, receiver.url)
    event = publish_event(alice)
    for offset in SCHEDULE:
        deliver_due(now=T0 + offset)
    delivery = Delivery.objects.get(event=event)
    assert delivery.status == "succeeded"
    assert delivery.attempts == 3
    assert delivery.next_attempt_at is None
    assert len(receiver.requests) == 3


def test_a_redirect_is_a_failure_and_is_not_followed(
    alice, receiver_factory, endpoint_for, publish_event
):
    elsewhere = receiver_factory()
    receiver = receiver_factory(Answer(307, b"", {"location": elsewhere.url}))
    endpoint_for(alice, receiver.url)
    event = publish_event(alice)
    deliver_due(now=T0)
    delivery = Delivery.objects.get(event=event)
    assert delivery.status == "pending"
    assert delivery.last_status_code == 307
    assert elsewhere.requests == []


def test_a_refused_connection_is_a_failure_with_its_reason(alice, endpoint_for, publish_event):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    endpoint_for(alice, f"http://127.0.0.1:{port}/hook")
    event = publish_event(alice)
    deliver_due(now=T0)
    delivery = Delivery.objects.get(event=event)
    assert delivery.status == "pending"
    assert delivery.next_attempt_at == T0 + 15 * MINUTE
    assert "ConnectError" in delivery.last_error


def test_a_receiver_that_does_not_answer_in_time_is_a_failure(
    alice, receiver_factory, endpoint_for, publish_event
):
    receiver = receiver_factory(Answer(hang=True))
    endpoint_for(alice, receiver.url)
    event = publish_event(alice)
    with fast_timeout(0.5):
        deliver_due(now=T0)
    delivery = Delivery.objects.get(event=event)
    assert delivery.status == "pending"
    assert delivery.last_error == "no answer within 0.5 s"
    (attempt,) = DeliveryAttempt.objects.filter(delivery=delivery)
    assert attempt.status_code is None
    assert 400 <= attempt.latency_ms < 3000


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_in_seconds_is_honoured_when_later_than_the_schedule(
    alice, receiver_factory, endpoint_for, publish_event, status
):
    receiver = receiver_factory(Answer(status, b"", {"retry-after": "7200"}))
    endpoint_for(alice, receiver.url)
    event = publish_event(alice)
    deliver_due(now=T0)
    delivery = Delivery.objects.get(event=event)
    assert delivery.next_attempt_at == T0 + 2 * HOUR
    deliver_due(now=T0 + HOUR)
    assert len(receiver.requests) == 1


def test_retry_after_as_an_http_date_is_honoured(
    alice, receiver_factory, endpoint_for, publish_event
):
    later = T0 + 5 * HOUR
    receiver = receiver_factory(
        Answer(503, b"", {"retry-after": format_datetime(later, usegmt=True)})
    )
    endpoint_for(alice, receiver.url)
    event = publish_event(alice)
    deliver_due(now=T0)
    assert Delivery.objects.get(event=event).next_attempt_at == later


def test_retry_after_sooner_than_the_schedule_does_not_bring_the_retry_forward(
    alice, receiver_factory, endpoint_for, publish_event
):
    receiver = receiver_factory(Answer(429, b"", {"retry-after": "5"}))
    endpoint_for(alice, receiver.url)
    event = publish_event(alice)
    deliver_due(now=T0)
    assert Delivery.objects.get(event=event).next_attempt_at == T0 + 15 * MINUTE


def test_retry_after_on_other_statuses_is_ignored(
    alice, receiver_factory, endpoint_for, publish_event
):
    receiver = receiver_factory(Answer(500, b"", {"retry-after": "7200"}))
    endpoint_for(alice, receiver.url)
    event = publish_event(alice)
    deliver_due(now=T0)
    assert Delivery.objects.get(event=event).next_attempt_at == T0 + 15 * MINUTE


def test_retry_after_is_capped_at_a_day_and_garbage_is_ignored():
    assert parse_retry_after("9999999", T0) == T0 + 24 * HOUR
    assert parse_retry_after("soon", T0) is None
    assert parse_retry_after("", T0) is None


def test_after_an_outage_of_the_worker_retries_are_still_spread_out():
    """Slots of the schedule that passed while no worker ran are not fired back to back."""
    late = T0 + 2 * HOUR  # the second attempt happened two hours late
    assert next_attempt_at(T0, 2, late) == late + 15 * MINUTE
    assert next_attempt_at(T0, 2, T0 + 15 * MINUTE) == T0 + HOUR  # on time: the schedule
    assert next_attempt_at(T0, 6, T0 + 24 * HOUR) is None


def test_410_gone_disables_the_endpoint_and_fails_its_pending_deliveries(
    alice, receiver_factory, endpoint_for, publish_event
):
    receiver = receiver_factory(Answer(410, b"gone for good"))
    endpoint = endpoint_for(alice, receiver.url)
    first = publish_event(alice)
    deliver_due(now=T0)
    second = publish_event(alice)  # after the 410: a disabled endpoint gets nothing
    endpoint.refresh_from_db()
    assert endpoint.enabled is False
    assert "410" in endpoint.disabled_reason
    assert Delivery.objects.get(event=first).status == "failed"
    assert not Delivery.objects.filter(event=second).exists()
    alert = Alert.objects.get(endpoint=endpoint)
    assert "410 Gone" in alert.message
    assert mail.outbox[-1].to == ["ops@alice.example"]


def test_410_fails_the_other_deliveries_already_waiting_for_that_endpoint(
    alice, receiver_factory, endpoint_for, publish_event
):
    receiver = receiver_factory(lambda n, _: Answer(500 if n == 1 else 410))
    endpoint_for(alice, receiver.url)
    early = publish_event(alice)
    deliver_due(now=T0)  # fails with 500, waits for its retry
    late = publish_event(alice)
    deliver_due(now=T0 + MINUTE)  # 410: the endpoint is gone
    assert Delivery.objects.get(event=late).status == "failed"
    waiting = Delivery.objects.get(event=early)
    assert waiting.status == "failed"
    assert waiting.last_error.startswith("endpoint disabled")
    deliver_due(now=T0 + HOUR)
    assert len(receiver.requests) == 2


def test_the_last_failure_marks_the_delivery_failed_and_alerts_the_operator_by_email(
    alice, receiver_factory, endpoint_for, publish_event, caplog
):
    receiver = receiver_factory(Answer(500, b"nope"))
    endpoint = endpoint_for(alice, receiver.url)
    event = publish_event(alice)
    for offset in SCHEDULE[:-1]:
        deliver_due(now=T0 + offset)
    assert not Alert.objects.exists()
    assert mail.outbox == []
    deliver_due(now=T0 + SCHEDULE[-1])
    delivery = Delivery.objects.get(event=event)
    assert delivery.status == "failed"
    alert = Alert.objects.get()
    assert alert.delivery == delivery
    assert alert.company == alice
    assert alert.endpoint == endpoint
    assert delivery.webhook_id in alert.message
    assert "HTTP 500" in alert.message
    assert any("webhook alert" in r.message for r in caplog.records)
    (message,) = mail.outbox
    assert message.to == ["ops@alice.example"]
    assert delivery.webhook_id in message.body
    assert "--status failed" in message.body


def test_a_dead_endpoint_sends_one_alert_email_an_hour_not_one_per_reading(
    alice, receiver_factory, endpoint_for, publish_event
):
    receiver = receiver_factory(Answer(500))
    endpoint_for(alice, receiver.url)
    publish_event(alice)
    publish_event(alice)
    for offset in SCHEDULE:
        deliver_due(now=T0 + offset)
    publish_event(alice)
    for offset in SCHEDULE:
        deliver_due(now=T0 + offset)
    assert Alert.objects.count() == 3
    assert len(mail.outbox) == 1
    assert "2 webhook alert(s)" in mail.outbox[0].subject
    assert Alert.objects.filter(emailed_at__isnull=True).count() == 1


def test_a_company_without_an_alert_address_still_gets_stored_alerts(
    charlie, receiver_factory, endpoint_for, publish_event
):
    receiver = receiver_factory(Answer(500))
    endpoint_for(charlie, receiver.url)
    publish_event(charlie)
    for offset in SCHEDULE:
        deliver_due(now=T0 + offset)
    assert Alert.objects.filter(company=charlie).count() == 1
    assert mail.outbox == []
