"""Pylo webhook bodies: ``{"event", "eventTime", "data", "signature"}`` where ``data`` is the JSON
*string* of the object and ``signature`` the lowercase hex HMAC-SHA256 of that string."""

from __future__ import annotations

import hashlib
import hmac
import json

from pulsebridge.webhooks.models import EventType
from pulsebridge.webhooks.services import Rendered

from . import wire


def sign(secret: str, data: str) -> str:
    return hmac.new(secret.encode(), data.encode(), hashlib.sha256).hexdigest()


# The ``data`` string of the event being rendered, kept on its subject as (event id, data): it is
# the same for every endpoint of the event, only the signature differs.
_DATA = "_pylo_webhook_data"


def render(event, subject, endpoint) -> Rendered | None:
    data = _data(event, subject)
    if data is None:
        return None
    body = {
        "event": event.type,
        "eventTime": wire.timestamp(event.created_at),
        "data": data,
        "signature": sign(endpoint.secret, data),
    }
    return Rendered(body=json.dumps(body, ensure_ascii=False), headers={})


def _data(event, subject) -> str | None:
    """The event's ``data`` string, written once for all the endpoints it goes to (publish renders
    each event for each endpoint in turn). Kept under the event's id, so a subject published
    again, in a later event, is written again."""
    kept = getattr(subject, "__dict__", {}).get(_DATA)
    if kept is not None and kept[0] == event.pk:
        return kept[1]
    if event.type == EventType.DEVICE_MEASUREMENT:
        payload = wire.webhook_reading(subject)
    elif event.type == EventType.ORDER_STATUS_CHANGED:
        payload = wire.order(subject)
    elif event.type == EventType.DEVICE_BILLING_STATUS_CHANGED:
        payload = wire.device(subject)
    else:
        return None
    data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    if hasattr(subject, "__dict__"):
        subject.__dict__[_DATA] = (event.pk, data)
    return data
