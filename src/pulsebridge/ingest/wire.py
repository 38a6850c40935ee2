"""The ingest API's JSON, typed field by field: whatever JSON value a field holds (an array or
object where a scalar belongs, a lone surrogate, an unrepresentable number from
``lib.parsers.ItemJSONParser``, a NUL), it becomes that field's error, named, and never an
exception. The domain's rules then run on typed values."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime

from pulsebridge.lib.parsers import has_bad_text

FLAGS = {True: 1, "1": 1, "true": 1, "yes": 1, False: 0, "0": 0, "false": 0, "no": 0}  # 1 == True


def _finite(raw: Any) -> float | None:
    """``raw`` as a finite float, if it is a JSON number (not a bool) a double holds."""
    kind = type(raw)
    if kind is float:
        return raw if math.isfinite(raw) else None
    if kind is not int:  # bool, or anything but a number
        return None
    try:
        return float(raw)
    except OverflowError:  # an integer beyond a double
        return None


def number(raw: Any, name: str, errors: dict, *, strings: bool = False) -> float | None:
    """A finite number (or, with ``strings``, a string of one), else None and the error."""
    if raw is None:
        return None
    value = _finite(raw)
    if value is not None:
        return value
    if strings and isinstance(raw, str):
        try:
            raw = float(raw)
        except ValueError:
            errors[name] = "must be a number"
            return None
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        errors[name] = "must be a number"
        return None
    value = _finite(raw)
    if value is None:
        errors[name] = "must be a finite number"
    return value


def flag(raw: Any, name: str, errors: dict) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool | int | float | str) and raw in FLAGS:
        return FLAGS[raw]
    errors[name] = "must be 0 or 1"
    return None


def text(raw: Any, name: str, errors: dict, max_length: int = 128, *, numbers: bool = True):
    """A string (a number written as one too, unless ``numbers`` is false), else ""."""
    if raw is None:
        return ""
    if (
        isinstance(raw, bool)
        or not isinstance(raw, str | int | float)
        or (not numbers and not isinstance(raw, str | int))
    ):
        errors[name] = "must be a string"
        return ""
    value = str(raw)
    if len(value) > max_length:
        errors[name] = f"must be at most {max_length} characters"
    elif problem := has_bad_text(value):
        errors[name] = problem
    return value


def percent(raw: Any, name: str, errors: dict) -> int | None:
    if raw is None:
        return None
    value = _finite(raw)
    if value is None or not 0 <= value <= 100:
        errors[name] = "must be a number from 0 to 100"
        return None
    return round(value)


def timestamp(raw: Any, name: str, errors: dict) -> datetime | None:
    """An ISO 8601 date-time string, parsed; the domain judges whether it is plausible."""
    if not isinstance(raw, str) or not raw:
        errors[name] = "is required: an ISO 8601 date-time"
        return None
    if problem := has_bad_text(raw):  # Django's parser would read past a NUL
        errors[name] = problem
        return None
    try:
        parsed = parse_datetime(raw.strip())
    except ValueError:
        parsed = None
    if parsed is None:
        errors[name] = f"{raw!r} is not an ISO 8601 date-time"
    return parsed
