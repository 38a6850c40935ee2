"""An alert's life after it is raised: listed, acknowledged, resolved (``ALERT_RESOLVED``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from pulsebridge.core.models import Company
from pulsebridge.webhooks.models import EventType
from pulsebridge.webhooks.services import publish

from .models import Alert
from .rules import AlertError

MAX_NOTE = 2000


def alerts(
    company: Company, *, status: str | None = None, patient: Any = None, late: bool | None = None
) -> QuerySet:
    """The company's alerts, newest first; ``status`` ``open`` means not resolved yet."""
    found = Alert.objects.for_company(company).select_related("rule", "patient")
    if status == "open":
        found = found.exclude(status=Alert.Status.RESOLVED)
    elif status:
        if status not in Alert.Status.values:
            raise AlertError(f"status: one of open, {', '.join(Alert.Status.values)}")
        found = found.filter(status=status)
    if patient is not None:
        found = found.filter(patient=patient)
    if late is not None:
        found = found.filter(late=late)
    return found.order_by("-raised_at", "-id")


def open_counts(company: Company, patient_ids: list[Any]) -> dict[Any, int]:
    """How many alerts not resolved yet each of these patients has (absent: none)."""
    if not patient_ids:
        return {}
    found = (
        Alert.objects.for_company(company)
        .filter(patient_id__in=patient_ids)
        .exclude(status=Alert.Status.RESOLVED)
        .values("patient_id")
        .annotate(n=Count("id"))
    )
    return {row["patient_id"]: row["n"] for row in found}


def find_alert(company: Company, alert_id: Any) -> Alert | None:
    return alerts(company).filter(pk=alert_id).first()


def _note(note: str | None) -> str:
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise AlertError(f"note: at most {MAX_NOTE} characters")
    return note


@transaction.atomic
def acknowledge(alert: Alert, *, by: str, note: str = "", now: datetime | None = None) -> Alert:
    """Someone has seen it and is acting; it stays open (later readings still attach to it)."""
    now = now or timezone.now()
    note = _note(note)
    locked = Alert.objects.select_for_update().get(pk=alert.pk)
    if locked.status == Alert.Status.RESOLVED:
        raise AlertError("alert: already resolved")
    if locked.status == Alert.Status.OPEN:
        locked.status = Alert.Status.ACKNOWLEDGED
        locked.acknowledged_at, locked.acknowledged_by = now, by[:200]
        if note:
            locked.note = note
        locked.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "note"])
    return _reload(locked)


@transaction.atomic
def resolve(alert: Alert, *, by: str, note: str = "", now: datetime | None = None) -> Alert:
    """Close it and announce ``ALERT_RESOLVED``; the next breaking reading raises a new one."""
    now = now or timezone.now()
    note = _note(note)
    locked = Alert.objects.select_for_update().get(pk=alert.pk)
    if locked.status == Alert.Status.RESOLVED:
        raise AlertError("alert: already resolved")
    locked.status = Alert.Status.RESOLVED
    locked.resolved_at, locked.resolved_by = now, by[:200]
    if note:
        locked.note = note
    locked.save(update_fields=["status", "resolved_at", "resolved_by", "note"])
    resolved = _reload(locked)
    publish(resolved.company, EventType.ALERT_RESOLVED, [(resolved.pk, resolved)])
    return resolved


def _reload(alert: Alert) -> Alert:
    return Alert.objects.select_related("rule", "patient", "company").get(pk=alert.pk)
