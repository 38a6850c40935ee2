"""``pulsebridge billing report|setup|log-time``: RPM billing for operators."""

from __future__ import annotations

import getpass
import json as jsonlib
from datetime import date, datetime

from django.core.management.base import CommandError

from pulsebridge.billing import services
from pulsebridge.core.services import audit
from pulsebridge.core.services import company_by_code as get_company
from pulsebridge.devices.services import find_patient
from pulsebridge.lib.commands import SubcommandCommand, iso, positive_int


def _patient(company, external_id):
    patient = find_patient(company, external_id)
    if patient is None:
        raise CommandError(f"no patient {external_id!r} in {company.code}")
    return patient


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


class Command(SubcommandCommand):
    help = "RPM billing: the monthly CPT report, setup dates, the clinician time log."

    def add_subcommands(self, subparsers) -> None:
        rep = subparsers.add_parser("report", help="a month's CPT 99453/99454/99457/99458 report")
        rep.add_argument("--company", required=True, help="the company's code")
        rep.add_argument("--month", required=True, help="YYYY-MM")
        form = rep.add_mutually_exclusive_group()
        form.add_argument("--csv", action="store_true", help="CSV, one row per patient and period")
        form.add_argument("--json", action="store_true", help="the API's JSON body")

        setup = subparsers.add_parser("setup", help="record the day a patient's device was set up")
        setup.add_argument("--company", required=True)
        setup.add_argument("--patient", required=True, help="the patient's external id")
        setup.add_argument("--on", required=True, help="YYYY-MM-DD")

        log = subparsers.add_parser("log-time", help="add clinician minutes to a patient's log")
        log.add_argument("--company", required=True)
        log.add_argument("--patient", required=True, help="the patient's external id")
        log.add_argument("--clinician", required=True, help="who spent the time")
        log.add_argument("--minutes", required=True, type=positive_int)
        log.add_argument("--at", help="when (ISO 8601 with a zone; default now)")
        log.add_argument("--note", default="")

    def handle_report(self, *, company, month, csv, json, **_):
        company = get_company(company)
        rep = services.report(company, month)
        audit(company, _actor(), "billing.report", target=rep.month, detail={"format": "cli"})
        if csv:
            self.stdout.write(services.as_csv(rep), ending="")
        elif json:
            self.stdout.write(jsonlib.dumps(services.as_json(rep), indent=2))
        else:
            totals = rep.totals()
            self.stdout.write(f"{rep.company} {rep.month} (days in {rep.time_zone})")
            for line in rep.lines:
                days = ", ".join(
                    f"{p.start}..{p.end} {p.days} days{'' if p.complete else ' (running)'}"
                    for p in line.periods
                )
                codes = [
                    f"{code} x{n}"
                    for code, n in (
                        ("99453", line.cpt_99453),
                        ("99454", line.cpt_99454),
                        ("99457", line.cpt_99457),
                        ("99458", line.cpt_99458),
                    )
                    if n
                ]
                self.stdout.write(
                    f"  {line.external_id}: {days or 'no period ends this month'}; "
                    f"{line.minutes} min; {' '.join(codes) or 'nothing billable'}"
                )
            self.stdout.write(
                f"{totals['patients']} patients: 99453 x{totals['cpt_99453']}, "
                f"99454 x{totals['cpt_99454']}, 99457 x{totals['cpt_99457']}, "
                f"99458 x{totals['cpt_99458']}"
            )

    def handle_setup(self, *, company, patient, on, **_):
        company = get_company(company)
        patient = _patient(company, patient)
        try:
            day = date.fromisoformat(on)
        except ValueError:
            raise CommandError(f"--on: {on!r} is not a date written YYYY-MM-DD") from None
        setup = services.record_setup(company, patient, day, by=_actor())
        audit(
            company,
            _actor(),
            "billing.setup",
            target=str(setup.pk),
            patient=patient.external_id,
            detail={"setup_on": day.isoformat()},
        )
        self.stdout.write(f"{patient.external_id}: set up on {setup.setup_on}")

    def handle_log_time(self, *, company, patient, clinician, minutes, at, note, **_):
        company = get_company(company)
        patient = _patient(company, patient)
        when = None
        if at:
            try:
                when = datetime.fromisoformat(at)
            except ValueError:
                raise CommandError(f"--at: {at!r} is not an ISO 8601 time") from None
        entry = services.log_time(
            company, patient, clinician=clinician, minutes=minutes, performed_at=when, note=note
        )
        audit(
            company,
            _actor(),
            "billing.time",
            target=str(entry.pk),
            patient=patient.external_id,
            detail={"minutes": minutes},
        )
        self.stdout.write(
            f"{patient.external_id}: {entry.minutes} min by {entry.clinician} at {iso(entry.performed_at)}"
        )
