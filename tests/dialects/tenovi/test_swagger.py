"""Tenovi's Swagger, operation by operation, read from the file itself: every path and method
is called and its answer checked against the definition (status, required fields, types and
formats, nullability, enums); an operation the tests have no case for fails, so nothing is
left out silently. Then every request body: null in each field the Swagger marks nullable, and
each field it does not require left out, give the documented outcome (never a 5xx); null in a
field that is not nullable is that field's 400."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction

from pulsebridge.fulfillment.services import LineRequest, OrderRequest, place_order, ship_order

from . import swagger
from .conftest import GATEWAY, bp

NEW_GATEWAY = "FED091A643FF"
TIME = "2025-03-01T08:00:00.000000Z"
SHIPPING = {
    "shipping_name": "Patient Two",
    "shipping_address": "1 Road",
    "shipping_city": "Townsville",
    "shipping_state": "CA",
    "shipping_zip_code": "12345",
}


@dataclass
class World:
    """Alice's client with one of everything: what each operation's path names."""

    cuff: str  # an HWI device given on site, with readings, a property and a replacement
    pending: str  # one the client will ship itself (its request still pending)
    gateway: str
    property: str
    replacement: str
    bulk_order: str
    device_type: str
    measurement: str
    measurement_webhook: str
    fulfillment_webhook: str

    def path(self, op: swagger.Operation) -> str:
        values = {
            "gateway_uuid__iexact": self.gateway.lower(),
            "hwi_device_id": self.cuff,
            "external_id__iexact": "p-1",  # patient P-1, in another case
            "patient_external_id": "P-1",
            "id": self._id(op),
        }
        path = op.path
        for name, value in values.items():
            path = path.replace("{" + name + "}", value)
        assert "{" not in path, f"no value for a parameter of {op.path}"
        return "hwi" + path

    def _id(self, op: swagger.Operation) -> str:
        if op.path.startswith("/hwi-devices/{hwi_device_id}/properties/"):
            return self.property
        return {
            "/hwi-bulk-orders/{id}/": self.bulk_order,
            "/hwi-device-types/{id}/": self.device_type,
            "/hwi-devices/{id}/": self.pending,
            "/hwi-replacements/{id}/": self.replacement,
            "/unlink-gateway/{id}/": self.cuff,
            "/webhooks/{id}/": self.measurement_webhook,
        }.get(op.path, "")


# Nothing listens there: a test sent to it is refused at once, and reported so
# (test_webhook_tools.py tries real receivers).
NOBODY = "http://127.0.0.1:9/hook"


@pytest.fixture
def world(tenovi, alice, gateway, reading, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    return _build(tenovi, alice, reading)


def _build(tenovi, alice, reading) -> World:
    hooks = [
        tenovi.post("hwi/webhooks/", {"endpoint": NOBODY, "event": event}).json()["id"]
        for event in ("MEASUREMENT", "FULFILLMENT")
    ]
    cuff = tenovi.activate(
        patient={"external_id": "P-1", "name": "Ada Lovelace", "email": "ada@example.com"}
    )
    measurement = reading(bp())
    prop = tenovi.post(f"hwi/hwi-devices/{cuff['id']}/properties/", {"key": "room", "value": "12"})
    pending = tenovi.activate(
        name="Tenovi Scale",
        hardware_uuid=None,
        patient="P-1",
        fulfillment_request={**SHIPPING, "client_will_fulfill": True},
    )
    replacement = tenovi.post(
        "hwi/hwi-replacements/",
        {"hwi_device_id": cuff["id"], "device_types": [{"name": "Gateway"}]},
    )
    bulk = place_order(alice, OrderRequest(lines=[LineRequest("PY-802-LTE", 1)]))
    ship_order(bulk, ["356000000000001"], carrier="ups", tracking="1Z999")
    types = tenovi.get("hwi/hwi-device-types/").json()
    return World(
        cuff=cuff["id"],
        pending=pending["id"],
        gateway=GATEWAY,
        property=prop.json()["id"],
        replacement=replacement.json()["id"],
        bulk_order=str(bulk.pk),
        device_type=types[0]["id"],
        measurement=measurement,
        measurement_webhook=hooks[0],
        fulfillment_webhook=hooks[1],
    )


def samples(world: World, tenovi) -> dict[str, Any]:
    """A valid body for each operation that takes one, every field of its definition in it."""
    pending = tenovi.get(f"hwi/hwi-devices/{world.pending}/").json()
    patient = {
        "external_id": "P-1",
        "name": "Ada Lovelace",
        "address": "1 Road",
        "city": "Townsville",
        "state": "CA",
        "zip_code": "12345",
        "phone_number": "555-0100",
        "email": "ada@example.com",
        "physician": "Dr. Russell",
        "clinic_name": "North",
        "care_manager": "Bob",
        "sms_opt_in": True,
        "confirm_address": False,
        "address_status": "",
        "address_verified_by": "",
    }
    prop = {"key": "room", "value": "14", "synced": True, "handle_property": False}
    webhook = {
        "endpoint": NOBODY,
        "auth_header": "Bearer abc123",
        "auth_key": "Authorization",
        "event": "MEASUREMENT",
        "post_as_array": True,
        "enabled_by_default": True,
    }
    return {
        "hwi-devices_create": {
            "device": {
                "name": "Tenovi Pulse Ox",
                "hardware_uuid": None,
                "sensor_id": "",
                "fulfillment_request": {
                    **SHIPPING,
                    "shipped_on_behalf_of": "North Clinic",
                    "shipping_tracking_link": "https://example.com/track/1",
                    "ship_gateway_only": False,
                    "require_signature": False,
                    "client_notes": "ring twice",
                    "notify_emails": "nurse@example.com",
                    "client_will_fulfill": True,
                    "flagged_by_client": False,
                },
            },
            "patient": {
                "external_id": "P-2",
                "name": "Two",
                "phone_number": "555-0102",
                "email": "two@example.com",
                "physician": "Dr. Russell",
                "clinic_name": "North",
                "care_manager": "Bob",
                "sms_opt_in": False,
            },
            "patient_id": "P-2",
            "patient_phone_number": "555-0102",
        },
        # what was read, sent back whole
        "hwi-devices_update": pending,
        "hwi-devices_partial_update": pending,
        "hwi-devices_properties_create": {**prop, "key": "ward"},
        "hwi-devices_properties_update": prop,
        "hwi-devices_properties_partial_update": prop,
        "hwi-patients_create": {**patient, "external_id": "P-3"},
        "hwi-patients_update": patient,
        "hwi-patients_partial_update": patient,
        "hwi-replacements_create": {
            "hwi_device_id": world.cuff,
            "device_types": [{"name": "Tenovi BPM - L"}],
            **SHIPPING,
            "notify_emails": "nurse@example.com",
        },
        "resend-webhooks_create": {
            "measurement_id": world.measurement,
            "client_device_id": "",
            "webhook_ids": [world.measurement_webhook],
            "all_failed": False,
        },
        "test-webhooks_create": {
            "event": "MEASUREMENT",
            "webhook_ids": [world.measurement_webhook],
            "metric": "blood_pressure",
            "sensor_code": "10",
            "device_name": "Tenovi BPM - L",
            "patient_id": "P-1",
            "value": "120.00",
            "secondary_value": "80.00",
            "device_id": "0A1B2C3D4E5F",
            "hardware_uuid": GATEWAY,
            "hwi_device_id": world.cuff,
            "status": "Delivered",
            "timestamp": TIME,
            "timezone_offset": 0,
            "estimated_timestamp": False,
            "created": TIME,
            "filter_params": {},
        },
        "webhooks_create": webhook,
        "webhooks_update": webhook,
        "webhooks_partial_update": webhook,
    }


def call(tenovi, op: swagger.Operation, path: str, body: Any = None, query: str = ""):
    url = f"{path}?{query}" if query else path
    if op.method in ("get", "delete"):
        return getattr(tenovi, op.method)(url)
    return getattr(tenovi, op.method)(url, body)


def check(op: swagger.Operation, response) -> None:
    assert response.status_code == op.status, (op.id, response.status_code, response.content)
    if op.response is None:
        assert response.content == b""
        return
    problems = swagger.errors(op.response, response.json())
    assert not problems, (op.id, problems)


# Values for each query parameter the Swagger lists.
QUERY_VALUES = {
    "search": "a",
    "fulfilled": "true",
    "page": "1",
    "page_size": "2",
    "ordering": "-last_measurement",
    "last_measurement__isnull": "false",
    "shipped_on__isnull": "true",
    "metric__name": "pulse",
    "created__gte": "2000-01-01T00:00:00Z",
    "created__lt": "2100-01-01T00:00:00Z",
    "timestamp__gte": "2025-03-01T00:00:00Z",
    "timestamp__lt": "2025-03-02T00:00:00Z",
    "device__hardware_uuid": GATEWAY,
    "device__hardware_uuid__iexact": GATEWAY.lower(),
    "patient__external_id": "P-1",
    "properties__key": "room",
    "properties__value": "12",
}


@pytest.mark.parametrize("op", swagger.operations(), ids=str)
def test_every_operation_answers_as_its_definition_says(tenovi, world, op):
    """With each query parameter it lists, then as it is."""
    swagger.swagger()
    path = world.path(op)
    for name in op.query:
        value = world.cuff if name == "object_id" else QUERY_VALUES.get(name)
        if value is None:
            pytest.fail(f"{op.id}: no sample value for query parameter {name}")
        check(op, call(tenovi, op, path, query=f"{name}={value}"))
    body = samples(world, tenovi).get(op.id)
    if op.body is not None and body is None:
        pytest.fail(f"{op.id}: no sample body for its {op.body} (add one to samples())")
    check(op, call(tenovi, op, path, body))


# Where the documented outcome of a null or a field left out is a refusal, and why.
REFUSED = {
    ("hwi-devices_create", "device.fulfillment_request", "null"): "the guide: without a "
    "hardware_uuid the device must be shipped (use cases 2 and 3)",
    ("hwi-devices_create", "device.fulfillment_request", "omit"): "the same",
    **{
        (op, "patient.external_id", mode): "the guide: a patient object requires its external_id"
        for op in ("hwi-devices_create", "hwi-devices_update", "hwi-devices_partial_update")
        for mode in ("null", "omit")
    },
    ("hwi-patients_create", "external_id", "null"): "the Swagger: required and unique",
    ("hwi-patients_update", "external_id", "null"): "the same",
    ("hwi-patients_partial_update", "external_id", "null"): "the same",
    ("resend-webhooks_create", "measurement_id", "omit"): "the Swagger: requires a "
    "measurement_id (or Pulsebridge's client_device_id or patient_id)",
}


def _set(body: Any, path: tuple, value: Any) -> Any:
    body = copy.deepcopy(body)
    target = body
    for key in path[:-1]:
        target = target[key]
    if value is _OMIT:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return body


_OMIT = object()


def _error_at(errors: Any, path: tuple) -> Any:
    """The error a DRF body names at ``path`` (nested dicts; a list's items as a list or by
    their index as a key)."""
    for key in path:
        if isinstance(errors, list) and isinstance(key, int):
            errors = errors[key]
        else:
            errors = errors[str(key) if isinstance(errors, dict) and str(key) in errors else key]
    return errors


BODY_OPERATIONS = [o for o in swagger.operations() if o.body is not None]


@pytest.mark.parametrize("op", BODY_OPERATIONS, ids=str)
def test_nulls_and_fields_left_out_give_the_documented_outcome(tenovi, world, op):
    body = samples(world, tenovi)[op.id]
    path = world.path(op)
    cases = []
    for field in swagger.fields(op.body, body):
        if field.read_only:
            continue  # ignored on input: what a client read may be sent back
        cases.append((field, "null"))
        if not field.required:
            cases.append((field, "omit"))
    assert cases, f"{op.id}: no writable field found in its sample"
    for field, mode in cases:
        sent = _set(body, field.path, None if mode == "null" else _OMIT)
        with transaction.atomic():
            response = call(tenovi, op, path, sent)
            transaction.set_rollback(True)
        refused = (op.id, field.name, mode) in REFUSED
        if mode == "null" and not field.nullable:
            assert response.status_code == 400, (op.id, field.name, response.content)
            assert _error_at(response.json(), field.path), (op.id, field.name)
        elif refused:
            assert response.status_code == 400, (op.id, field.name, mode, response.content)
        else:
            assert response.status_code == op.status, (op.id, field.name, mode, response.content)


def test_the_swagger_has_every_operation_the_issue_names():
    """The file read is the one the issue means: about forty operations on 23 paths."""
    document = swagger.swagger()
    assert len(document["paths"]) == 23
    assert len(swagger.operations()) == 40
    ids = {o.id for o in swagger.operations()}
    assert {"hwi-devices_create", "resend-webhooks_create", "gateway-info_read"} <= ids
