"""The Pylo RPM API's OpenAPI schema (``/api/schema/pylo.json``) in the document's terms: each
operation's name, summary and description, the answers of the document's examples (devices,
readings and orders pages, ``page_info.cursor_token``) and every error status of its error
table, in Pylo's error shape (``pulsebridge.lib.openapi`` puts them in)."""

from __future__ import annotations

from typing import Any

from pulsebridge.lib.openapi import apply, json_body

STRING = {"type": "string"}
TEXT = {"type": "string", "nullable": True}
TIME = {"type": "string", "description": '`2021-02-23T22:06:00.000Z`, or `""` when unknown.'}
# a tower's position: a number, or "" when the device reported none
POSITION = {"anyOf": [{"type": "number"}, {"type": "string"}], "nullable": True}
INTEGER = {"type": "integer", "nullable": True}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {"type": "object", "required": required or list(properties), "properties": properties}


PAGE_INFO = _object(
    {"cursor_token": {"type": "string", "nullable": True, "description": "The next page's token."}}
)

COMPONENTS: dict[str, Any] = {
    "PyloError": {
        "type": "object",
        "required": ["message"],
        "properties": {
            "message": {
                "type": "string",
                "description": "The error table's words, e.g. `Bad Request -- ...` naming the "
                "fields, or `Unauthorized -- Your API key is invalid.`",
            },
            "errors": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "On a 400: each refused field (or `query`, `body`) and why.",
            },
        },
    },
    "Device": _object(
        {
            "device_imei": STRING,
            "device_sim": TEXT,
            "device_id": STRING,
            "device_type": TEXT,
            "patient_id": STRING,
            "practice_id": TEXT,
            "billing_status": TEXT,
            "first_measurement_timestamp": TIME,
            "last_measurement_timestamp": TIME,
            "order_number": STRING,
        }
    ),
    "DevicesPage": _object(
        {
            "count": {"type": "integer"},
            "devices": {"type": "array", "items": ref("Device")},
            "page_info": PAGE_INFO,
        }
    ),
    "DeviceUpdated": _object(
        {"status": {"enum": ["OK"]}, "patient_id": STRING, "practice_id": TEXT}
    ),
    "ReadingValue": _object(
        {
            "Value": {"oneOf": [{"type": "number"}, {"type": "string"}]},
            "Type": {"type": "string", "description": "`systolic`, `weight`, `spo2` ..."},
        }
    ),
    "Reading": _object(
        {
            "DeviceUser": TEXT,
            "MeasurementType": STRING,
            "DeviceId": TEXT,
            "MeasuredAt": TIME,
            "BatteryPercentage": INTEGER,
            "DeviceModel": TEXT,
            "DeviceType": TEXT,
            "InsertedAt": TIME,
            "DeviceSim": TEXT,
            "Id": STRING,
            "DeviceImei": TEXT,
            "SignalStrengthPercentage": {**INTEGER, "description": "Only when the device has one."},
            "PatientId": TEXT,
            "PracticeId": TEXT,
            "TenantId": TEXT,
            "Values": {"type": "array", "items": ref("ReadingValue")},
            "RadioAccessTechnology": TEXT,
            "NetworkName": TEXT,
            "TowerLongitude": POSITION,
            "TowerLatitude": POSITION,
        },
        required=["MeasurementType", "Id", "MeasuredAt", "Values"],
    ),
    "ReadingsPage": _object(
        {
            "count": {"type": "integer"},
            "measurements": {"type": "array", "items": ref("Reading")},
            "page_info": PAGE_INFO,
        }
    ),
    "OrderLine": _object(
        {
            "sku": STRING,
            "quantity": {"type": "string", "description": "A number, written as a string."},
            "imeis": {"type": "array", "items": STRING},
        }
    ),
    "Order": _object(
        {
            "order_number": STRING,
            "order_status": STRING,
            "date_placed": {"type": "string", "description": "`2021-04-20 05:57:22`."},
            "date_order_processed": {"type": "string", "description": 'As date_placed, or `""`.'},
            "ship_date": {"type": "string", "description": '`2021-04-21`, or `""`.'},
            "devices": {"type": "array", "items": ref("OrderLine")},
            "order_requested_shipping_service": TEXT,
            "require_signature": {"enum": ["yes", "no"]},
            "confirmation": TEXT,
            "first_name_recipient": TEXT,
            "last_name_recipient": TEXT,
            "email_recipient": TEXT,
            "phone_recipient": TEXT,
            "company_recipient": TEXT,
            "order_notes_from_buyer": TEXT,
            "address1": TEXT,
            "address2": TEXT,
            "address3": TEXT,
            "city": TEXT,
            "state": TEXT,
            "postal_code": TEXT,
            "country_code": TEXT,
            "patient_id": STRING,
            "practice_id": TEXT,
            "carrier_code": TEXT,
            "service_code": TEXT,
            "tracking_number": TEXT,
        },
        required=["order_number", "order_status", "date_placed", "devices"],
    ),
    "OrdersPage": _object(
        {
            "count": {"type": "integer"},
            "orders": {"type": "array", "items": ref("Order")},
            "page_info": PAGE_INFO,
        }
    ),
    "OrderPlaced": _object({"status": {"enum": ["OK"]}, "order_number": STRING}),
    "OrderUpdated": _object({"status": {"enum": ["OK"]}, "updated order number": STRING}),
    "OrderCancelled": _object({"status": {"enum": ["OK"]}, "cancelled order number": STRING}),
}

