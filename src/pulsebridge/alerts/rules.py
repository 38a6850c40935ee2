"""The rules in force: the defaults every company starts with, each company's changes, each
patient's overrides, and changing them.

A process keeps a company's rules for ``ALERT_RULES_CACHE_SECONDS`` (they are asked for on every
batch of readings recorded); a change made through this module is seen at once in the same
process, and within that time by the others."""

from __future__ import annotations

import time as clock
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction

from pulsebridge.core.models import Company
from pulsebridge.devices.models import Kind, Patient
from pulsebridge.lib.errors import DomainError

from .models import Override, Rule

Check = Rule.Check


class AlertError(DomainError):
    """An alert rule was broken; the message says which."""


# (code, name, kind, metric, check, threshold, window hours): the defaults, in the
# canonical units of MAPPINGS.md (mmHg, %, mg/dL, °C, kg).
DEFAULTS: list[tuple[str, str, str, str, str, float, int | None]] = [
    ("systolic-high", "Systolic 180 mmHg or more", Kind.BLOOD_PRESSURE, "systolic", Check.AT_LEAST, 180, None),
    ("systolic-low", "Systolic 90 mmHg or less", Kind.BLOOD_PRESSURE, "systolic", Check.AT_MOST, 90, None),
    ("diastolic-high", "Diastolic 110 mmHg or more", Kind.BLOOD_PRESSURE, "diastolic", Check.AT_LEAST, 110, None),
    ("spo2-low", "SpO2 below 90 %", Kind.PULSE_OXIMETRY, "spo2", Check.BELOW, 90, None),
    ("glucose-low", "Glucose below 70 mg/dL", Kind.GLUCOSE, "glucose", Check.BELOW, 70, None),
    ("glucose-high", "Glucose above 300 mg/dL", Kind.GLUCOSE, "glucose", Check.ABOVE, 300, None),
    ("temperature-high", "Temperature 38.0 °C or more", Kind.TEMPERATURE, "temperature", Check.AT_LEAST, 38.0, None),
    ("weight-gain-24h", "Weight up 2 kg in 24 hours", Kind.WEIGHT, "weight", Check.RISE, 2.0, 24),
    ("weight-gain-7d", "Weight up 2.5 kg in 7 days", Kind.WEIGHT, "weight", Check.RISE, 2.5, 7 * 24),
]  # fmt: skip

METRICS = {
    Kind.BLOOD_PRESSURE: ("systolic", "diastolic", "pulse"),
    Kind.WEIGHT: ("weight",),
    Kind.GLUCOSE: ("glucose",),
    Kind.PULSE_OXIMETRY: ("spo2", "pulse", "perfusion_index"),
    Kind.TEMPERATURE: ("temperature",),
    Kind.PEAK_FLOW: ("peak_flow", "fev1"),
}
MAX_WINDOW_HOURS = 31 * 24


@dataclass(frozen=True, slots=True)
class InForce:
    """One rule as evaluation needs it."""

    id: Any
    code: str
    kind: str
    metric: str
    comparison: str
    threshold: float
    window_hours: int | None
    enabled: bool


@dataclass(frozen=True)
class Ruleset:
    by_kind: dict[str, list[InForce]]
    # (rule id, patient id) -> (threshold or None, enabled or None)
    overrides: dict[tuple[Any, Any], tuple[float | None, bool | None]]

    def for_patient(self, kind: str, patient_id: Any) -> list[tuple[InForce, float]]:
        """The rules on ``kind`` that hold for the patient, each with its threshold for them."""
        found = []
        for rule in self.by_kind.get(kind, ()):
            threshold, enabled = self.overrides.get((rule.id, patient_id), (None, None))
            if enabled if enabled is not None else rule.enabled:
                found.append((rule, rule.threshold if threshold is None else threshold))
        return found

    def may_apply(self, kind: str) -> bool:
        """Whether any rule on ``kind`` holds for anybody (a patient's override may switch on a
        rule the company switched off)."""
        return kind in self.live_kinds

    @property
    def live_kinds(self) -> frozenset[str]:
        return self._live

    def __post_init__(self) -> None:
        switched_on = {rid for (rid, _), (_, enabled) in self.overrides.items() if enabled}
        live = {
            kind
            for kind, rules in self.by_kind.items()
            if any(r.enabled or r.id in switched_on for r in rules)
        }
        object.__setattr__(self, "_live", frozenset(live))


_cache: dict[Any, tuple[float, Ruleset]] = {}


def forget(company: Company) -> None:
    _cache.pop(company.pk, None)


