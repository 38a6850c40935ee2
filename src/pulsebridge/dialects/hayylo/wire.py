"""The request as Hayylo writes it: a JSON body of at most 6 MB holding the wrapper
``{companyCode, instanceId, schemaType, dataSet}``. Only the wrapper is checked here; the
records are the background import's business."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from rest_framework import exceptions

from pulsebridge.care.records import json_type, shown
from pulsebridge.care.services import SCHEMA_TYPES, BatchReport
from pulsebridge.core.models import Company

from .errors import BadRequest, PayloadTooLarge, WrongCompany

WRAPPER_FIELDS = ("companyCode", "instanceId", "schemaType", "dataSet")
READ_SIZE = 64 * 1024


@dataclass(frozen=True)
class Wrapper:
    schema_type: str
    records: list[dict[str, Any]]
    text: str  # the body as received (decoded), to be stored


def _too_large(limit: int, size: int | None = None) -> PayloadTooLarge:
    what = f"is {size:,} bytes" if size is not None else f"is more than {limit:,} bytes"
    return PayloadTooLarge(
        f"the body {what}; the Inbound API accepts at most {limit:,} bytes (6 MB) per request. "
        "Send fewer records per request, or smaller documents."
    )


def read_body(request, limit: int) -> bytearray:
    """The body, refused with 413 as soon as it is known to exceed ``limit``: at once from its
    Content-Length, or while reading a chunked body, never holding more than ``limit`` + 64 KiB."""
    meta = request.META
    declared = meta.get("CONTENT_LENGTH")
    if declared not in (None, ""):
        try:
            length = int(declared)
        except ValueError:
            raise BadRequest(f"Content-Length {declared!r} is not a number of bytes") from None
        if length < 0:
            raise BadRequest(f"Content-Length {declared!r} is not a number of bytes")
        if length > limit:
            raise _too_large(limit, length)
        stream = request  # Django reads no further than Content-Length
    elif "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower():
        # Django sees no body without a Content-Length: read the server's stream directly.
        stream = meta["wsgi.input"]
    else:
        return bytearray()
    body = bytearray()
    while True:
        chunk = stream.read(min(READ_SIZE, limit + 1 - len(body)))
        if not chunk:
            return body
        body += chunk
        if len(body) > limit:
            raise _too_large(limit)


def check_content_type(request) -> None:
    content_type = request.META.get("CONTENT_TYPE", "")
    media_type = content_type.split(";", 1)[0].strip().lower()
    charset = request.content_params.get("charset", "utf-8").strip().lower()
    if media_type != "application/json" or charset not in ("utf-8", "utf8"):
        raise exceptions.UnsupportedMediaType(
            content_type or "(none)",
            detail=f"the body must be JSON sent as 'Content-Type: application/json' "
            f"(UTF-8); this request says {content_type or 'nothing'!r}",
        )


def _no_constants(name: str):
    raise ValueError(f"{name} is not a JSON value")


def parse_json(body: bytearray) -> tuple[Any, str]:
    """The parsed body and its text; 400 saying where parsing stopped."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadRequest(
            f"the body is not UTF-8 text (byte 0x{body[exc.start]:02x} at offset {exc.start})"
        ) from None
    if not text.strip():
        raise BadRequest(
            "the body is empty; expected a JSON object {companyCode, instanceId, schemaType, dataSet}"
        )
    try:
        return json.loads(text, parse_constant=_no_constants), text
    except json.JSONDecodeError as exc:
        raise BadRequest(
            f"the body is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno} "
            f"(character {exc.pos})"
        ) from None
    except ValueError as exc:
        raise BadRequest(f"the body is not valid JSON: {exc}") from None
    except RecursionError:
        raise BadRequest("the body is not valid JSON: it is nested too deeply") from None


def _data_set_problem(value: Any) -> str | None:
    if not isinstance(value, list):
        return f"dataSet must be an array of records, not {json_type(value)}"
    if not value:
        return "dataSet is empty; send at least one record"
    bad = [i for i, item in enumerate(value) if not isinstance(item, dict)]
    if bad:
        first = bad[0]
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        return f"dataSet[{first}] must be an object, not {json_type(value[first])}{more}"
    return None


def validate_wrapper(data: Any, text: str, company: Company) -> Wrapper:
    """400 naming every problem of the wrapper's shape; 403 if it names another company."""
    if not isinstance(data, dict):
        raise BadRequest(
            f"the body must be a JSON object {{companyCode, instanceId, schemaType, dataSet}}, "
            f"not {json_type(data)}"
        )
    problems = [f"{name} is missing" for name in WRAPPER_FIELDS if name not in data]
    unknown = sorted(set(data) - set(WRAPPER_FIELDS))
    if unknown:
        problems.append(
            f"unknown field{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} "
            f"(the wrapper has companyCode, instanceId, schemaType and dataSet)"
        )
    for name in ("companyCode", "instanceId"):
        if name in data:
            value = data[name]
            if not isinstance(value, str):
                example = ' such as "100"' if name == "instanceId" else ""
                problems.append(f"{name} must be a string{example}, not {json_type(value)}")
            elif not value.strip():
                problems.append(f"{name} must not be blank")
    if "schemaType" in data and data["schemaType"] not in SCHEMA_TYPES:
        problems.append(
            f"schemaType {shown(data['schemaType'], 60)} is not one of {', '.join(SCHEMA_TYPES)}"
        )
    if "dataSet" in data:
        problem = _data_set_problem(data["dataSet"])
        if problem:
            problems.append(problem)
    if problems:
        raise BadRequest("; ".join(problems))
    # Name the field that did not match: a sender whose instanceId is wrong knows which to fix.
    wrong = [
        f"{name} {shown(data[name], 60)}"
        for name, expected in (("companyCode", company.code), ("instanceId", company.instance_id))
        if data[name] != expected
    ]
    if wrong:
        verb = "is" if len(wrong) == 1 else "are"
        raise WrongCompany(f"{' and '.join(wrong)} {verb} not the company of this API key")
    return Wrapper(data["schemaType"], data["dataSet"], text)


def batch_status(report: BatchReport) -> dict[str, Any]:
    """``GET /hayylo/inbound/{batchId}``."""
    return {
        "batchId": report.batch_id,
        "schemaType": report.schema_type,
        "status": report.status,
        "received": report.received,
        "imported": report.imported,
        "failed": report.failed,
        # index first, as written everywhere (PostgreSQL's jsonb keeps keys in its own order)
        "errors": [{"index": e.index, "id": e.id, "message": e.message} for e in report.errors],
    }
