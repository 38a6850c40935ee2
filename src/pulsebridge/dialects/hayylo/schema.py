"""The Hayylo Inbound API's OpenAPI schema (``/api/schema/hayylo.json``): the wrapper
``{companyCode, instanceId, schemaType, dataSet}`` with each record type's fields, selected by
``schemaType`` (a ``oneOf`` with a discriminator), the 202 of an accepted batch, the import
report, and every error status in Hayylo's ``{"message"}`` shape.

The record types' fields are those ``care.records`` reads (the tests hold the two together);
their types are written here once per field name."""

from __future__ import annotations

from typing import Any

from pulsebridge.care.records import (
    DOCUMENT_EXTENSIONS,
    FORMATS,
    ID_MAX_LENGTH,
    IMPORT_STATUSES,
    MAX_VISIT_MINUTES,
)
from pulsebridge.lib.openapi import apply, json_body


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def text(max_length: int, **more: Any) -> dict[str, Any]:
    return {"type": "string", "maxLength": max_length, "nullable": True, **more}


PHONE = text(30, pattern=r"^[0-9+()\-. ]*$")
EMAIL = text(254, format="email")
DATE = {"type": "string", "format": "date", "description": "YYYY-MM-DD"}
CLOCK = {"type": "string", "pattern": r"^([01]\d|2[0-3]):([0-5]\d)(:([0-5]\d))?$"}
ID = {"type": "string", "minLength": 1, "maxLength": ID_MAX_LENGTH}

# Each wire field's type: the same name means the same thing in every record type.
FIELDS: dict[str, dict[str, Any]] = {
    "id": {**ID, "description": "Your id of the record; later records name it."},
    "importStatus": {
        "type": "string",
        "enum": list(IMPORT_STATUSES),
        "description": "NEW or CHANGED (an upsert either way); CANCELLED for visits only.",
    },
    "firstName": {"type": "string", "minLength": 1, "maxLength": 100},
    "lastName": {"type": "string", "minLength": 1, "maxLength": 100},
    "faFName": {
        "type": "string",
        "minLength": 1,
        "maxLength": 200,
        "description": "Full name.",
    },
    "phone": PHONE,
    "phone1": PHONE,
    "phone2": PHONE,
    "mobile": PHONE,
    "email": EMAIL,
    "address": text(200),
    "suburb": text(100),
    "postCode": text(20),
    "state": text(50),
    "gender": text(50),
    "dob": {**DATE, "nullable": True, "description": "Date of birth, YYYY-MM-DD (or empty)."},
    "team": text(200),
    "linkedClientId": {**ID, "description": "The id of the client this contact belongs to."},
    "clientId": {**ID, "description": "The id of a client sent before (or in this batch)."},
    "workerId": {**ID, "nullable": True, "description": "A worker's id; null: not assigned."},
    "duration": {
        "oneOf": [
            {"type": "integer", "minimum": 1, "maximum": MAX_VISIT_MINUTES},
            {"type": "string", "pattern": r"^[0-9]+$"},
        ],
        "description": f'Minutes, 1 to {MAX_VISIT_MINUTES} (the document writes "60").',
    },
    "startDate": DATE,
    "startTime": {**CLOCK, "description": "HH:MM, 24-hour."},
    "preferredStartDate": {**DATE, "nullable": True},
    "preferredStartTime": {**CLOCK, "nullable": True},
    "preferredEndTime": {**CLOCK, "nullable": True},
    "serviceType": text(200),
    "fileType": text(100),
    "fileTitle": {"type": "string", "minLength": 1, "maxLength": 200},
    "fileExtension": {"type": "string", "enum": sorted(DOCUMENT_EXTENSIONS)},
    "clientVisible": {"type": "boolean"},
    "workerVisible": {"type": "boolean"},
    "data": {
        "type": "string",
        "format": "byte",
        "minLength": 4,
        "description": "The file's bytes, base64 (standard alphabet, padded, no line breaks).",
    },
}

NAMES = {
    "client": "Client",
    "family": "FamilyContact",
    "worker": "Worker",
    "schedule": "Schedule",
    "clientDocument": "ClientDocument",
}


def record(schema_type: str) -> dict[str, Any]:
    fmt = FORMATS[schema_type]
    required = ["id", "importStatus"]
    required += [f.wire for f in fmt.fields if f.required]
    required += [r.wire for r in fmt.references if r.required]
    names = ["id", "importStatus", *(f.wire for f in fmt.fields)]
    names += [r.wire for r in fmt.references]
    return {
        "type": "object",
        "description": f"One {fmt.noun} record (schemaType `{schema_type}`). NEW or CHANGED "
        "records need the required fields; a record may leave out the others.",
        "required": required,
        "properties": {name: FIELDS[name] for name in names},
        "additionalProperties": False,
    }


