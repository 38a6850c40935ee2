"""RPM billing: 30-day periods, the days with readings in each, the clinician time log, and the
monthly CPT report (99453, 99454, 99457, 99458).

The rules, in one place (the console, the CLI and the API all ask here):

- An episode of monitoring starts on each setup date an operator records for the patient; a
  patient with none has one episode, from the day of their first reading.
- An episode is cut into 30-day periods from its start (the next episode's start ends the
  current period early). A day counts when at least one reading measured by a device of the
  patient falls on it, in the company's time zone (``Company.time_zone``).
- 99454 is met by a period with 16 or more such days; 99453 once per episode, in its first
  period, when that period meets 99454 too (the device was set up and used).
- A period is reported in the calendar month of its last day (``complete`` is false while it
  is still running).
- Time: a clinician's minutes are counted per calendar month (company time zone): 99457 for the
  first 20 minutes, 99458 for each further full 20 minutes.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import (
    Aggregate,
    BigIntegerField,
    Case,
    Exists,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from pulsebridge.core.models import Company
from pulsebridge.devices.models import Device, Patient
from pulsebridge.lib.errors import DomainError
from pulsebridge.readings.models import Measurement

from .models import Setup, TimeEntry

PERIOD_DAYS = 30
BILLABLE_DAYS = 16  # CPT 99454: readings on 16 or more days of the 30
BLOCK_MINUTES = 20  # CPT 99457: the first 20 minutes of a month; 99458: each further 20
MAX_MINUTES = 24 * 60
MAX_NOTE = 2000


class BillingError(DomainError):
    """A billing rule was broken; the message says which."""


def zone(company: Company) -> ZoneInfo:
    return ZoneInfo(company.time_zone or "UTC")


def parse_month(text: str) -> date:
    """``2026-11`` as the first day of that month."""
    try:
        year, month = (int(part) for part in (text or "").strip().split("-"))
        if not 2000 <= year <= 9999 or len(text.strip()) != 7:
            raise ValueError(text)
        return date(year, month, 1)
    except ValueError:
        raise BillingError(f"month: {text!r} is not a month written YYYY-MM") from None


def _month_end(first: date) -> date:
    """The last day of the month that starts on ``first``."""
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


# --- recording ---------------------------------------------------------------------------------


def record_setup(
    company: Company, patient: Patient, setup_on: date, *, by: str, now: datetime | None = None
) -> Setup:
    """Record the day the patient's device was set up: it starts a new episode (and its 99453).
    Recording the same day again changes nothing."""
    now = now or timezone.now()
    if patient.company_id != company.pk:
        raise BillingError("patient: not found")
    if setup_on > now.astimezone(zone(company)).date():
        raise BillingError(f"setup_on: {setup_on.isoformat()} is in the future")
    if setup_on < date(2000, 1, 1):
        raise BillingError("setup_on: before 2000-01-01")
    setup, _ = Setup.objects.get_or_create(
        company=company,
        patient=patient,
        setup_on=setup_on,
        defaults={"recorded_by": by[:200], "recorded_at": now},
    )
    return setup


def log_time(
    company: Company,
    patient: Patient,
    *,
    clinician: str,
    minutes: int,
    performed_at: datetime | None = None,
    note: str = "",
    user: Any = None,
    now: datetime | None = None,
) -> TimeEntry:
    """Add minutes a clinician spent on the patient's monitoring to the time log."""
    now = now or timezone.now()
    if patient.company_id != company.pk:
        raise BillingError("patient: not found")
    clinician = (clinician or "").strip()
    if not clinician:
        raise BillingError("clinician: required (who spent the time)")
    if len(clinician) > 200:
        raise BillingError("clinician: at most 200 characters")
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise BillingError("minutes: a whole number of minutes")
    if not 1 <= minutes <= MAX_MINUTES:
        raise BillingError(f"minutes: between 1 and {MAX_MINUTES}")
    note = note or ""
    if len(note) > MAX_NOTE:
        raise BillingError(f"note: at most {MAX_NOTE} characters")
    performed_at = performed_at or now
    if timezone.is_naive(performed_at):
        raise BillingError(
            "performed_at: give the time zone (an ISO 8601 time with Z or an offset)"
        )
    if performed_at > now + timedelta(minutes=5):
        raise BillingError("performed_at: in the future")
    if performed_at.year < 2000:
        raise BillingError("performed_at: before 2000-01-01")
    return TimeEntry.objects.create(
        company=company,
        patient=patient,
        user=user,
        clinician=clinician,
        performed_at=performed_at,
        minutes=minutes,
        note=note,
        created_at=now,
    )


