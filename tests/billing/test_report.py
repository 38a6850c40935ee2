"""The RPM billing report: 30-day periods, days with readings in the company's time zone,
99453/99454, clinician minutes and 99457/99458, and the CLI that prints it."""

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest

from pulsebridge.billing import services
from pulsebridge.billing.services import BillingError
from pulsebridge.ingest.readings import record_items as record_measurements

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def bp(imei, when: datetime):
    return {"kind": "blood_pressure", "measured_at": when.isoformat().replace("+00:00", "Z"),
            "imei": imei, "values": {"systolic": 120, "diastolic": 80}}  # fmt: skip


@pytest.fixture
def cuff(alice, add_device):
    from pulsebridge.devices.services import assign_device, create_patient

    create_patient(alice, "P-1", name="Pat One")
    return assign_device(add_device(alice), patient_id="P-1")


def read_on(company, cuff, days: list[date], hour=9):
    items = [bp(cuff.imei, datetime(d.year, d.month, d.day, hour, tzinfo=UTC)) for d in days]
    record_measurements(company, items, now=NOW)


def test_a_period_of_30_days_starts_at_the_first_reading_and_bills_99454_at_16_days(alice, cuff):
    first = date(2026, 10, 10)
    read_on(alice, cuff, [first + timedelta(days=n) for n in range(0, 32, 2)])  # 16 days
    rep = services.report(alice, "2026-11", now=NOW)
    [line] = rep.lines
    [period] = line.periods
    assert (period.start, period.end) == (date(2026, 10, 10), date(2026, 11, 8))
    assert period.days == 15  # day 30 and 32 fall in the next period
    assert not period.cpt_99454
    read_on(alice, cuff, [date(2026, 10, 11)])
    [period] = services.report(alice, "2026-11", now=NOW).lines[0].periods
    assert period.days == 16
    assert period.cpt_99454
    assert period.cpt_99453  # the episode's first period
    assert period.complete


def test_two_readings_on_one_day_count_one_day(alice, cuff):
    read_on(alice, cuff, [date(2026, 11, 1)], hour=8)
    read_on(alice, cuff, [date(2026, 11, 1)], hour=20)
    [period] = services.report(alice, "2026-11", now=NOW - timedelta(days=5)).lines[0].periods
    assert period.days == 1
    assert period.end == date(2026, 11, 30)
    assert not period.complete  # still running on 11-26
    assert services.report(alice, "2026-11", now=NOW).lines[0].periods[0].complete


def test_99453_is_billed_once_per_episode_and_a_setup_date_starts_a_new_one(alice, cuff):
    read_on(alice, cuff, [date(2026, 9, 1) + timedelta(days=n) for n in range(90)])
    rep = services.report(alice, "2026-10", now=NOW)
    [period] = rep.lines[0].periods
    assert (period.start, period.end) == (date(2026, 10, 1), date(2026, 10, 30))
    assert period.cpt_99454
    assert not period.cpt_99453  # the second period of the episode
    services.record_setup(alice, cuff.patient, date(2026, 10, 5), by="ops", now=NOW)
    periods = services.report(alice, "2026-11", now=NOW).lines[0].periods
    # the next period, 11-04..12-03, ends in December
    assert [(p.start, p.end, p.cpt_99453) for p in periods] == [
        (date(2026, 10, 5), date(2026, 11, 3), True)
    ]
    assert services.report(alice, "2026-12", now=NOW).lines[0].periods[0].start == date(2026, 11, 4)


def test_days_are_counted_in_the_companys_time_zone(alice, cuff):
    from pulsebridge.core.services import update_company

    # 23:30 UTC on 1 and 2 November: in Berlin, 00:30 on the 2nd and the 3rd
    items = [bp(cuff.imei, datetime(2026, 11, d, 23, 30, tzinfo=UTC)) for d in (1, 2)]
    record_measurements(alice, items, now=NOW)
    [period] = services.report(alice, "2026-11", now=NOW).lines[0].periods
    assert period.start == date(2026, 11, 1)
    update_company(alice, time_zone="Europe/Berlin")
    rep = services.report(alice, "2026-12", now=NOW)
    [period] = rep.lines[0].periods  # the next period starts tomorrow: not on the report yet
    assert rep.time_zone == "Europe/Berlin"
    assert (period.start, period.days) == (date(2026, 11, 2), 2)


def test_an_unknown_time_zone_is_refused(alice):
    from pulsebridge.core.services import CoreError, update_company

    for bad in ("Mars/Olympus", "", "../etc/passwd"):
        with pytest.raises(CoreError, match="time zone"):
            update_company(alice, time_zone=bad)
    alice.refresh_from_db()
    assert alice.time_zone == "UTC"


@pytest.mark.parametrize(
    ("minutes", "codes"), [([19], (0, 0)), ([12, 8], (1, 0)), ([45], (1, 1)), ([30, 30], (1, 2))]
)
def test_clinician_minutes_count_20_minute_blocks_per_calendar_month(alice, cuff, minutes, codes):
    for n, m in enumerate(minutes):
        services.log_time(
            alice,
            cuff.patient,
            clinician="Nurse Joy",
            minutes=m,
            performed_at=datetime(2026, 11, 3 + n, 10, tzinfo=UTC),
            now=NOW,
        )
    services.log_time(  # another month's time does not count
        alice,
        cuff.patient,
        clinician="Nurse Joy",
        minutes=30,
        performed_at=datetime(2026, 10, 31, 10, tzinfo=UTC),
        now=NOW,
    )
    [line] = services.report(alice, "2026-11", now=NOW).lines
    assert (line.cpt_99457, line.cpt_99458) == codes
    assert line.minutes == sum(minutes)
    assert line.periods == []  # time and no readings: still on the report


