"""Recording a batch of results: every attempt and every delivery's new state, field by field."""

from __future__ import annotations

import pytest

from pulsebridge.webhooks.dispatch import deliver_due
from pulsebridge.webhooks.models import Delivery, DeliveryAttempt

from .conftest import T0, Answer

pytestmark = pytest.mark.live


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
