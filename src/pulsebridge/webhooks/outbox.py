"""The outbox as an operator watches it: how many deliveries wait, and how late the oldest due
one is (read by /readyz and /metrics)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from .models import Alert, Delivery, DeliveryAttempt


@dataclass(frozen=True)
class OutboxState:
    pending: int  # waiting to be sent, now or at a later retry
    due: int  # of those, due now
    oldest_due_seconds: float  # how long the oldest due one has waited past its time; 0: none


def outbox_state(now: datetime | None = None) -> OutboxState:
    now = now or timezone.now()
    pending = Delivery.objects.filter(status=Delivery.Status.PENDING)
    due = pending.filter(next_attempt_at__lte=now)
    oldest = due.order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first()
    return OutboxState(
        pending=pending.count(),
        due=due.count(),
        oldest_due_seconds=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
    )


def prune_succeeded(before: datetime, *, batch: int = 1000) -> int:
    """Delete the deliveries that succeeded before ``before``, with their attempts; how many.
    Pending and failed ones are kept whatever their age (an operator may replay them); so are
    the events. In batches, so that no statement holds many locks for long."""
    removed = 0
    while True:
        ids = list(
            Delivery.objects.filter(status=Delivery.Status.SUCCEEDED, last_attempt_at__lt=before)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return removed
        with transaction.atomic():
            DeliveryAttempt.objects.filter(delivery_id__in=ids).delete()
            Alert.objects.filter(delivery_id__in=ids).update(delivery=None)
            Delivery.objects.filter(pk__in=ids).delete()
        removed += len(ids)
