"""The search parameters the FHIR API supports, parsed into domain queries.

Only what ``metadata`` declares is understood. An unknown parameter follows the client's
``Prefer: handling=strict|lenient`` (lenient, the FHIR default, when it says nothing): strict
refuses it with 400, lenient leaves it out of the search and says so in the Bundle (an
OperationOutcome entry, and the ``self`` link without it). A supported parameter with a value
or a modifier or prefix it cannot honour is always refused: ignoring it would answer another
question than the one asked."""

from __future__ import annotations

import calendar
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

from django.db.models import Count, Q, QuerySet

from . import codes
from .errors import invalid, not_supported
from .resources import FEV1, HEART_RATE, MAIN

DEFAULT_COUNT = 100
MAX_COUNT = 1000

# Parameters every search understands (``_cursor`` is ours: the next link's position).
COMMON = ("_count", "_sort", "_total", "_cursor", "_format")
PARAMETERS = {
    "Observation": ("patient", "subject", "code", "category", "date", "_lastUpdated", "_id"),
    "Patient": ("identifier", "name", "_lastUpdated", "_id"),
    "Device": ("patient", "_lastUpdated", "_id"),
}
SORTS = {"Observation": ("date",), "Patient": (), "Device": ()}


# --- what the client asked -----------------------------------------------------------------


def strict(request) -> bool:
    """``Prefer: handling=strict`` (among other preferences, comma- or space-separated)."""
    prefer = request.headers.get("Prefer", "")
    tokens = {t.strip().lower().replace(" ", "") for t in re.split(r"[,;]", prefer)}
    return "handling=strict" in tokens


@dataclass
class Asked:
    """The parameters of one search, split into those understood and those left out."""

    params: list[tuple[str, str]]  # understood, in order (repeats kept)
    ignored: list[str] = field(default_factory=list)

    def values(self, name: str) -> list[str]:
        return [v for k, v in self.params if k == name]

    def one(self, name: str) -> str | None:
        found = self.values(name)
        if len(found) > 1:
            raise invalid(f"{name} may be given once.", name)
        return found[0] if found else None


def asked(request, resource_type: str) -> Asked:
    known = set(PARAMETERS[resource_type]) | set(COMMON)
    params, ignored = [], []
    for name, values in request.query_params.lists():
        for value in values:
            if "\x00" in name or "\x00" in value:
                raise invalid("Null characters are not allowed.", name.replace("\x00", ""))
            if name in known:
                params.append((name, value))
            elif strict(request):
                raise not_supported(
                    f"The search parameter {name!r} is not supported on {resource_type} "
                    f"(supported: {', '.join(sorted(known - {'_cursor'}))}; see /metadata).",
                    name,
                )
            else:
                ignored.append(name)
    return Asked(params, sorted(set(ignored)))


def count(a: Asked) -> int:
    raw = a.one("_count")
    if raw is None:
        return DEFAULT_COUNT
    if not raw.isdigit():
        raise invalid(
            f"_count must be a whole number from 0 to {MAX_COUNT}, not {raw!r}.", "_count"
        )
    return min(int(raw), MAX_COUNT)


def descending(a: Asked, resource_type: str) -> bool:
    raw = a.one("_sort")
    if raw is None:
        return False
    allowed = SORTS[resource_type]
    name = raw[1:] if raw.startswith("-") else raw
    if name not in allowed:
        choices = ", ".join(f"{s}, -{s}" for s in allowed) or "none"
        raise not_supported(
            f"{resource_type} cannot be sorted by {raw!r} (supported: {choices}).", "_sort"
        )
    return raw.startswith("-")


def total_wanted(a: Asked) -> str:
    raw = a.one("_total") or "default"
    if raw not in ("default", "none", "estimate", "accurate"):
        raise invalid("_total must be none, estimate or accurate.", "_total")
    return raw


def formats(a: Asked) -> None:
    raw = a.one("_format")
    if raw is not None and raw not in ("json", "application/json", "application/fhir+json"):
        raise not_supported(f"Only JSON is served, not {raw!r}.", "_format")


# --- references, tokens, ids -----------------------------------------------------------------


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def references(a: Asked, name: str, resource_type: str) -> list[uuid.UUID] | None:
    """The ids a reference parameter names (``Patient/<id>`` or ``<id>``; commas: any of them);
    None when the parameter is absent. Several occurrences must all hold."""
    given = a.values(name)
    if not given:
        return None
    sets = []
    for value in given:
        ids = set()
        for part in value.split(","):
            part = part.strip()
            if "/" in part:
                prefix, _, part = part.rpartition("/")
                if prefix.rsplit("/", 1)[-1] != resource_type:
                    raise invalid(f"{name} must reference a {resource_type}, not {prefix!r}.", name)
            found = _uuid(part)
            if found is not None:
                ids.add(found)
        sets.append(ids)
    return sorted(set.intersection(*sets))


