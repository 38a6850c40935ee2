"""Alert evaluation, called by ``readings.services.record_measurements`` for every batch of
readings it stores, whichever path they came by (``settings.READING_SCREENS``).

``screen`` runs before the insert, on the batch's rows, with no query (the rules come from the
process's cache): it answers None when no reading can break a rule, so most batches cost
nothing more. Otherwise it answers the function that evaluates, which the readings app calls
inside the transaction that inserts the readings and their outbox rows, with the rows that went
in (a duplicate raises nothing twice). That function costs, per batch: the history of the
patients' weights when a trend rule applies, the open alerts of the rules broken, the writes.

Readings are evaluated in the order they were measured, so a device uploading a week of stored
readings raises one alert, from its first breaking reading, marked ``late``; the later breaking
readings are attached to it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import F, Q
from django.db.models.functions import Greatest

from pulsebridge.core.models import Company
from pulsebridge.readings.models import Measurement
from pulsebridge.webhooks.models import EventType
from pulsebridge.webhooks.services import publish

from .models import Alert, AlertReading
from .rules import Check, InForce, Ruleset, ruleset

COMPARE: dict[str, Callable[[float, float], bool]] = {
    Check.AT_LEAST: lambda v, t: v >= t,
    Check.ABOVE: lambda v, t: v > t,
    Check.AT_MOST: lambda v, t: v <= t,
    Check.BELOW: lambda v, t: v < t,
    Check.RISE: lambda v, t: v >= t,
}


def _number(values: Any, metric: str) -> float | None:
    value = values.get(metric) if isinstance(values, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _bound_breaks(rules: Ruleset, row: dict[str, Any]) -> list[tuple[InForce, float, float]]:
    found = []
    for rule, threshold in rules.for_patient(row["kind"], row["patient_id"]):
        if rule.comparison == Check.RISE:
            continue
        value = _number(row["values"], rule.metric)
        if value is not None and COMPARE[rule.comparison](value, threshold):
            found.append((rule, value, threshold))
    return found


def _has_trend(rules: Ruleset, row: dict[str, Any]) -> bool:
    return any(
        rule.comparison == Check.RISE
        for rule, _ in rules.for_patient(row["kind"], row["patient_id"])
    )


def screen(company: Company, rows: list[dict[str, Any]]) -> Callable[[list], None] | None:
    """Before the insert: None when no row can break a rule, else the evaluation to run in the
    readings' transaction on the rows stored."""
    kinds = {row["kind"] for row in rows if row["patient_id"] is not None}
    if not kinds:
        return None
    rules = ruleset(company)
    if not any(rules.may_apply(kind) for kind in kinds):
        return None
    if not any(
        row["patient_id"] is not None and (_bound_breaks(rules, row) or _has_trend(rules, row))
        for row in rows
    ):
        return None
    return lambda stored: evaluate(company, stored, rules)


def evaluate(company: Company, rows: list[dict[str, Any]], rules: Ruleset | None = None) -> None:
    """Raise or extend alerts for the stored ``rows`` (plain reading rows, as the readings app
    writes them), oldest measured first. Must run inside the readings' transaction."""
    rules = rules or ruleset(company)
    rows = sorted(
        (r for r in rows if r["patient_id"] is not None),
        key=lambda r: (r["measured_at"], str(r["id"])),
    )
    if not rows:
        return
    late_after = timedelta(minutes=settings.ALERT_LATE_AFTER_MINUTES)
    breaks: list[tuple[InForce, dict[str, Any], float, float]] = []
    trend_rows = [r for r in rows if _has_trend(rules, r)]
    rises = _rises(company, trend_rows, rules) if trend_rows else {}
    for row in rows:
        for rule, value, threshold in _bound_breaks(rules, row):
            breaks.append((rule, row, value, threshold))
        for rule, threshold in rules.for_patient(row["kind"], row["patient_id"]):
            rise = rises.get((row["id"], rule.id))
            if rule.comparison == Check.RISE and rise is not None and rise >= threshold:
                breaks.append((rule, row, round(rise, 3), threshold))
    if breaks:
        _record(company, breaks, late_after)


