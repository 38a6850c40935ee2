"""``pulsebridge alerts rules|set-rule|override|list|acknowledge|resolve``: threshold alerts for
operators."""

from __future__ import annotations

import getpass
import json as jsonlib
import uuid

from django.core.management.base import CommandError

from pulsebridge.alerts import rules, services
from pulsebridge.alerts.webhooks import alert_json
from pulsebridge.core.services import audit
from pulsebridge.core.services import company_by_code as get_company
from pulsebridge.devices.services import find_patient
from pulsebridge.lib.commands import SubcommandCommand, add_json_flag


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _patient(company, external_id):
    patient = find_patient(company, external_id)
    if patient is None:
        raise CommandError(f"no patient {external_id!r} in {company.code}")
    return patient


def _onoff(text):
    if text is None:
        return None
    if text not in ("on", "off"):
        raise CommandError("--enabled: on or off")
    return text == "on"


class Command(SubcommandCommand):
    help = "Alert rules (company defaults and patient overrides) and the alerts they raised."

    def add_subcommands(self, subparsers) -> None:
        listing = subparsers.add_parser("rules", help="the company's rules")
        listing.add_argument("--company", required=True)
        add_json_flag(listing)

        change = subparsers.add_parser("set-rule", help="change a rule's threshold or switch it")
        change.add_argument("--company", required=True)
        change.add_argument("code", metavar="CODE", help="e.g. systolic-high")
        change.add_argument("--threshold", type=float)
        change.add_argument("--window-hours", type=int)
        change.add_argument("--enabled", help="on or off")

        override = subparsers.add_parser("override", help="a patient's own threshold or on/off")
        override.add_argument("--company", required=True)
        override.add_argument("--patient", required=True, help="the patient's external id")
        override.add_argument("code", metavar="CODE")
        override.add_argument("--threshold", type=float)
        override.add_argument("--enabled", help="on or off")
        override.add_argument("--remove", action="store_true", help="back to the company's rule")

        alerts = subparsers.add_parser("list", help="alerts, newest first")
        alerts.add_argument("--company", required=True)
        alerts.add_argument("--status", help="open (not resolved), acknowledged, resolved")
        alerts.add_argument("--patient")
        add_json_flag(alerts)

        for name in ("acknowledge", "resolve"):
            one = subparsers.add_parser(name, help=f"{name} an alert")
            one.add_argument("--company", required=True)
            one.add_argument("alert", metavar="ALERT_ID")
            one.add_argument("--note", default="")

    def handle_rules(self, *, company, json, **_):
        company = get_company(company)
        found = rules.company_rules(company)
        if json:
            self.emit_json(
                {
                    "rules": [
                        {
                            "code": r.code,
                            "name": r.name,
                            "kind": r.kind,
                            "metric": r.metric,
                            "comparison": r.comparison,
                            "threshold": r.threshold,
                            "window_hours": r.window_hours,
                            "enabled": r.enabled,
                        }
                        for r in found
                    ]
                }
            )
            return
        for r in found:
            window = f" in {r.window_hours} h" if r.window_hours else ""
            state = "" if r.enabled else " (off)"
            self.stdout.write(
                f"{r.code:18} {r.metric} {r.get_comparison_display()} {r.threshold:g}{window}{state}"
            )

    def handle_set_rule(self, *, company, code, threshold, window_hours, enabled, **_):
        company = get_company(company)
        rule = rules.get_rule(company, code)
        rules.change_rule(
            rule, threshold=threshold, window_hours=window_hours, enabled=_onoff(enabled)
        )
        audit(
            company,
            _actor(),
            "alerts.rule",
            target=rule.code,
            detail={"threshold": rule.threshold, "enabled": rule.enabled},
        )
        self.stdout.write(f"{rule.code}: {rule.threshold:g}, {'on' if rule.enabled else 'off'}")

    def handle_override(self, *, company, patient, code, threshold, enabled, remove, **_):
        company = get_company(company)
        patient = _patient(company, patient)
        rule = rules.get_rule(company, code)
        if remove:
            rules.remove_override(rule, patient)
            action, said = "alerts.override.remove", "the company's rule again"
        else:
            rules.set_override(rule, patient, threshold=threshold, enabled=_onoff(enabled))
            action, said = "alerts.override", "overridden"
        audit(company, _actor(), action, target=rule.code, patient=patient.external_id)
        self.stdout.write(f"{rule.code} for {patient.external_id}: {said}")

    def handle_list(self, *, company, status, patient, json, **_):
        company = get_company(company)
        who = _patient(company, patient) if patient else None
        found = list(services.alerts(company, status=status, patient=who)[:500])
        if json:
            self.emit_json({"alerts": [alert_json(a) for a in found]})
            return
        for a in found:
            late = " late" if a.late else ""
            self.stdout.write(
                f"{a.pk} {a.status:12} {a.patient.external_id} {a.rule.code} {a.value:g}"
                f" at {a.measured_at:%Y-%m-%d %H:%M}{late} ({a.readings} readings)"
            )

    def _change(self, company, alert, note, change, action):
        company = get_company(company)
        try:
            found = services.find_alert(company, uuid.UUID(alert))
        except ValueError:
            found = None
        if found is None:
            raise CommandError(f"no alert {alert} in {company.code}")
        found = change(found, by=_actor(), note=note)
        audit(
            company,
            _actor(),
            action,
            target=str(found.pk),
            patient=found.patient.external_id,
        )
        self.stdout.write(jsonlib.dumps({"id": str(found.pk), "status": found.status}))

    def handle_acknowledge(self, *, company, alert, note, **_):
        self._change(company, alert, note, services.acknowledge, "alert.acknowledge")

    def handle_resolve(self, *, company, alert, note, **_):
        self._change(company, alert, note, services.resolve, "alert.resolve")
