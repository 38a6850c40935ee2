"""JSON request bodies, read with a size limit and parsed so that no crafted body is a 500.

Every API dialect's views parse through these (a dialect's own exception handler writes the
refusal in its own shape):

- a body over ``API_MAX_BODY_BYTES`` is refused with 413 (from ``Content-Length`` before it is
  read, else as soon as the reading passes the limit);
- nesting deeper than orjson's 1,024 levels, lone surrogates (``"\\ud800"``), ``NaN`` and
  ``Infinity``, numbers beyond a double (``1e400``, 400-digit integers), invalid UTF-8: 400;
- :class:`StrictJSONParser` (Pylo, Tenovi, PING) also refuses NUL (U+0000) in any string or key,
  and integers outside 64 bits, which no column stores;
- :class:`ItemJSONParser` (the ingest API's batches) refuses only what cannot be parsed at all:
  an unrepresentable number or a lone surrogate becomes that item's error, not the batch's
  (:data:`UNREPRESENTABLE` stands in for such a number, and the item's validation refuses it).

A key given twice in one object: the last one counts, in every dialect (orjson, Python's json and
JavaScript's ``JSON.parse`` agree on that).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import orjson
from django.conf import settings
from rest_framework import exceptions, status
from rest_framework.parsers import BaseParser

NUL_REFUSED = "Null characters are not allowed."  # DRF's own words for a CharField
INT64 = 2**63
_LONG_DIGITS = re.compile(rb"\d{19,}")
_READ_SIZE = 64 * 1024


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Payload Too Large"
    default_code = "payload_too_large"


def too_large(limit: int, length: int | None = None) -> PayloadTooLarge:
    size = f" ({length:,} bytes)" if length is not None else ""
    return PayloadTooLarge(f"the body{size} is over the limit of {limit:,} bytes")


class _Unrepresentable:
    """A number no double holds (``1e400``, a 400-digit integer) or ``NaN``/``Infinity``: kept
    in its place so that the item holding it, not the whole batch, is refused."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<unrepresentable number>"


UNREPRESENTABLE: Any = _Unrepresentable()


def read_limited(stream, meta, limit: int) -> bytes:
    """At most ``limit`` bytes of the body, else 413."""
    declared = meta.get("CONTENT_LENGTH")
    if declared not in (None, ""):
        try:
            length = int(declared)
        except ValueError:
            raise exceptions.ParseError(f"Content-Length {declared!r} is not a number") from None
        if length > limit:
            raise too_large(limit, length)
    body = bytearray()
    while True:
        chunk = stream.read(min(_READ_SIZE, limit + 1 - len(body)))
        if not chunk:
            return bytes(body)
        body += chunk
        if len(body) > limit:
            raise too_large(limit)


def _fast(body: bytes) -> Any:
    return orjson.loads(body)


def _walk_strict(value: Any) -> tuple[tuple[str, ...], str] | None:
    """Where the first problem of a parsed body is, and what: a NUL in a string or key, an
    integer beyond 64 bits."""
    stack: list[tuple[tuple[str, ...], Any]] = [((), value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return path, NUL_REFUSED
        elif isinstance(item, bool):
            continue
        elif isinstance(item, int):
            if not -INT64 <= item < INT64:
                return path, "integers must fit in 64 bits"
        elif isinstance(item, dict):
            for key, inner in item.items():
                if "\x00" in key:
                    return path, NUL_REFUSED
                stack.append(((*path, key), inner))
        elif isinstance(item, list):
            stack.extend(((*path, str(i)), inner) for i, inner in enumerate(item))
    return None


def _at(path: tuple[str, ...], message: str) -> Any:
    """DRF's error detail naming the field at ``path``: ``{"patient": {"name": [message]}}``."""
    detail: Any = [message]
    for name in reversed(path):
        detail = {name: detail}
    return detail


def _parse_error(exc: Exception) -> exceptions.ParseError:
    text = str(exc)
    if "depth limit" in text or isinstance(exc, RecursionError):
        text = "it is nested too deeply"
    return exceptions.ParseError(f"JSON parse error - {text}")


def loads_strict(body: bytes) -> Any:
    """The parsed body; 400 for anything a column could not hold."""
    try:
        data = _fast(body)
    except orjson.JSONDecodeError as exc:
        raise _parse_error(exc) from None
    if b"\\u0000" in body or _LONG_DIGITS.search(body):  # only then is a walk needed
        found = _walk_strict(data)
        if found:
            path, problem = found
            if not path:
                raise exceptions.ParseError(problem)
            raise exceptions.ValidationError(_at(path, problem))  # the field named, as DRF does
    return data


def _int(text: str) -> Any:
    return int(text) if len(text) <= 20 else UNREPRESENTABLE


def _float(text: str) -> Any:
    number = float(text)
    return number if math.isfinite(number) else UNREPRESENTABLE


def loads_items(body: bytes) -> Any:
    """The parsed body, unrepresentable numbers and lone surrogates left for each item's own
    validation to refuse; 400 only for a body that is not JSON at all."""
    try:
        return _fast(body)
    except orjson.JSONDecodeError as exc:
        first = exc
    try:  # Python's parser keeps lone surrogates and lets numbers be replaced
        return json.loads(
            body,
            parse_int=_int,
            parse_float=_float,
            parse_constant=lambda _name: UNREPRESENTABLE,
        )
    except (ValueError, RecursionError):
        raise _parse_error(first) from None


class StrictJSONParser(BaseParser):
    media_type = "application/json"
    loads = staticmethod(loads_strict)

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        meta = request._request.META if request is not None else {}
        return self.loads(read_limited(stream, meta, settings.API_MAX_BODY_BYTES))


class AnyContentTypeJSONParser(StrictJSONParser):
    """A body that is JSON whatever its Content-Type says (Pylo's curl examples send JSON with
    ``-d``, which curl labels form-encoded)."""

    media_type = "*/*"


class ItemJSONParser(StrictJSONParser):
    loads = staticmethod(loads_items)


def has_bad_text(text: str) -> str | None:
    """Why ``text`` cannot be stored, or None: a NUL, or a lone surrogate (not Unicode text)."""
    if "\x00" in text:
        return "must not contain NUL (U+0000) characters"
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "must be Unicode text (a lone surrogate is not)"
    return None