def wrapper(schema_type: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["companyCode", "instanceId", "schemaType", "dataSet"],
        "properties": {
            "companyCode": {
                "type": "string",
                "minLength": 1,
                "description": "Your company code (the company of the API key).",
            },
            "instanceId": {
                "type": "string",
                "minLength": 1,
                "description": 'Your instance id, a string such as "100".',
            },
            "schemaType": {"type": "string", "enum": [schema_type]},
            "dataSet": {
                "type": "array",
                "minItems": 1,
                "items": ref(NAMES[schema_type]),
            },
        },
        "additionalProperties": False,
    }


COMPONENTS: dict[str, Any] = {
    "HayyloError": {
        "type": "object",
        "required": ["message"],
        "properties": {
            "message": {
                "type": "string",
                "description": "What is wrong and where, e.g. `Bad Request: schemaType ...`.",
            }
        },
    },
    "Accepted": {
        "type": "object",
        "required": ["message", "batchId", "records"],
        "properties": {
            "message": {"type": "string"},
            "batchId": {"type": "string", "format": "uuid"},
            "records": {"type": "integer", "minimum": 1},
        },
    },
    "BatchStatus": {
        "type": "object",
        "required": ["batchId", "schemaType", "status", "received", "imported", "failed", "errors"],
        "properties": {
            "batchId": {"type": "string", "format": "uuid"},
            "schemaType": {"type": "string", "enum": list(NAMES)},
            "status": {"type": "string", "enum": ["queued", "processing", "done", "failed"]},
            "received": {"type": "integer"},
            "imported": {"type": "integer"},
            "failed": {"type": "integer"},
            "errors": {
                "type": "array",
                "description": "Each refused record: its place in dataSet, its id, every reason.",
                "items": {
                    "type": "object",
                    "required": ["index", "id", "message"],
                    "properties": {
                        "index": {"type": "integer"},
                        "id": {
                            "nullable": True,
                            "oneOf": [{"type": "string"}, {"type": "integer"}],
                        },
                        "message": {"type": "string"},
                    },
                },
            },
        },
    },
    "Inbound": {
        "description": "The one wrapper of every request; `schemaType` says which records "
        "`dataSet` holds (one type per request).",
        "oneOf": [ref(f"{name}Batch") for name in NAMES.values()],
        "discriminator": {
            "propertyName": "schemaType",
            "mapping": {t: f"#/components/schemas/{n}Batch" for t, n in NAMES.items()},
        },
    },
}
for _type, _name in NAMES.items():
    COMPONENTS[_name] = record(_type)
    COMPONENTS[f"{_name}Batch"] = wrapper(_type)

ERRORS = {
    400: "Bad Request: the body is not JSON, or the wrapper is wrong (every problem named).",
    401: "Unauthorized: the x-api-key header is missing, or the key is invalid or revoked.",
    403: "Forbidden: the key has no usage plan, or companyCode/instanceId are not the key's "
    "company.",
    404: "Not Found: no such batch for this company.",
    413: "Payload Too Large: more than 6 MB.",
    415: "Unsupported Media Type: not `Content-Type: application/json` (UTF-8).",
    429: "Too Many Requests: the per-second rate or the monthly quota; see Retry-After.",
}


def errors(*codes: int) -> dict[str, Any]:
    return {str(code): json_body(ref("HayyloError"), ERRORS[code]) for code in codes}


OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {
    ("post", "/inbound"): {
        "operationId": "sendInbound",
        "summary": "Send a batch of records",
        "description": "Sends up to 6 MB of records of one `schemaType` (clients, family "
        "contacts, workers, visit schedules or client documents) in the wrapper. The batch is "
        "imported asynchronously: the 202 answer carries its `batchId`, and the `Location` of "
        "its import report. Records are upserted by `id`; each refused record is reported with "
        "every reason at once.",
        "tags": ["Inbound"],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ref("Inbound")}},
        },
        "responses": {
            "202": {
                **json_body(ref("Accepted"), "Accepted: queued for import."),
                "headers": {
                    "Location": {
                        "schema": {"type": "string"},
                        "description": "The batch's import report.",
                    }
                },
            },
            **errors(400, 401, 403, 413, 415, 429),
        },
    },
    ("get", "/inbound/{batch_id}"): {
        "operationId": "getInboundBatch",
        "summary": "Get a batch's import report",
        "description": "How the import of a batch went: its status, how many records were "
        "imported and which were refused, with their reasons.",
        "tags": ["Inbound"],
        "responses": {
            "200": json_body(ref("BatchStatus"), "The import report."),
            **errors(400, 401, 403, 404, 429),
        },
    },
}

SECURITY = {
    "apiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "x-api-key",
        "description": "Your Hayylo Inbound API key.",
    }
}


def postprocess(result, generator, request, public):
    return apply(result, OPERATIONS, components=COMPONENTS, security_schemes=SECURITY)
