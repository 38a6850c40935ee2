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


def render(event, subject, endpoint) -> Rendered | None:
    if event.type == EventType.DEVICE_MEASUREMENT:
        payload = wire.webhook_reading(subject)
    elif event.type == EventType.ORDER_STATUS_CHANGED:
        payload = wire.order(subject)
    elif event.type == EventType.DEVICE_BILLING_STATUS_CHANGED:
        payload = wire.device(subject)
    else:
        return None
    data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    body = {
        "event": event.type,
        "eventTime": wire.timestamp(event.created_at),
        "data": data,
        "signature": sign(endpoint.secret, data),
    }
    return Rendered(body=json.dumps(body, ensure_ascii=False), headers={})