def _rises(
    company: Company, rows: list[dict[str, Any]], rules: Ruleset
) -> dict[tuple[Any, Any], float]:
    """For each trend rule and reading: how far the value rose above the lowest value of the
    patient's readings measured in the rule's window before it (the batch's own included).

    One query: the patients' readings of the kinds over the widest window."""
    widest = max(
        (rule.window_hours or 0)
        for row in rows
        for rule, _ in rules.for_patient(row["kind"], row["patient_id"])
        if rule.comparison == Check.RISE
    )
    since = rows[0]["measured_at"] - timedelta(hours=widest)
    history = (
        Measurement.objects.for_company(company)
        .filter(
            patient_id__in={r["patient_id"] for r in rows},
            kind__in={r["kind"] for r in rows},
            measured_at__gte=since,
            measured_at__lte=rows[-1]["measured_at"],
        )
        .values_list("patient_id", "kind", "measured_at", "values")
    )
    series: dict[tuple[Any, str], list[tuple[datetime, dict]]] = defaultdict(list)
    for patient_id, kind, measured_at, values in history:
        series[(patient_id, kind)].append((measured_at, values))
    rises = {}
    for row in rows:
        earlier = series.get((row["patient_id"], row["kind"]), [])
        for rule, _ in rules.for_patient(row["kind"], row["patient_id"]):
            if rule.comparison != Check.RISE or not rule.window_hours:
                continue
            value = _number(row["values"], rule.metric)
            if value is None:
                continue
            start = row["measured_at"] - timedelta(hours=rule.window_hours)
            before = [
                v
                for at, values in earlier
                if start <= at < row["measured_at"]
                and (v := _number(values, rule.metric)) is not None
            ]
            if before:
                rises[(row["id"], rule.id)] = value - min(before)
    return rises


def _record(
    company: Company,
    breaks: list[tuple[InForce, dict[str, Any], float, float]],
    late_after: timedelta,
) -> None:
    """Attach each break to its rule and patient's alert not yet resolved, or raise one."""
    pairs = {(rule.id, row["patient_id"]) for rule, row, _, _ in breaks}
    open_alerts = _open(company, pairs)
    new: dict[tuple[Any, Any], Alert] = {}
    attached: dict[Any, list[AlertReading]] = defaultdict(list)
    for rule, row, value, threshold in breaks:
        key = (rule.id, row["patient_id"])
        late = row["received_at"] - row["measured_at"] > late_after
        alert = open_alerts.get(key) or new.get(key)
        if alert is None:
            alert = Alert(
                company=company,
                patient_id=row["patient_id"],
                rule_id=rule.id,
                reading_id=row["id"],
                measured_at=row["measured_at"],
                value=value,
                threshold=threshold,
                raised_at=row["received_at"],
                late=late,
                readings=0,
                last_measured_at=row["measured_at"],
            )
            new[key] = alert
        attached[key].append(
            AlertReading(
                reading_id=row["id"], measured_at=row["measured_at"], value=value, late=late
            )
        )
    raised: list[Alert] = []
    if new:
        for alert in new.values():
            alert.readings = len(attached[(alert.rule_id, alert.patient_id)])
            alert.last_measured_at = attached[(alert.rule_id, alert.patient_id)][-1].measured_at
        # A concurrent batch may have raised the same alert since: its row wins (the partial
        # unique index), and these readings are attached to it below.
        Alert.objects.bulk_create(list(new.values()), ignore_conflicts=True)
        stored = set(
            Alert.objects.filter(pk__in=[a.pk for a in new.values()]).values_list("pk", flat=True)
        )
        raised = [a for a in new.values() if a.pk in stored]
        lost = {key for key, a in new.items() if a.pk not in stored}
        if lost:
            open_alerts.update(_open(company, lost))
        for key in lost:
            new.pop(key)
    links = []
    for key, readings in attached.items():
        alert = new.get(key) or open_alerts[key]
        for reading in readings:
            reading.alert_id = alert.pk
            links.append(reading)
        if key not in new:  # an alert raised before: count the readings added to it
            Alert.objects.filter(pk=alert.pk).update(
                readings=F("readings") + len(readings),
                last_measured_at=Greatest(F("last_measured_at"), readings[-1].measured_at),
            )
    AlertReading.objects.bulk_create(links, ignore_conflicts=True)
    if raised:
        subjects = Alert.objects.filter(pk__in=[a.pk for a in raised]).select_related(
            "rule", "patient"
        )
        publish(company, EventType.ALERT_RAISED, [(a.pk, a) for a in subjects.order_by("pk")])


def _open(company: Company, pairs: set[tuple[Any, Any]]) -> dict[tuple[Any, Any], Alert]:
    if not pairs:
        return {}
    query = Q()
    for rule_id, patient_id in pairs:
        query |= Q(rule_id=rule_id, patient_id=patient_id)
    found = (
        Alert.objects.for_company(company)
        .filter(query)
        .exclude(status=Alert.Status.RESOLVED)
        .only("id", "rule_id", "patient_id", "status")
    )
    return {(a.rule_id, a.patient_id): a for a in found}
