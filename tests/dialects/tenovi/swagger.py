"""Tenovi's published Swagger (``shared/specs/tenovi-hwi-swagger.json``) as a test oracle: its
operations, its definitions as JSON Schema, and the fields of each request body.

The file lives beside the repository (``../shared`` in CI); it is looked for in each directory
above this one, or at ``$TENOVI_SWAGGER``."""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import jsonschema
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from tests.conftest import missing_service

NAME = "tenovi-hwi-swagger.json"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # what a strict Tenovi client parses


def _find() -> Path | None:
    if os.environ.get("TENOVI_SWAGGER"):
        return Path(os.environ["TENOVI_SWAGGER"])
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "specs" / NAME
        if candidate.is_file():
            return candidate
    return None


@cache
def _load() -> dict[str, Any] | None:
    path = _find()
    return json.loads(path.read_text()) if path is not None else None


def swagger() -> dict[str, Any]:
    document = _load()
    if document is None:
        missing_service(f"{NAME} not found in any shared/specs above the tests")
    return document


@dataclass(frozen=True)
class Operation:
    id: str
    method: str
    path: str
    query: tuple[str, ...]
    body: str | None  # definition name
    status: int
    response: dict[str, Any] | None  # Swagger schema

    def __str__(self) -> str:
        return self.id


def operations() -> list[Operation]:
    """Every path and method of the Swagger (none at all when the file is missing: the tests
    that use this then skip, or fail under CI, through :func:`swagger`)."""
    document = _load()
    if document is None:
        return []
    out = []
    for path, item in document["paths"].items():
        for method, op in item.items():
            if method == "parameters":
                continue
            params = op.get("parameters", [])
            body = next(
                (p["schema"]["$ref"].rsplit("/", 1)[1] for p in params if p["in"] == "body"), None
            )
            (code, answer), *_ = op["responses"].items()
            out.append(
                Operation(
                    id=op["operationId"],
                    method=method,
                    path=path,
                    query=tuple(p["name"] for p in params if p["in"] == "query"),
                    body=body,
                    status=int(code),
                    response=answer.get("schema"),
                )
            )
    return out


# ----------------------------------------------------------------------------- validation


def _json_schema(schema: Any) -> Any:
    """A Swagger 2 schema as JSON Schema: ``x-nullable`` (on a property or on a whole
    definition) admits null. ``minLength`` is left out: the Swagger's own examples write ""
    where it says minLength 1 (``sensor_code`` of a cellular device, ``requested_by``)."""
    if isinstance(schema, list):
        return [_json_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {
        k: (
            {n: _json_schema(p) for n, p in v.items()}
            if k in ("properties", "definitions")
            else _json_schema(v)
        )
        for k, v in schema.items()
        if k not in ("x-nullable", "minLength", "title", "readOnly", "default")
    }
    if schema.get("x-nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out


def _time(value: str) -> bool:
    datetime.strptime(value, TIME_FORMAT)
    return True


def _uuid(value: str) -> bool:
    return str(uuid.UUID(value)) == value


def _decimal(value: str) -> bool:
    return Decimal(value).is_finite()


def _uri(value: str) -> bool:
    parts = urlparse(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _email(value: str) -> bool:
    validate_email(value)
    return True


def _strings_only(check):
    """A format says what a string looks like; other types are the ``type`` keyword's."""
    return lambda value: not isinstance(value, str) or check(value)


FORMATS = jsonschema.FormatChecker(formats=())
for _name, _check, _raises in (
    ("date-time", _time, ValueError),
    ("uuid", _uuid, ValueError),
    ("decimal", _decimal, InvalidOperation),
    ("uri", _uri, ValueError),
    ("email", _email, ValidationError),
):
    FORMATS.checks(_name, raises=_raises)(_strings_only(_check))


def errors(schema: dict[str, Any], value: Any) -> list[str]:
    """What in ``value`` breaks the Swagger ``schema``: types, formats, nullability, required
    fields, enums (empty when it conforms)."""
    root = {**_json_schema(schema), "definitions": _json_schema(swagger()["definitions"])}
    validator = jsonschema.Draft4Validator(root, format_checker=FORMATS)
    return [
        f"{'.'.join(str(p) for p in e.absolute_path) or '(body)'}: {e.message}"
        for e in sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))
    ]


# ----------------------------------------------------------------------------- request fields


@dataclass(frozen=True)
class Field:
    path: tuple[str | int, ...]  # keys (and list indexes) from the body's root
    nullable: bool
    required: bool
    read_only: bool

    @property
    def name(self) -> str:
        return ".".join(str(p) for p in self.path)


def fields(definition: str, sample: Any, prefix: tuple = ()) -> list[Field]:
    """Every field of a request definition that ``sample`` holds, nested ones included (through
    the objects and lists of objects the sample has)."""
    d = swagger()["definitions"][definition]
    out = []
    for name, prop in d.get("properties", {}).items():
        if not isinstance(sample, dict) or name not in sample:
            continue
        ref = _ref(prop)
        nullable = bool(prop.get("x-nullable")) or bool(
            ref and swagger()["definitions"][ref].get("x-nullable")
        )
        path = (*prefix, name)
        out.append(Field(path, nullable, name in d.get("required", []), bool(prop.get("readOnly"))))
        value = sample[name]
        if ref and isinstance(value, dict):
            out += fields(ref, value, path)
        item_ref = _ref(prop.get("items", {}))
        if item_ref and isinstance(value, list) and value:
            out += fields(item_ref, value[0], (*path, 0))
    return out


def _ref(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref")
    return ref.rsplit("/", 1)[1] if ref else None
