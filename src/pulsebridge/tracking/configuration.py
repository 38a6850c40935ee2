"""The ``settings`` a tracker configuration may hold: names, units, ranges, defaults.

The PING document names what configurations override ("how often the device reports,
temperature logging intervals or shock threshold values") without a schema; this is ours,
written down in docs/compatibility.md. Settings not given take the default, so the stored
settings are always complete and a tracker can apply them as they are."""

from __future__ import annotations

import json
import math
import zlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Setting:
    kind: type  # int, float or bool
    default: Any
    low: float | None = None
    high: float | None = None
    unit: str = ""
    nullable: bool = False


SCHEMA: dict[str, Setting] = {
    "reporting_interval": Setting(int, 3600, 60, 86_400, "s"),
    "temperature_logging_interval": Setting(int, 900, 60, 86_400, "s"),
    "shock_threshold": Setting(float, 4.0, 0.5, 16, "g"),
    "temperature_low_alarm": Setting(float, None, -40, 85, "°C", nullable=True),
    "temperature_high_alarm": Setting(float, None, -40, 85, "°C", nullable=True),
    "gps_enabled": Setting(bool, True),
}

DEFAULTS: dict[str, Any] = {name: s.default for name, s in SCHEMA.items()}


class SettingsError(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def _check(name: str, setting: Setting, raw: Any) -> tuple[Any, str | None]:
    if raw is None:
        return (None, None) if setting.nullable else (None, "may not be null")
    if setting.kind is bool:
        return (raw, None) if isinstance(raw, bool) else (None, "must be true or false")
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        return None, "must be a number"
    if setting.kind is int:
        if raw != int(raw):
            return None, "must be a whole number"
        raw = int(raw)
    else:
        raw = float(raw)
    if not setting.low <= raw <= setting.high:
        low, high = setting.low, setting.high
        return None, f"must be from {low:g} to {high:g} {setting.unit}".rstrip()
    return raw, None


def validate_settings(raw: Any, base: dict[str, Any] | None = None) -> dict[str, Any]:
    """The complete settings: ``raw`` over ``base`` (or the defaults). Raises SettingsError
    naming each setting that is unknown or out of range."""
    if not isinstance(raw, dict):
        raise SettingsError({"settings": "must be an object"})
    errors: dict[str, str] = {}
    out = dict(DEFAULTS)
    if base:
        out.update({k: v for k, v in base.items() if k in SCHEMA})
    for name, value in raw.items():
        setting = SCHEMA.get(name)
        if setting is None:
            errors[name] = f"unknown setting; known: {', '.join(SCHEMA)}"
            continue
        value, problem = _check(name, setting, value)
        if problem:
            errors[name] = problem
        else:
            out[name] = value
    low, high = out["temperature_low_alarm"], out["temperature_high_alarm"]
    if not errors and low is not None and high is not None and low >= high:
        errors["temperature_low_alarm"] = "must be below temperature_high_alarm"
    if errors:
        raise SettingsError(errors)
    return out


def checksum(settings: dict[str, Any]) -> str:
    """8 hex digits (the document's ``"a7cd6c22"``): CRC-32 of the canonical JSON, so equal
    settings give equal checksums and any change gives another."""
    canonical = json.dumps(settings, sort_keys=True, separators=(",", ":"))
    return f"{zlib.crc32(canonical.encode()):08x}"