def time_log(company: Company, patient: Patient, *, limit: int = 50) -> list[TimeEntry]:
    """The patient's latest time entries, newest first."""
    return list(
        TimeEntry.objects.for_company(company)
        .filter(patient=patient)
        .order_by("-performed_at", "-id")[:limit]
    )


# --- periods and days --------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # the last day, inclusive
    first_of_episode: bool
    days: int = 0
    today: date | None = None

    @property
    def complete(self) -> bool:
        return self.today is None or self.end < self.today

    @property
    def cpt_99454(self) -> bool:
        return self.days >= BILLABLE_DAYS

    @property
    def cpt_99453(self) -> bool:
        return self.first_of_episode and self.cpt_99454


def _starts(company: Company, patient_ids: list[Any] | None) -> dict[Any, list[date]]:
    """Each patient's episode starts, oldest first: their setup dates, else the day of their
    first reading (patients with neither are left out)."""
    tz = zone(company)
    starts: dict[Any, list[date]] = defaultdict(list)
    setups = Setup.objects.for_company(company)
    if patient_ids is not None:
        setups = setups.filter(patient_id__in=patient_ids)
    for patient_id, setup_on in setups.order_by("setup_on").values_list("patient_id", "setup_on"):
        starts[patient_id].append(setup_on)
    # The first reading of each patient without a setup. The earliest first reading of the
    # devices serving them is nearly always it, and proving so costs two probes of the
    # (patient, time) index confined to one partition or two (nothing of theirs before it, a
    # reading of theirs at it); only when that fails is their first reading looked for across
    # every partition.
    first = (
        Measurement.objects.filter(patient=OuterRef("pk"))
        .order_by("measured_at")
        .values("measured_at")[:1]
    )
    candidate = (
        Device.objects.filter(patient=OuterRef("pk"), first_measurement_at__isnull=False)
        .order_by("first_measurement_at")
        .values("first_measurement_at")[:1]
    )
    earlier = Measurement.objects.filter(patient=OuterRef("pk"), measured_at__lt=OuterRef("cand"))
    at = Measurement.objects.filter(patient=OuterRef("pk"), measured_at=OuterRef("cand"))
    patients = Patient.objects.for_company(company).exclude(pk__in=list(starts))
    if patient_ids is not None:
        patients = patients.filter(pk__in=[p for p in patient_ids if p not in starts])
    patients = patients.annotate(cand=Subquery(candidate)).annotate(
        first=Case(
            When(Q(cand__isnull=False) & Exists(at) & ~Exists(earlier), then=F("cand")),
            default=Subquery(first),
        )
    )
    # (patients without readings are dropped here: a filter in SQL would run it all twice)
    for patient_id, when in patients.values_list("pk", "first"):
        if when is not None:
            starts[patient_id].append(when.astimezone(tz).date())
    return starts