def ids(a: Asked) -> list[uuid.UUID] | None:
    """The ids ``_id`` names (commas: any of them); None when absent."""
    given = a.values("_id")
    if not given:
        return None
    sets = [{found for part in value.split(",") if (found := _uuid(part.strip()))}
            for value in given]  # fmt: skip
    return sorted(set.intersection(*sets))


def _tokens(value: str) -> list[tuple[str | None, str]]:
    """``system|code`` (``|code``: no system, ``code``: any system), comma-separated."""
    out = []
    for part in value.split(","):
        system, bar, code = part.partition("|")
        out.append((system, code) if bar else (None, part))
    return out


# --- dates -------------------------------------------------------------------------------------

_DATE = re.compile(
    r"^(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})(?:T(?P<H>\d{2}):(?P<M>\d{2})"
    r"(?::(?P<S>\d{2})(?P<f>\.\d+)?)?(?P<z>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)
PREFIXES = ("eq", "ge", "gt", "le", "lt", "sa", "eb")


def _period(text: str, name: str) -> tuple[datetime, datetime]:
    """The instants a FHIR date or dateTime covers, as ``[start, end)``; no zone means UTC."""
    match = _DATE.match(text)
    if not match:
        raise invalid(
            f"{name}: {text!r} is not a FHIR date or dateTime (e.g. 2026-11-02 or "
            "2026-11-02T08:30:00Z).",
            name,
        )
    g = match.groupdict()
    try:
        zone = UTC
        if g["z"] and g["z"] != "Z":
            sign = 1 if g["z"][0] == "+" else -1
            hours, minutes = int(g["z"][1:3]), int(g["z"][4:6])
            zone = timezone(sign * timedelta(hours=hours, minutes=minutes))
        year = int(g["y"])
        if g["m"] is None:
            start = datetime(year, 1, 1, tzinfo=zone)
            return start, start.replace(year=year + 1)
        month = int(g["m"])
        if g["d"] is None:
            start = datetime(year, month, 1, tzinfo=zone)
            days = calendar.monthrange(year, month)[1]
            return start, start + timedelta(days=days)
        day = int(g["d"])
        if g["H"] is None:
            start = datetime(year, month, day, tzinfo=zone)
            return start, start + timedelta(days=1)
        start = datetime(year, month, day, int(g["H"]), int(g["M"]), int(g["S"] or 0), tzinfo=zone)
        if g["S"] is None:
            return start, start + timedelta(minutes=1)
        if g["f"]:
            digits = g["f"][1:]
            start = start.replace(microsecond=int((digits + "000000")[:6]))
            return start, start + timedelta(microseconds=10 ** max(0, 6 - len(digits)))
        return start, start + timedelta(seconds=1)
    except ValueError:
        raise invalid(f"{name}: {text!r} is not a valid date.", name) from None


def date_filter(a: Asked, name: str, field_name: str) -> tuple[Q, datetime | None, datetime | None]:
    """The condition of every ``name`` parameter on ``field_name`` (all must hold), and the
    bounds it sets on that time."""
    condition = Q()
    low: datetime | None = None
    high: datetime | None = None
    for value in a.values(name):
        prefix = value[:2] if value[:2].isalpha() else "eq"
        text = value[2:] if value[:2].isalpha() else value
        if prefix not in PREFIXES:
            raise not_supported(
                f"{name}: the prefix {prefix!r} is not supported (supported: {', '.join(PREFIXES)}).",
                name,
            )
        start, end = _period(text, name)
        if prefix in ("ge",):
            condition &= Q(**{f"{field_name}__gte": start})
            low = max(low, start) if low else start
        elif prefix in ("gt", "sa"):
            condition &= Q(**{f"{field_name}__gte": end})
            low = max(low, end) if low else end
        elif prefix in ("le",):
            condition &= Q(**{f"{field_name}__lt": end})
            high = min(high, end) if high else end
        elif prefix in ("lt", "eb"):
            condition &= Q(**{f"{field_name}__lt": start})
            high = min(high, start) if high else start
        else:  # eq: within the period the value names
            condition &= Q(**{f"{field_name}__gte": start, f"{field_name}__lt": end})
            low = max(low, start) if low else start
            high = min(high, end) if high else end
    return condition, low, high


# --- Observation codes and categories -----------------------------------------------------------

# (reading kind, variant, glucose unit group) of every Observation the API writes
MASS, MOLES = "mass", "moles"
TARGETS = frozenset(
    [("blood_pressure", MAIN, None), ("blood_pressure", HEART_RATE, None),
     ("weight", MAIN, None), ("pulse_oximetry", MAIN, None),
     ("pulse_oximetry", HEART_RATE, None), ("temperature", MAIN, None),
     ("glucose", MAIN, MASS), ("glucose", MAIN, MOLES), ("peak_flow", MAIN, None),
     ("peak_flow", FEV1, None)]
)  # fmt: skip
BY_CODE = {
    (codes.LOINC, "85354-9"): {("blood_pressure", MAIN, None)},
    (codes.LOINC, "8867-4"): {("blood_pressure", HEART_RATE, None),
                              ("pulse_oximetry", HEART_RATE, None)},
    (codes.LOINC, "29463-7"): {("weight", MAIN, None)},
    (codes.LOINC, "59408-5"): {("pulse_oximetry", MAIN, None)},
    (codes.LOINC, "2708-6"): {("pulse_oximetry", MAIN, None)},
    (codes.LOINC, "8310-5"): {("temperature", MAIN, None)},
    (codes.LOINC, "41653-7"): {("glucose", MAIN, MASS)},
    (codes.LOINC, "2339-0"): {("glucose", MAIN, MASS)},
    (codes.LOINC, "14743-9"): {("glucose", MAIN, MOLES)},
    (codes.LOINC, "15074-8"): {("glucose", MAIN, MOLES)},
    (codes.LOINC, "19935-6"): {("peak_flow", MAIN, None)},
    (codes.LOINC, "20150-9"): {("peak_flow", FEV1, None)},
}  # fmt: skip
BY_CATEGORY = {
    (codes.OBSERVATION_CATEGORY, "vital-signs"): set(TARGETS),
    (codes.OBSERVATION_CATEGORY, "laboratory"): {("glucose", MAIN, MASS), ("glucose", MAIN, MOLES)},
}


def _matching(a: Asked, name: str, table: dict) -> set | None:
    """The targets of every ``name`` parameter (commas: any; repeats: all), None if absent."""
    given = a.values(name)
    if not given:
        return None
    result = set(TARGETS)
    for value in given:
        found: set = set()
        for system, code in _tokens(value):
            for (known_system, known_code), targets in table.items():
                if code == known_code and system in (None, known_system):
                    found |= targets
        result &= found
    return result


def observation_targets(a: Asked) -> frozenset:
    targets = set(TARGETS)
    for name, table in (("code", BY_CODE), ("category", BY_CATEGORY)):
        found = _matching(a, name, table)
        if found is not None:
            targets &= found
    return frozenset(targets)


def target_filter(targets: frozenset) -> Q | None:
    """The readings that carry at least one of ``targets``; None for all of them."""
    if targets == TARGETS:
        return None
    condition = Q(pk__in=[])
    for target in targets:
        condition |= target_condition(target)
    return condition


def target_condition(target: tuple) -> Q:
    """The readings that are written with the Observation ``target`` names."""
    kind, variant, unit_group = target
    part = Q(kind=kind)
    if variant == HEART_RATE:
        part &= Q(values__has_key="pulse")
    elif variant == FEV1:
        part &= Q(values__has_key="fev1")
    if unit_group == MOLES:
        part &= Q(unit="mmol/L")
    elif unit_group == MASS:
        part &= ~Q(unit="mmol/L")
    return part


def count_observations(readings: QuerySet, targets: frozenset) -> int:
    """The Observations ``readings`` (those matching ``targets``) are written as, in one query
    of two counts: a reading is at most one Observation of its own (one per kind, and for
    glucose per unit) and at most one more (a pulse or an FEV1), so each count is one
    condition, not one per kind of Observation (ten conditions on every row cost several times
    as much on a patient's thousands of readings)."""
    main = [t for t in targets if t[1] == MAIN]
    extra = [t for t in targets if t[1] != MAIN]

    def any_of(some: list) -> Q:
        condition = Q(pk__in=[])
        for target in sorted(some, key=str):
            condition |= target_condition(target)
        return condition

    counts = {}
    if len(main) == sum(1 for t in TARGETS if t[1] == MAIN):
        counts["main"] = Count("pk")
    elif main:
        counts["main"] = Count("pk", filter=any_of(main))
    if extra:
        counts["extra"] = Count("pk", filter=any_of(extra))
    if not counts:
        return 0
    return sum(v or 0 for v in readings.aggregate(**counts).values())


def variants_of(targets: frozenset) -> frozenset | None:
    """The (kind, variant) pairs to write from a matching reading; None for all."""
    if targets == TARGETS:
        return None
    return frozenset((kind, variant) for kind, variant, _ in targets)


# --- Patient ----------------------------------------------------------------------------------


def patient_filter(a: Asked, company_code: str) -> Q:
    from .resources import HAYYLO_CLIENT_ID, PATIENT_ID, identifier_system

    condition = Q()
    for value in a.values("identifier"):
        any_of = Q(pk__in=[])
        for system, code in _tokens(value):
            if system in (None, identifier_system(company_code, PATIENT_ID)):
                any_of |= Q(external_id=code)
            if system in (None, identifier_system(company_code, HAYYLO_CLIENT_ID)):
                any_of |= Q(care_client__external_id=code)
        condition &= any_of
    for value in a.values("name"):
        any_of = Q(pk__in=[])
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            # FHIR string search: case-insensitive, matching the start of the name or of a word
            any_of |= (
                Q(name__istartswith=part)
                | Q(name__icontains=f" {part}")
                | Q(care_client__first_name__istartswith=part)
                | Q(care_client__last_name__istartswith=part)
            )
        condition &= any_of
    return condition
