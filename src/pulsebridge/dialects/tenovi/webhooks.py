"""Tenovi webhook bodies and routing.

An endpoint of format ``tenovi`` has one Tenovi ``event``, kept as its ``event_types``:
MEASUREMENT = DEVICE_MEASUREMENT, FULFILLMENT = ENROLMENT_STATUS_CHANGED, SPECIAL_ORDER =
ORDER_STATUS_CHANGED. Every delivery carries the endpoint's auth header (Tenovi: the value in
``auth_header``, under the name in ``auth_key``).

Measurements: only readings of HWI devices (those with an HWI assignment, see
``devices.assignments``), one POST per metric item of a reading (a blood pressure reading with a
pulse is two POSTs), or, with ``post_as_array``, one POST with the array of the reading's items.
A device whose HWI device has the property ``measurement_webhook_id`` sends its readings to that
one endpoint only; other devices send to every MEASUREMENT endpoint with ``enabled_by_default``.

Special orders: bulk orders (BU) and replacements (RE); a fulfilment request is told by the
FULFILLMENT webhooks of its HWI device instead."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pulsebridge.devices import assignments
from pulsebridge.devices.hardware import ENROLMENT_STATUS_CHANGED, StatusChange
from pulsebridge.devices.models import EnrolmentProperty
from pulsebridge.fulfillment.models import Order
from pulsebridge.readings.models import Measurement
from pulsebridge.webhooks.models import EventType
from pulsebridge.webhooks.services import Rendered

from . import wire

EVENTS = wire.EVENTS

# What select() found for each reading, for render() (called once per reading and endpoint).
_ASSIGNMENT = "_tenovi_assignment"
_ROUTE = "_tenovi_webhook_id"


def dumps(payload: Any) -> str:
    return json.dumps(payload, ensure_ascii=False)


def headers(endpoint) -> dict[str, str]:
    name = (getattr(endpoint, "auth_header", "") or "").strip()
    value = getattr(endpoint, "auth_key", "") or ""
    return {name: value} if name and value else {}


def prepare(measurements: list[Measurement]) -> None:
    """Find, in two queries, the HWI assignment of each reading (which HWI device it belongs to)
    and its HWI device's ``measurement_webhook_id``; kept on the reading for the renderer."""
    todo = [m for m in measurements if _ASSIGNMENT not in m.__dict__]
    if not todo:
        return
    company_id = todo[0].company_id
    found = dict(
        assignments.with_hwi_assignment(
            Measurement.objects.filter(company_id=company_id, pk__in=[m.pk for m in todo])
        ).values_list("pk", "hwi_assignment")
    )
    rows = assignments.by_id(found.values())
    routes = dict(
        EnrolmentProperty.objects.filter(
            enrolment__in={a.enrolment_id for a in rows.values()},
            key=wire.MEASUREMENT_WEBHOOK_KEY,
        ).values_list("enrolment_id", "value")
    )
    for m in todo:
        row = rows.get(found.get(m.pk))
        m.__dict__[_ASSIGNMENT] = row
        route = routes.get(row.enrolment_id) if row is not None else None
        m.__dict__[_ROUTE] = route.strip().lower() if route else None


def select(event_type: str, endpoints: list, subjects: list) -> Callable[[Any, Any], bool]:
    """Which of the company's Tenovi endpoints receive which subject (the publish hook)."""
    if event_type != EventType.DEVICE_MEASUREMENT:
        return lambda endpoint, subject: True
    prepare(subjects)
    ids = {str(e.pk) for e in endpoints}

    def accepts(endpoint, measurement) -> bool:
        if measurement.__dict__.get(_ASSIGNMENT) is None:
            return False  # no HWI device's reading: nothing for a Tenovi webhook
        route = measurement.__dict__.get(_ROUTE)
        if route and route in ids:
            return str(endpoint.pk) == route
        return bool(getattr(endpoint, "enabled_by_default", True))

    return accepts


def measurement_bodies(items: list[dict[str, Any]], endpoint) -> list[Rendered]:
    if getattr(endpoint, "post_as_array", False):
        return [Rendered(body=dumps(items), headers=headers(endpoint))]
    return [Rendered(body=dumps(item), headers=headers(endpoint)) for item in items]


def render(event, subject, endpoint) -> Rendered | list[Rendered] | None:
    if event.type == EventType.DEVICE_MEASUREMENT:
        prepare([subject])
        assignment = subject.__dict__[_ASSIGNMENT]
        if assignment is None:
            return None
        items = wire.measurement_items(subject, assignment, webhook=True)
        return measurement_bodies(items, endpoint) if items else None
    if event.type == ENROLMENT_STATUS_CHANGED and isinstance(subject, StatusChange):
        return Rendered(body=dumps(wire.fulfillment_webhook(subject)), headers=headers(endpoint))
    if event.type == EventType.ORDER_STATUS_CHANGED:
        if subject.kind == Order.Kind.FULFILLMENT:
            return None  # told by the FULFILLMENT webhooks of its HWI device
        replaced = getattr(getattr(subject, "replacement", None), "enrolment", None)
        body = wire.special_order(subject, replacement_of=replaced)
        return Rendered(body=dumps(body), headers=headers(endpoint))
    return None