def _periods_between(starts: list[date], first: date, last: date) -> list[tuple[date, date, bool]]:
    """The periods (start, last day, first of its episode) whose last day is in [first, last]."""
    found = []
    for n, start in enumerate(starts):
        stop = starts[n + 1] if n + 1 < len(starts) else None  # the next episode's first day
        if stop is not None and stop <= first - timedelta(days=PERIOD_DAYS):
            continue
        k = max(0, (first - start).days // PERIOD_DAYS - 1)
        while True:
            p_start = start + timedelta(days=k * PERIOD_DAYS)
            if p_start > last or (stop is not None and p_start >= stop):
                break
            p_end = p_start + timedelta(days=PERIOD_DAYS - 1)
            if stop is not None and p_end >= stop:
                p_end = stop - timedelta(days=1)
            if first <= p_end <= last:
                found.append((p_start, p_end, k == 0))
            k += 1
    return found


def _days(
    company: Company, patient_ids: Iterable[Any] | None, first: date, last: date
) -> dict[Any, int]:
    """The days in [first, last] (company time zone) with a reading, per patient, as a bit mask:
    bit n set when day ``first + n`` has one. At most 62 days.

    On PostgreSQL the database folds each patient's readings into the mask (one row per
    patient, not one per patient and day); elsewhere the distinct (patient, day) pairs are
    folded here."""
    if (last - first).days > 62:
        raise ValueError("a window of at most 62 days")
    tz = zone(company)
    start = datetime.combine(first, time.min, tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz)
    readings = Measurement.objects.for_company(company).filter(
        patient__isnull=False, measured_at__gte=start, measured_at__lt=end
    )
    if patient_ids is not None:
        patient_ids = list(patient_ids)
        if not patient_ids:
            return {}
        readings = readings.filter(patient_id__in=patient_ids)
    to_pk = Measurement._meta.get_field("patient").target_field.to_python
    if connection.vendor == "postgresql":
        masks = (
            readings.values("patient_id")
            .annotate(mask=_DayMask(str(tz), first))
            .order_by()
            .values_list("patient_id", "mask")
        )
        return {to_pk(pid): mask for pid, mask in masks}
    query = (
        readings.annotate(day=TruncDate("measured_at", tzinfo=tz))
        .values_list("patient_id", "day")
        .distinct()
        .order_by()
    )
    sql, params = query.query.sql_with_params()
    to_day = query.query.annotations["day"].output_field.to_python
    found: dict[Any, int] = defaultdict(int)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for patient_id, day in cursor.fetchall():
            found[to_pk(patient_id)] |= 1 << (to_day(day) - first).days
    return found


class _DayMask(Aggregate):
    """PostgreSQL: ``bit_or(1 << (local day - first))`` over a patient's readings."""

    output_field = BigIntegerField()
    contains_aggregate = True

    def __init__(self, zone_name: str, first: date):
        super().__init__(Value(zone_name), Value(first))

    def as_sql(self, compiler, connection, **extra_context):
        zone_sql, zone_params = compiler.compile(self.source_expressions[0])
        first_sql, first_params = compiler.compile(self.source_expressions[1])
        column = connection.ops.quote_name("measured_at")
        table = connection.ops.quote_name(Measurement._meta.db_table)
        sql = (
            f"bit_or(1::bigint << (({table}.{column} AT TIME ZONE {zone_sql})::date"
            f" - ({first_sql})::date))"
        )
        return sql, [*zone_params, *first_params]


def _count(mask: int, base: date, start: date, end: date) -> int:
    """The days of [start, end] set in ``mask`` (bit 0 = ``base``)."""
    lo = max(0, (start - base).days)
    width = (end - base).days + 1 - lo
    return ((mask >> lo) & ((1 << width) - 1)).bit_count() if width > 0 else 0


def periods(
    company: Company, first: date, last: date, patient_ids: list[Any] | None = None, *, today=None
) -> dict[Any, list[Period]]:
    """Each patient's periods whose last day is in [first, last], with their days counted."""
    starts = _starts(company, patient_ids)
    spans = {pid: _periods_between(s, first, last) for pid, s in starts.items()}
    if today is not None:  # a period that has not started yet is nobody's business
        spans = {pid: [p for p in ps if p[0] <= today] for pid, ps in spans.items()}
    spans = {pid: s for pid, s in spans.items() if s}
    if not spans:
        return {}
    earliest = min(s[0] for ps in spans.values() for s in ps)
    until = min(last, today) if today is not None else last
    days = _days(company, None if patient_ids is None else list(spans), earliest, until)
    out: dict[Any, list[Period]] = {}
    for pid, ps in spans.items():
        mask = days.get(pid, 0)
        out[pid] = [
            Period(
                start=s,
                end=e,
                first_of_episode=f,
                days=_count(mask, earliest, s, e),
                today=today,
            )
            for s, e, f in ps
        ]
    return out


def current_days(
    company: Company, patient_ids: Iterable[Any] | None = None, *, now: datetime | None = None
) -> dict[Any, int]:
    """Days with readings so far in each patient's current period (the one that holds today);
    a patient without any is left out. What the console's patient list shows."""
    now = now or timezone.now()
    today = now.astimezone(zone(company)).date()
    ids = None if patient_ids is None else list(patient_ids)
    if ids == []:
        return {}
    current = periods(company, today, today + timedelta(days=PERIOD_DAYS - 1), ids, today=today)
    out = {}
    for pid, ps in current.items():
        for p in ps:
            if p.start <= today and p.days:
                out[pid] = p.days
    return out


# --- the monthly report ------------------------------------------------------------------------


@dataclass
class Line:
    patient_id: Any
    external_id: str
    name: str
    periods: list[Period] = field(default_factory=list)
    minutes: int = 0

    @property
    def cpt_99457(self) -> int:
        return 1 if self.minutes >= BLOCK_MINUTES else 0

    @property
    def cpt_99458(self) -> int:
        return max(0, (self.minutes - BLOCK_MINUTES) // BLOCK_MINUTES)

    @property
    def cpt_99454(self) -> int:
        return sum(1 for p in self.periods if p.cpt_99454)

    @property
    def cpt_99453(self) -> int:
        return sum(1 for p in self.periods if p.cpt_99453)


@dataclass
class Report:
    company: str
    month: str
    time_zone: str
    lines: list[Line]

    def totals(self) -> dict[str, int]:
        return {
            "patients": len(self.lines),
            "cpt_99453": sum(line.cpt_99453 for line in self.lines),
            "cpt_99454": sum(line.cpt_99454 for line in self.lines),
            "cpt_99457": sum(line.cpt_99457 for line in self.lines),
            "cpt_99458": sum(line.cpt_99458 for line in self.lines),
            "minutes": sum(line.minutes for line in self.lines),
        }


def report(company: Company, month: str, *, now: datetime | None = None) -> Report:
    """The month's report: every patient with a period ending in the month or clinician time
    logged in it, sorted by external id."""
    first = parse_month(month)
    last = _month_end(first)
    tz = zone(company)
    now = now or timezone.now()
    today = now.astimezone(tz).date()
    by_patient = periods(company, first, last, today=today)
    start = datetime.combine(first, time.min, tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz)
    minutes = dict(
        TimeEntry.objects.for_company(company)
        .filter(performed_at__gte=start, performed_at__lt=end)
        .values("patient_id")
        .annotate(total=Sum("minutes"))
        .order_by()
        .values_list("patient_id", "total")
    )
    ids = set(by_patient) | set(minutes)
    names = dict.fromkeys(ids)
    for pk, external_id, name in Patient.objects.filter(pk__in=list(ids)).values_list(
        "pk", "external_id", "name"
    ):
        names[pk] = (external_id, name)
    lines = [
        Line(
            patient_id=pk,
            external_id=names[pk][0],
            name=names[pk][1],
            periods=by_patient.get(pk, []),
            minutes=minutes.get(pk, 0) or 0,
        )
        for pk in ids
        if names[pk] is not None
    ]
    lines.sort(key=lambda line: (line.external_id, str(line.patient_id)))
    return Report(company=company.code, month=f"{first:%Y-%m}", time_zone=str(tz), lines=lines)


def as_json(rep: Report) -> dict[str, Any]:
    """The report as the API and ``billing report --json`` answer it."""
    return {
        "company": rep.company,
        "month": rep.month,
        "time_zone": rep.time_zone,
        "rules": {
            "period_days": PERIOD_DAYS,
            "billable_days": BILLABLE_DAYS,
            "block_minutes": BLOCK_MINUTES,
        },
        "totals": rep.totals(),
        "patients": [
            {
                "patient_id": line.external_id,
                "name": line.name,
                "periods": [
                    {
                        "start": p.start.isoformat(),
                        "end": p.end.isoformat(),
                        "days": p.days,
                        "complete": p.complete,
                        "cpt_99454": p.cpt_99454,
                        "cpt_99453": p.cpt_99453,
                    }
                    for p in line.periods
                ],
                "minutes": line.minutes,
                "cpt_99453": line.cpt_99453,
                "cpt_99454": line.cpt_99454,
                "cpt_99457": line.cpt_99457,
                "cpt_99458": line.cpt_99458,
            }
            for line in rep.lines
        ],
    }


CSV_COLUMNS = [
    "patient_id",
    "name",
    "period_start",
    "period_end",
    "days",
    "complete",
    "cpt_99453",
    "cpt_99454",
    "minutes",
    "cpt_99457",
    "cpt_99458",
]


def as_csv(rep: Report) -> str:
    """One row per patient and period ending in the month; the month's minutes and time codes
    on the patient's first row only (a patient with time and no period: one row, no period)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for line in rep.lines:
        for n, p in enumerate(line.periods or [None]):
            time_codes = [line.minutes, line.cpt_99457, line.cpt_99458] if n == 0 else ["", "", ""]
            period = (
                [
                    p.start.isoformat(),
                    p.end.isoformat(),
                    p.days,
                    str(p.complete).lower(),
                    int(p.cpt_99453),
                    int(p.cpt_99454),
                ]
                if p is not None
                else ["", "", "", "", 0, 0]
            )
            writer.writerow([_cell(line.external_id), _cell(line.name), *period, *time_codes])
    return out.getvalue()


def _cell(text: str) -> str:
    """A text cell that a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
