"""The webhook body of ``ALERT_RAISED`` and ``ALERT_RESOLVED``, the same for every endpoint
format (docs/webhooks.md): the Standard Webhooks payload shape ``{"type", "timestamp", "data"}``.
The Standard Webhooks headers are added to every delivery by the dispatcher."""

from __future__ import annotations

from typing import Any

import orjson

from pulsebridge.lib.commands import iso
from pulsebridge.webhooks.models import EventType
from pulsebridge.webhooks.services import Rendered

from .models import Alert

TYPES = {EventType.ALERT_RAISED: "alert.raised", EventType.ALERT_RESOLVED: "alert.resolved"}


def alert_json(alert: Alert) -> dict[str, Any]:
    """An alert as the API and the webhook write it."""
    rule = alert.rule
    return {
        "id": str(alert.pk),
        "status": alert.status,
        "patient_id": alert.patient.external_id,
        "rule": {
            "code": rule.code,
            "name": rule.name,
            "kind": rule.kind,
            "metric": rule.metric,
            "comparison": rule.comparison,
            "threshold": rule.threshold,
            "window_hours": rule.window_hours,
        },
        "threshold": alert.threshold,
        "value": alert.value,
        "reading_id": str(alert.reading_id),
        "measured_at": iso(alert.measured_at),
        "raised_at": iso(alert.raised_at),
        "late": alert.late,
        "readings": alert.readings,
        "last_measured_at": iso(alert.last_measured_at),
        "acknowledged_at": iso(alert.acknowledged_at),
        "acknowledged_by": alert.acknowledged_by or None,
        "resolved_at": iso(alert.resolved_at),
        "resolved_by": alert.resolved_by or None,
        "note": alert.note,
    }


def render(event, subject: Alert, endpoint) -> Rendered | None:
    kind = TYPES.get(event.type)
    if kind is None:
        return None
    body = {"type": kind, "timestamp": iso(event.created_at), "data": alert_json(subject)}
    headers = {endpoint.auth_header: endpoint.auth_key} if endpoint.auth_header else {}
    return Rendered(body=orjson.dumps(body).decode(), headers=headers)
