"""Tenovi webhook bodies and routing.

An endpoint of format ``tenovi`` has one Tenovi ``event``, kept as its ``event_types``:
MEASUREMENT = DEVICE_MEASUREMENT, FULFILLMENT = ENROLMENT_STATUS_CHANGED, SPECIAL_ORDER =
ORDER_STATUS_CHANGED. Every delivery carries the header named ``auth_header`` with the value
``auth_key`` (when the endpoint has one).

Measurements: one POST per metric item of a reading (a blood pressure reading with a pulse is two
POSTs), or, with ``post_as_array``, one POST with the array of the reading's items. A device whose
HWI device has the property ``measurement_webhook_id`` sends its readings to that one endpoint
only; other devices send to every MEASUREMENT endpoint with ``enabled_by_default``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pulsebridge.devices.hardware import ENROLMENT_STATUS_CHANGED, StatusChange
from pulsebridge.devices.models import Enrolment, EnrolmentProperty
from pulsebridge.fulfillment.enrolments import MEASUREMENT_WEBHOOK_KEY
from pulsebridge.readings.models import Measurement
from pulsebridge.webhooks.models import EventType
from pulsebridge.webhooks.services import Rendered

from . import wire

EVENTS = {name: event_type for event_type, name in wire.EVENT_NAMES.items()}

_ENROLMENT = "_tenovi_enrolment"
_ROUTE = "_tenovi_webhook_id"


def _dumps(payload: Any) -> str:
    return json.dumps(payload, ensure_ascii=False)


def _headers(endpoint) -> dict[str, str]:
    header = (getattr(endpoint, "auth_header", "") or "").strip()
    return {header: endpoint.auth_key} if header else {}


def _prepare(measurements: list[Measurement]) -> None:
    """Find, in two queries, the HWI device bound to each reading's device and its
    ``measurement_webhook_id``; kept on the reading for the renderer."""
    todo = [m for m in measurements if _ENROLMENT not in m.__dict__]
    if not todo:
        return
    by_device = {
        e.device_id: e for e in Enrolment.objects.filter(device_id__in={m.device_id for m in todo})
    }
    routes = dict(
        EnrolmentProperty.objects.filter(
            enrolment__in=by_device.values(), key=MEASUREMENT_WEBHOOK_KEY
        ).values_list("enrolment_id", "value")
    )
    for m in todo:
        enrolment = by_device.get(m.device_id)
        m.__dict__[_ENROLMENT] = enrolment
        route = routes.get(enrolment.pk) if enrolment is not None else None
        m.__dict__[_ROUTE] = route.strip().lower() if route else None


def select(event_type: str, endpoints: list, subjects: list) -> Callable[[Any, Any], bool]:
    """Which of the company's Tenovi endpoints receive which subject (the publish hook)."""
    if event_type != EventType.DEVICE_MEASUREMENT:
        return lambda endpoint, subject: True
    _prepare(subjects)
    ids = {str(e.pk) for e in endpoints}

    def accepts(endpoint, measurement) -> bool:
        route = measurement.__dict__.get(_ROUTE)
        if route and route in ids:
            return str(endpoint.pk) == route
        return bool(getattr(endpoint, "enabled_by_default", True))

    return accepts


def render(event, subject, endpoint) -> Rendered | list[Rendered] | None:
    headers = _headers(endpoint)
    if event.type == EventType.DEVICE_MEASUREMENT:
        _prepare([subject])
        items = wire.measurement_items(subject, subject.__dict__[_ENROLMENT])
        if not items:
            return None
        if getattr(endpoint, "post_as_array", False):
            return Rendered(body=_dumps(items), headers=headers)
        return [Rendered(body=_dumps(item), headers=dict(headers)) for item in items]
    if event.type == ENROLMENT_STATUS_CHANGED and isinstance(subject, StatusChange):
        return Rendered(body=_dumps(wire.fulfillment_webhook(subject)), headers=headers)
    if event.type == EventType.ORDER_STATUS_CHANGED:
        # An order that ships HWI devices is told through their FULFILLMENT webhooks.
        if subject.enrolments.exists():
            return None
        replaced = getattr(getattr(subject, "replacement", None), "enrolment", None)
        return Rendered(
            body=_dumps(wire.special_order(subject, replacement_of=replaced)), headers=headers
        )
    return None