ERRORS = {
    400: "Bad Request -- Your request is invalid (`errors` names each field).",
    401: "Unauthorized -- Your API key is invalid (or the `x-api-key` header is missing).",
    403: "Forbidden -- Your API key may be valid but it is not associated with a usage plan.",
    404: "Not Found",
    406: "Not Acceptable -- You requested a format that isn't json.",
    429: "Too Many Requests or Limit Exceeded -- Slow down (or request a rate/quota increase)!",
}


def responses(ok: dict[str, Any], *errors: int, status: int = 200) -> dict[str, Any]:
    out = {str(status): ok}
    for code in (400, 401, 403, *errors, 406, 429):
        out[str(code)] = json_body(ref("PyloError"), ERRORS[code])
    return out


def body(name: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": ref(name)}}}


OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {
    ("get", "/devices"): {
        "operationId": "listDevices",
        "summary": "List devices, or get one by id or IMEI",
        "description": "All the devices of your account, a page at a time (`page_info.cursor_token` "
        "fetches the next page), or one device with `?id=` (its device id) or `?imei=`: the "
        "answer is then the device object itself.",
        "tags": ["Devices"],
        "responses": responses(
            json_body(
                {"oneOf": [ref("DevicesPage"), ref("Device")]},
                "A page of devices, or the one device asked for.",
            ),
            404,
        ),
    },
    ("put", "/devices"): {
        "operationId": "updateDevice",
        "summary": "Update a device's patient or practice",
        "description": "Assigns the device given by `?id=` or `?imei=` to a patient and/or a "
        "practice.",
        "tags": ["Devices"],
        "requestBody": body("DeviceUpdate"),
        "responses": responses(json_body(ref("DeviceUpdated"), "Updated."), 404),
    },
    ("post", "/readings"): {
        "operationId": "queryReadings",
        "summary": "Query readings",
        "description": "Readings matching every filter given (at least one), newest first, a page "
        "at a time (`page_info.cursor_token`).",
        "tags": ["Readings"],
        "requestBody": body("ReadingsFilter"),
        "responses": responses(json_body(ref("ReadingsPage"), "A page of readings.")),
    },
    ("get", "/orders"): {
        "operationId": "listOrders",
        "summary": "List orders, or get one by number",
        "description": "All your orders, a page at a time, or one with `?number=`: the answer is "
        "then the order object itself.",
        "tags": ["Fulfillment"],
        "responses": responses(
            json_body(
                {"oneOf": [ref("OrdersPage"), ref("Order")]},
                "A page of orders, or the one order asked for.",
            ),
            404,
        ),
    },
    ("post", "/orders"): {
        "operationId": "placeOrder",
        "summary": "Place an order",
        "description": "Ships devices to a recipient; the answer carries the new order's number.",
        "tags": ["Fulfillment"],
        "requestBody": body("PlaceOrder"),
        "responses": responses(json_body(ref("OrderPlaced"), "Placed.")),
    },
    ("patch", "/orders"): {
        "operationId": "updateOrder",
        "summary": "Update an order's patient or practice",
        "description": "Sets the patient and/or practice of the order named by `order_number`.",
        "tags": ["Fulfillment"],
        "requestBody": body("PatchedUpdateOrder"),
        "responses": responses(json_body(ref("OrderUpdated"), "Updated."), 404),
    },
    ("put", "/orders/{number}/cancel"): {
        "operationId": "cancelOrder",
        "summary": "Cancel an order",
        "description": "Only before the order has shipped and before any IMEI is attached to it.",
        "tags": ["Fulfillment"],
        "requestBody": None,
        "responses": responses(json_body(ref("OrderCancelled"), "Cancelled."), 404),
    },
}
# the document's own Python sample sends PUT /orders: the same operation as PATCH, where served
OPERATIONS[("put", "/orders")] = {
    **OPERATIONS[("patch", "/orders")],
    "operationId": "updateOrderWithPut",
}

SECURITY = {
    "apiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "x-api-key",
        "description": "Your Pylo API key.",
    }
}


# The request bodies (serializers.StrictSerializer): a field the tables do not list is refused.
STRICT = ("DeviceUpdate", "ReadingsFilter", "PlaceOrder", "OrderDevice", "BillingInfo")


def postprocess(result, generator, request, public):
    result = apply(result, OPERATIONS, components=COMPONENTS, security_schemes=SECURITY)
    schemas = result["components"]["schemas"]
    for name in (*STRICT, "PatchedUpdateOrder"):
        if name in schemas:
            schemas[name]["additionalProperties"] = False
    if "ReadingsFilter" in schemas:
        schemas["ReadingsFilter"]["minProperties"] = 1  # at least one filter
    return result
