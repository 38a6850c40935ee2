"""The native API for care software at ``/api/v1/``: the RPM billing report, setup dates and the
clinician time log, alert rules and patient overrides, alerts (list, acknowledge, resolve).

The ingest API's building blocks (``x-api-key`` header, usage plans, the ``{"message",
"errors"}`` error body), with keys of their own dialect, ``api``: a device's ingest key reads no
patient's data. Views only translate; the rules are the billing and alerts apps'. Every change
and every billing report is written to the audit log with the key that asked."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from django.http import HttpResponse
from rest_framework import exceptions, status
from rest_framework.response import Response

from pulsebridge.alerts import rules as alert_rules
from pulsebridge.alerts import services as alerts
from pulsebridge.alerts.models import Rule
from pulsebridge.alerts.webhooks import alert_json
from pulsebridge.billing import services as billing
from pulsebridge.core.drf import HeaderApiKeyAuthentication
from pulsebridge.core.services import audit
from pulsebridge.devices.services import find_patient
from pulsebridge.lib.commands import iso
from pulsebridge.lib.errors import DomainError
from pulsebridge.lib.parsers import StrictJSONParser

from .views import IngestView

MAX_ALERTS = 500


class ApiKeyAuthentication(HeaderApiKeyAuthentication):
    header = "x-api-key"
    dialect = "api"


class Refused(exceptions.APIException):
    status_code = 400
    default_code = "invalid"


class ApiView(IngestView):
    authentication_classes = [ApiKeyAuthentication]
    # one request, one object: a value no field takes refuses the body (no items to judge apart)
    parser_classes = [StrictJSONParser]

    def handle_exception(self, exc):
        if isinstance(exc, DomainError):
            exc = Refused(str(exc))
        return super().handle_exception(exc)

    @property
    def company(self):
        return self.request.auth.company

    def actor(self) -> str:
        return f"api:{self.request.auth.prefix}"

    def patient(self, patient_id: str):
        patient = find_patient(self.company, patient_id)
        if patient is None:
            raise exceptions.NotFound(f"no patient {patient_id!r}")
        return patient

    def body(self) -> dict[str, Any]:
        if not isinstance(self.request.data, dict):
            raise Refused("the body must be a JSON object")
        return self.request.data


def _moment(value: Any, field: str) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise Refused(f"{field}: {value!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise Refused(f"{field}: give the time zone (Z or an offset)")
    return moment


def _flag(value: Any, field: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise Refused(f"{field}: true or false")


class BillingReportView(ApiView):
    """``GET /api/v1/billing/report?month=YYYY-MM[&format=csv]``: the report of
    ``pulsebridge billing report`` (JSON, or its CSV)."""

    def perform_content_negotiation(self, request, force=False):
        # ``format`` is this endpoint's own parameter, not DRF's renderer override
        renderer = self.get_renderers()[0]
        return renderer, renderer.media_type

    def get(self, request):
        month = request.query_params.get("month", "")
        fmt = request.query_params.get("format", "json")
        if fmt not in ("json", "csv"):
            raise Refused("format: json or csv")
        rep = billing.report(self.company, month)
        audit(
            self.company, self.actor(), "billing.report", target=rep.month, detail={"format": fmt}
        )
        if fmt == "csv":
            response = HttpResponse(billing.as_csv(rep), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = (
                f'attachment; filename="billing-{rep.company}-{rep.month}.csv"'
            )
            return response
        return Response(billing.as_json(rep))


def time_entry_json(entry) -> dict[str, Any]:
    return {
        "id": str(entry.pk),
        "clinician": entry.clinician,
        "performed_at": iso(entry.performed_at),
        "minutes": entry.minutes,
        "note": entry.note,
        "created_at": iso(entry.created_at),
    }


class TimeEntriesView(ApiView):
    """``GET|POST /api/v1/patients/{patient_id}/time-entries``: the clinician time log."""

    def get(self, request, patient_id):
        patient = self.patient(patient_id)
        entries = billing.time_log(self.company, patient, limit=500)
        return Response({"results": [time_entry_json(e) for e in entries]})

    def post(self, request, patient_id):
        patient = self.patient(patient_id)
        body = self.body()
        minutes = body.get("minutes")
        entry = billing.log_time(
            self.company,
            patient,
            clinician=str(body.get("clinician") or ""),
            minutes=minutes,
            performed_at=_moment(body.get("performed_at"), "performed_at"),
            note=str(body.get("note") or ""),
        )
        audit(
            self.company,
            self.actor(),
            "billing.time",
            target=str(entry.pk),
            patient=patient.external_id,
            detail={"minutes": entry.minutes},
        )
        return Response(time_entry_json(entry), status=status.HTTP_201_CREATED)


class SetupsView(ApiView):
    """``POST /api/v1/patients/{patient_id}/setups`` ``{"setup_on": "YYYY-MM-DD"}``."""

    def post(self, request, patient_id):
        patient = self.patient(patient_id)
        raw = self.body().get("setup_on")
        try:
            day = date.fromisoformat(str(raw))
        except ValueError:
            raise Refused(f"setup_on: {raw!r} is not a date written YYYY-MM-DD") from None
        setup = billing.record_setup(self.company, patient, day, by=self.actor())
        audit(
            self.company,
            self.actor(),
            "billing.setup",
            target=str(setup.pk),
            patient=patient.external_id,
            detail={"setup_on": day.isoformat()},
        )
        return Response(
            {"patient_id": patient.external_id, "setup_on": setup.setup_on.isoformat()},
            status=status.HTTP_201_CREATED,
        )


def rule_json(rule: Rule, override=None) -> dict[str, Any]:
    out = {
        "code": rule.code,
        "name": rule.name,
        "kind": rule.kind,
        "metric": rule.metric,
        "comparison": rule.comparison,
        "threshold": rule.threshold,
        "window_hours": rule.window_hours,
        "enabled": rule.enabled,
    }
    if override is not None:
        out["override"] = {"threshold": override.threshold, "enabled": override.enabled}
    return out


class RulesView(ApiView):
    """``GET /api/v1/alert-rules``: the company's rules (the defaults until changed)."""

    def get(self, request):
        return Response(
            {"results": [rule_json(r) for r in alert_rules.company_rules(self.company)]}
        )