def test_the_time_log_refuses_what_makes_no_sense(alice, cuff):
    for bad, message in [
        ({"minutes": 0}, "minutes"),
        ({"minutes": 2000}, "minutes"),
        ({"minutes": "ten"}, "minutes"),
        ({"clinician": " "}, "clinician"),
        ({"performed_at": NOW + timedelta(days=1)}, "future"),
        ({"performed_at": datetime(2026, 11, 1, 9)}, "time zone"),
    ]:
        args = {"clinician": "Nurse Joy", "minutes": 10, **bad}
        with pytest.raises(BillingError, match=message):
            services.log_time(alice, cuff.patient, now=NOW, **args)


def test_a_month_is_written_yyyy_mm(alice):
    for bad in ("2026-13", "november", "2026-1", ""):
        with pytest.raises(BillingError, match="YYYY-MM"):
            services.report(alice, bad)


def test_another_companys_patients_are_not_on_the_report(alice, charlie, cuff):
    read_on(alice, cuff, [date(2026, 11, 1)])
    assert services.report(charlie, "2026-11", now=NOW).lines == []


def test_the_cli_prints_the_report_as_json_and_csv(alice, cuff, run, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: NOW)
    read_on(alice, cuff, [date(2026, 10, 10) + timedelta(days=n) for n in range(20)])
    run("billing", "log-time", "--company", "alice-care", "--patient", "P-1",
        "--clinician", "Nurse Joy", "--minutes", "25", "--at", "2026-11-05T10:00:00Z")  # fmt: skip
    body = json.loads(run("billing", "report", "--company", "alice-care", "--month", "2026-11",
                          "--json"))  # fmt: skip
    [patient] = body["patients"]
    assert patient["patient_id"] == "P-1"
    assert patient["periods"] == [
        {"start": "2026-10-10", "end": "2026-11-08", "days": 20, "complete": True,
         "cpt_99454": True, "cpt_99453": True}
    ]  # fmt: skip
    assert (patient["minutes"], patient["cpt_99457"], patient["cpt_99458"]) == (25, 1, 0)
    assert body["totals"]["cpt_99454"] == 1
    rows = list(csv.DictReader(io.StringIO(
        run("billing", "report", "--company", "alice-care", "--month", "2026-11", "--csv"))))  # fmt: skip
    assert rows == [
        {"patient_id": "P-1", "name": "Pat One", "period_start": "2026-10-10",
         "period_end": "2026-11-08", "days": "20", "complete": "true", "cpt_99453": "1",
         "cpt_99454": "1", "minutes": "25", "cpt_99457": "1", "cpt_99458": "0"}
    ]  # fmt: skip
    from pulsebridge.core.models import AuditEntry

    assert AuditEntry.objects.filter(action="billing.report").count() == 2


def test_the_cli_records_a_setup_date(alice, cuff, run):
    out = run(
        "billing", "setup", "--company", "alice-care", "--patient", "P-1", "--on", "2026-11-02"
    )
    assert "2026-11-02" in out
    assert list(cuff.patient.billing_setups.values_list("setup_on", flat=True)) == [
        date(2026, 11, 2)
    ]


def test_the_current_period_days_are_what_the_console_shows(alice, cuff):
    read_on(alice, cuff, [date(2026, 11, 1), date(2026, 11, 2), date(2026, 12, 1)])
    # the first period is 11-01..11-30; the second starts 12-01 with one day so far
    assert services.current_days(alice, now=NOW) == {cuff.patient.pk: 1}
    assert services.current_days(alice, [cuff.patient.pk], now=NOW - timedelta(days=1)) == {
        cuff.patient.pk: 2
    }


def test_current_days_are_counted_per_company_and_for_the_patients_asked(
    alice, charlie, cuff, add_device
):
    from pulsebridge.devices.services import assign_device

    theirs = assign_device(add_device(charlie), patient_id="P-1")
    read_on(alice, cuff, [date(2026, 10, 1), date(2026, 11, 28), date(2026, 11, 30)])
    read_on(charlie, theirs, [date(2026, 11, 30)])
    # Alice's P-1: periods from 10-01; the current one (10-31..11-29 ended) is 11-30..12-29
    assert services.current_days(alice, now=NOW) == {cuff.patient.pk: 1}
    assert services.current_days(alice, [cuff.patient.pk], now=NOW) == {cuff.patient.pk: 1}
    assert services.current_days(alice, [], now=NOW) == {}
    assert services.current_days(charlie, now=NOW) == {theirs.patient.pk: 1}


def test_a_device_passed_on_from_another_patient_does_not_move_the_period_start(alice, add_device):
    from pulsebridge.devices.services import assign_device

    cuff = assign_device(add_device(alice), patient_id="P-0")
    read_on(alice, cuff, [date(2026, 9, 1)])  # the device's first reading: P-0's
    scale = assign_device(add_device(alice, "PY-300-LTE"), patient_id="P-1")
    record_measurements(
        alice,
        [{"imei": scale.imei, "kind": "weight", "measured_at": "2026-10-07T09:00:00Z",
          "values": {"weight": 80, "unit": "kg"}}],
        now=NOW,
    )  # fmt: skip
    assign_device(cuff, patient_id="P-1")  # P-1 now holds the cuff, first used in September
    read_on(alice, cuff, [date(2026, 10, 20)])
    starts = services._starts(alice, None)
    by_name = {p.external_id: p.pk for p in cuff.company.patients.all()}
    assert starts[by_name["P-1"]] == [date(2026, 10, 7)]
    assert starts[by_name["P-0"]] == [date(2026, 9, 1)]