def ruleset(company: Company) -> Ruleset:
    """The company's rules and overrides, from this process's cache when fresh."""
    ttl = settings.ALERT_RULES_CACHE_SECONDS
    hit = _cache.get(company.pk)
    now = clock.monotonic()
    if hit is not None and ttl > 0 and now - hit[0] < ttl:
        return hit[1]
    rules = company_rules(company)
    by_kind: dict[str, list[InForce]] = {}
    for r in rules:
        by_kind.setdefault(r.kind, []).append(
            InForce(
                r.pk, r.code, r.kind, r.metric, r.comparison, r.threshold, r.window_hours, r.enabled
            )
        )
    overrides = {
        (rule_id, patient_id): (threshold, enabled)
        for rule_id, patient_id, threshold, enabled in Override.objects.for_company(
            company
        ).values_list("rule_id", "patient_id", "threshold", "enabled")
    }
    found = Ruleset(by_kind, overrides)
    if len(_cache) > 10_000:
        _cache.clear()
    _cache[company.pk] = (now, found)
    return found


def company_rules(company: Company) -> list[Rule]:
    """The company's rules, the defaults written the first time they are asked for."""
    rules = list(Rule.objects.for_company(company).order_by("kind", "code"))
    if rules:
        return rules
    Rule.objects.bulk_create(
        [
            Rule(
                company=company,
                code=code,
                name=name,
                kind=kind,
                metric=metric,
                comparison=check,
                threshold=threshold,
                window_hours=window,
            )
            for code, name, kind, metric, check, threshold, window in DEFAULTS
        ],
        ignore_conflicts=True,  # a concurrent first look wrote them
    )
    return list(Rule.objects.for_company(company).order_by("kind", "code"))


def get_rule(company: Company, code: str) -> Rule:
    company_rules(company)
    rule = Rule.objects.for_company(company).filter(code=(code or "").strip()).first()
    if rule is None:
        raise AlertError(f"rule: no rule {code!r}")
    return rule


def _threshold(value: Any, field: str = "threshold") -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        try:
            value = float(str(value))
        except ValueError:
            raise AlertError(f"{field}: a number") from None
    value = float(value)
    if value != value or value in (float("inf"), float("-inf")):
        raise AlertError(f"{field}: a finite number")
    return value


def change_rule(
    rule: Rule,
    *,
    threshold: Any = None,
    enabled: bool | None = None,
    window_hours: Any = None,
    name: str | None = None,
) -> Rule:
    """Change what is given (None: unchanged)."""
    if threshold is not None:
        rule.threshold = _threshold(threshold)
        if rule.comparison == Check.RISE and rule.threshold <= 0:
            raise AlertError("threshold: a trend's rise must be more than 0")
    if window_hours is not None:
        if rule.comparison != Check.RISE:
            raise AlertError("window_hours: only a trend rule has a window")
        if isinstance(window_hours, bool) or not isinstance(window_hours, int):
            raise AlertError("window_hours: a whole number of hours")
        if not 1 <= window_hours <= MAX_WINDOW_HOURS:
            raise AlertError(f"window_hours: between 1 and {MAX_WINDOW_HOURS}")
        rule.window_hours = window_hours
    if enabled is not None:
        rule.enabled = bool(enabled)
    if name is not None:
        if not name.strip() or len(name) > 200:
            raise AlertError("name: 1 to 200 characters")
        rule.name = name.strip()
    rule.save()
    transaction.on_commit(lambda: _forget_pk(rule.company_id))
    _forget_pk(rule.company_id)
    return rule


def set_override(
    rule: Rule, patient: Patient, *, threshold: Any = None, enabled: bool | None = None
) -> Override:
    """The patient's own threshold and/or on/off for the rule."""
    if patient.company_id != rule.company_id:
        raise AlertError("patient: not found")
    if threshold is None and enabled is None:
        raise AlertError("give a threshold or enabled (or remove the override)")
    value = None if threshold is None else _threshold(threshold)
    if rule.comparison == Check.RISE and value is not None and value <= 0:
        raise AlertError("threshold: a trend's rise must be more than 0")
    override, _ = Override.objects.update_or_create(
        rule=rule,
        patient=patient,
        defaults={"company_id": rule.company_id, "threshold": value, "enabled": enabled},
    )
    _forget_pk(rule.company_id)
    transaction.on_commit(lambda: _forget_pk(rule.company_id))
    return override


def remove_override(rule: Rule, patient: Patient) -> bool:
    deleted, _ = Override.objects.filter(rule=rule, patient=patient).delete()
    _forget_pk(rule.company_id)
    return bool(deleted)


def overrides_of(company: Company, patient: Patient) -> list[Override]:
    return list(
        Override.objects.for_company(company).filter(patient=patient).select_related("rule")
    )


def _forget_pk(company_id: Any) -> None:
    _cache.pop(company_id, None)