class RuleView(ApiView):
    """``GET|PATCH /api/v1/alert-rules/{code}``: ``threshold``, ``enabled``, ``window_hours``,
    ``name``."""

    def get(self, request, code):
        return Response(rule_json(self.rule(code)))

    def rule(self, code):
        try:
            return alert_rules.get_rule(self.company, code)
        except DomainError:
            raise exceptions.NotFound(f"no rule {code!r}") from None

    def patch(self, request, code):
        rule = self.rule(code)
        body = self.body()
        unknown = sorted(set(body) - {"threshold", "enabled", "window_hours", "name"})
        if unknown:
            raise Refused(f"{unknown[0]}: not a field of a rule")
        alert_rules.change_rule(
            rule,
            threshold=body.get("threshold"),
            enabled=_flag(body.get("enabled"), "enabled"),
            window_hours=body.get("window_hours"),
            name=body.get("name"),
        )
        audit(self.company, self.actor(), "alerts.rule", target=rule.code, detail=body)
        return Response(rule_json(rule))


class PatientRulesView(RuleView):
    """``GET /api/v1/patients/{patient_id}/alert-rules``: the rules with the patient's
    overrides; ``PUT|DELETE .../alert-rules/{code}``: set or remove one override."""

    http_method_names = ["get", "put", "delete", "options"]

    def get(self, request, patient_id, code=None):
        patient = self.patient(patient_id)
        mine = {o.rule_id: o for o in alert_rules.overrides_of(self.company, patient)}
        rules = alert_rules.company_rules(self.company)
        if code is not None:
            rule = self.rule(code)
            return Response(rule_json(rule, mine.get(rule.pk)))
        return Response({"results": [rule_json(r, mine.get(r.pk)) for r in rules]})

    def put(self, request, patient_id, code=None):
        patient = self.patient(patient_id)
        rule = self.rule(code)
        body = self.body()
        override = alert_rules.set_override(
            rule,
            patient,
            threshold=body.get("threshold"),
            enabled=_flag(body.get("enabled"), "enabled"),
        )
        audit(
            self.company,
            self.actor(),
            "alerts.override",
            target=rule.code,
            patient=patient.external_id,
            detail=body,
        )
        return Response(rule_json(rule, override))

    def delete(self, request, patient_id, code=None):
        patient = self.patient(patient_id)
        rule = self.rule(code)
        if not alert_rules.remove_override(rule, patient):
            raise exceptions.NotFound(f"{patient.external_id} has no override of {rule.code}")
        audit(
            self.company,
            self.actor(),
            "alerts.override.remove",
            target=rule.code,
            patient=patient.external_id,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class AlertsView(ApiView):
    """``GET /api/v1/alerts?status=open|acknowledged|resolved&patient_id=&late=&limit=``."""

    def get(self, request):
        params = request.query_params
        patient = self.patient(params["patient_id"]) if params.get("patient_id") else None
        late = {"true": True, "false": False, None: None}.get(params.get("late"), "bad")
        if late == "bad":
            raise Refused("late: true or false")
        try:
            limit = int(params.get("limit", 100))
        except ValueError:
            raise Refused("limit: a whole number") from None
        if not 1 <= limit <= MAX_ALERTS:
            raise Refused(f"limit: between 1 and {MAX_ALERTS}")
        found = alerts.alerts(
            self.company, status=params.get("status") or None, patient=patient, late=late
        )
        return Response({"results": [alert_json(a) for a in found[:limit]]})


class AlertView(ApiView):
    """``GET /api/v1/alerts/{id}``; ``POST .../acknowledge`` and ``.../resolve`` with
    ``{"by": "who", "note": "..."}``."""

    def alert(self, alert_id):
        try:
            pk = uuid.UUID(str(alert_id))
        except ValueError:
            raise exceptions.NotFound("no such alert") from None
        alert = alerts.find_alert(self.company, pk)
        if alert is None:
            raise exceptions.NotFound("no such alert")
        return alert

    def get(self, request, alert_id):
        return Response(alert_json(self.alert(alert_id)))


class AlertActionView(AlertView):
    http_method_names = ["post", "options"]

    def post(self, request, alert_id, action):
        alert = self.alert(alert_id)
        body = self.body()
        by = str(body.get("by") or self.actor())
        note = str(body.get("note") or "")
        change = alerts.acknowledge if action == "acknowledge" else alerts.resolve
        alert = change(alert, by=by, note=note)
        audit(
            self.company,
            self.actor(),
            f"alert.{action}",
            target=str(alert.pk),
            patient=alert.patient.external_id,
            detail={"by": by[:200]},
        )
        return Response(alert_json(alert))
