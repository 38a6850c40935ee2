"""The FHIR R4 endpoints under ``/fhir/R4/``: read, search, metadata, Bulk Data export."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime
from urllib.parse import urlencode

import orjson
from django.utils import timezone
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from pulsebridge.lib.plans import custom_plans
from pulsebridge.lib.renderers import FastJSONRenderer

from . import capability, errors, pagination, queries, resources, search
from .auth import FhirAuthentication, IsAuthenticated, KeyPlanThrottle, require_scope
from .errors import not_found, outcome


class FhirJSONRenderer(FastJSONRenderer):
    media_type = "application/fhir+json"
    format = "fhir+json"


class PlainJSONRenderer(FastJSONRenderer):
    """For clients that ask for ``application/json`` only: the same body, labelled so."""

    media_type = "application/json"
    format = "json"


class FhirView(APIView):
    authentication_classes = [FhirAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = [KeyPlanThrottle]
    renderer_classes = [FhirJSONRenderer, PlainJSONRenderer]
    parser_classes: list = []
    resource_type = ""

    def get_exception_handler(self):
        return errors.handle

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if self.resource_type:
            require_scope(request.auth, self.resource_type)

    @property
    def company(self):
        return self.request.auth.company

    def base(self) -> str:
        return self.request.build_absolute_uri("/fhir/R4")


def _parse_id(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


# --- read -----------------------------------------------------------------------------------


class PatientRead(FhirView):
    resource_type = "Patient"

    def get(self, request, pk: str):
        found = _parse_id(pk)
        row = (
            queries.patient_rows(queries.patients(self.company).filter(pk=found)).first()
            if found
            else None
        )
        if row is None:
            raise not_found(f"Patient/{pk} is not known.")
        return Response(resources.patient(row, self.company.code))


class DeviceRead(FhirView):
    resource_type = "Device"

    def get(self, request, pk: str):
        found = _parse_id(pk)
        row = (
            queries.device_rows(queries.devices(self.company).filter(pk=found)).first()
            if found
            else None
        )
        if row is None:
            raise not_found(f"Device/{pk} is not known.")
        return Response(resources.device(row))


class ObservationRead(FhirView):
    resource_type = "Observation"

    def get(self, request, pk: str):
        reading_id, variant = pk, resources.MAIN
        for suffix in resources.SUFFIXES:
            if pk.endswith(suffix):
                reading_id, variant = pk[: -len(suffix)], suffix
        found = _parse_id(reading_id)
        row = (
            queries.observation_rows(queries.readings(self.company).filter(pk=found)).first()
            if found
            else None
        )
        if row is not None:
            written = resources.ObservationWriter().observations(
                row, orjson.loads(row[7]), frozenset([(row[1], variant)])
            )
            if written:
                return Response(written[0][1])
        raise not_found(f"Observation/{pk} is not known.")


# --- search ---------------------------------------------------------------------------------


class Search(FhirView):
    time_field = "created_at"

    def get(self, request):
        asked = search.asked(request, self.resource_type)
        search.formats(asked)
        count = search.count(asked)
        descending = search.descending(asked, self.resource_type)
        total_wanted = search.total_wanted(asked)
        queryset = self.filtered(asked)
        fingerprint = pagination.fingerprint(
            self.resource_type,
            [
                (k, v)
                for k, v in asked.params
                if k not in ("_cursor", "_count", "_total", "_format")
            ],
        )
        token = asked.one("_cursor")
        cursor = pagination.read(token, fingerprint) if token else None
        if cursor is not None:
            total = cursor.total
        elif total_wanted == "none":
            total = None
        elif total_wanted in ("accurate", "estimate") or count == 0 or self.cheap(asked):
            total = self.total(queryset)
        else:
            total = None
        entries, last = self.page(queryset, cursor, count, descending) if count else ([], None)
        if total is None and cursor is None and last is None and total_wanted != "none":
            total = len(entries)  # the whole answer is this page: its total costs nothing
        bundle = {
            "resourceType": "Bundle",
            "meta": {"lastUpdated": resources.instant(timezone.now())},
            "type": "searchset",
        }
        if total is not None:
            bundle["total"] = total
        kept = [(k, v) for k, v in asked.params if k != "_cursor"]
        url = f"{self.base()}/{self.resource_type}"
        links = [{"relation": "self", "url": f"{url}?{urlencode(kept)}" if kept else url}]
        if last is not None:
            next_token = pagination.issue(dataclasses.replace(last, total=total), fingerprint)
            links.append(
                {"relation": "next", "url": f"{url}?{urlencode([*kept, ('_cursor', next_token)])}"}
            )
        bundle["link"] = links
        base, match = self.base(), {"mode": "match"}
        out = [
            {"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r, "search": match}
            for r in entries
        ]
        if asked.ignored:
            out.append({
                "resource": outcome(
                    f"Ignored the unsupported search parameter(s) {', '.join(asked.ignored)} "
                    "(send 'Prefer: handling=strict' to have them refused).",
                    code="not-supported", severity="warning",
                ),
                "search": {"mode": "outcome"},
            })  # fmt: skip
        if out:
            bundle["entry"] = out
        return Response(bundle)

    def filtered(self, asked):
        raise NotImplementedError

    def cheap(self, asked) -> bool:
        return True

    def total(self, queryset) -> int:
        return queryset.count()

    def rows(self, queryset):
        raise NotImplementedError

    def write(self, row) -> dict:
        raise NotImplementedError

    def page(self, queryset, cursor, count, descending):
        """Up to ``count`` resources after ``cursor``, and the cursor of the next page."""
        queryset = pagination.ordered(queryset, self.time_field, descending=descending)
        if cursor is not None:
            queryset = queryset.filter(
                pagination.at_or_beyond(
                    self.time_field, cursor.time, cursor.pk, descending=descending
                )
            ).exclude(pk=cursor.pk)
        rows = list(self.rows(queryset)[: count + 1])
        more = len(rows) > count
        rows = rows[:count]
        last = None
        if more:
            time, pk = self.position(rows[-1])
            last = pagination.Cursor(time, str(pk), 0, None)
        return [self.write(row) for row in rows], last

    def position(self, row):
        raise NotImplementedError


class PatientSearch(Search):
    resource_type = "Patient"

    def filtered(self, asked):
        queryset = queries.patients(self.company).filter(
            search.patient_filter(asked, self.company.code)
        )
        found = search.ids(asked)
        if found is not None:
            queryset = queryset.filter(pk__in=found)
        updated, _, _ = search.date_filter(asked, "_lastUpdated", "last_updated")
        return queryset.filter(updated)

    def rows(self, queryset):
        return queryset.values_list(*resources.PATIENT_COLUMNS, "created_at")

    def write(self, row):
        return resources.patient(row[:-1], self.company.code)

    def position(self, row):
        return row[-1], row[0]


class DeviceSearch(Search):
    resource_type = "Device"

    def filtered(self, asked):
        queryset = queries.devices(self.company)
        patients = search.references(asked, "patient", "Patient")
        if patients is not None:
            queryset = queryset.filter(patient_id__in=patients)
        found = search.ids(asked)
        if found is not None:
            queryset = queryset.filter(pk__in=found)
        updated, _, _ = search.date_filter(asked, "_lastUpdated", "updated_at")
        return queryset.filter(updated)

    def rows(self, queryset):
        return queryset.values_list(*resources.DEVICE_COLUMNS, "created_at")

    def write(self, row):
        return resources.device(row[:-1])

    def position(self, row):
        return row[-1], row[0]


class ObservationSearch(Search):
    resource_type = "Observation"
    time_field = "measured_at"

    def filtered(self, asked):
        self.targets = search.observation_targets(asked)
        self.only = search.variants_of(self.targets)
        queryset = queries.readings(self.company)
        if not self.targets:
            return queryset.none()
        for name in ("patient", "subject"):
            patients = search.references(asked, name, "Patient")
            if patients is not None:
                # by id, not through a join: the planner then walks the (patient, measured_at,
                # id) index and stops after a page
                queryset = queryset.filter(patient_id__in=patients)
        found = search.ids(asked)
        if found is not None:
            queryset = queryset.filter(pk__in=found)
        condition = search.target_filter(self.targets)
        if condition is not None:
            queryset = queryset.filter(condition)
        dates, _, _ = search.date_filter(asked, "date", "measured_at")
        updated, _, _ = search.date_filter(asked, "_lastUpdated", "received_at")
        return queryset.filter(dates, updated)

    def cheap(self, asked) -> bool:
        # Never, unless asked: a patient's thousands of readings cost more to count (each row's
        # kind and values read) than the page itself, many times over (profiled:
        # docs/performance.md, "Figures from the code"), and a company's millions more still.
        # Clients page by the next link; a search whose answer fits in its first page has its
        # total all the same (Search.get).
        return False

    def total(self, queryset) -> int:
        with custom_plans():
            return search.count_observations(queryset, self.targets)

    def page(self, queryset, cursor, count, descending):
        """Up to ``count`` Observations after ``cursor``. A reading is one or two of them, so
        rows are read for half the Observations still wanted (and two more: the cursor's own
        reading comes again, and one shows whether there is more), again as long as the page
        is not full: a page of cuff readings is one query of ``count / 2`` rows, not of
        ``count``."""
        queryset = pagination.ordered(queryset, "measured_at", descending=descending)
        writer = resources.ObservationWriter()
        entries: list[dict] = []
        last = None  # (row, variant index) of the last Observation written
        place = cursor
        while True:
            limit = (count - len(entries)) // 2 + 2
            rows = queryset
            if place is not None:
                rows = rows.filter(pagination.at_or_beyond(
                    "measured_at", place.time, place.pk, descending=descending))  # fmt: skip
            with custom_plans():
                rows = list(queries.observation_rows(rows)[:limit])
            for row in rows:
                after = place.variant if place is not None and str(row[0]) == place.pk else -1
                for index, resource in writer.observations(
                    row, orjson.loads(row[7]), self.only, after
                ):
                    if len(entries) == count:
                        return entries, self._after(*last)
                    entries.append(resource)
                    last = (row, index)
            if len(rows) < limit:
                return entries, None
            # every variant of the last row read is written or not wanted
            place = self._after(rows[-1], len(resources.SUFFIXES))

    def _after(self, row, variant):
        """The cursor just after Observation ``variant`` of reading ``row``."""
        return pagination.Cursor(datetime.fromisoformat(row[3]), str(row[0]), variant, None)


# --- metadata -------------------------------------------------------------------------------


class Metadata(FhirView):
    """The CapabilityStatement: public, as FHIR and SMART expect."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    def get(self, request):
        return Response(
            capability.statement(self.base(), request.build_absolute_uri("/ping/auth/token/"))
        )


class SmartConfiguration(Metadata):
    def get(self, request):
        return Response(capability.smart_configuration(request.build_absolute_uri("/ping/auth/token/")),
                        content_type="application/json")  # fmt: skip


class UnknownPath(Metadata):
    """Any other path under ``/fhir/R4/``: a 404 OperationOutcome, whatever the method."""

    def _unknown(self, request, *args, **kwargs):
        raise not_found(f"No FHIR endpoint at {request.path}.")

    get = post = put = patch = delete = head = options = _unknown


# --- Bulk Data export -----------------------------------------------------------------------

EXPORT_PARAMETERS = ("_type", "_since", "_outputFormat")
NDJSON = ("application/fhir+ndjson", "application/ndjson", "ndjson")


class ExportKickoff(FhirView):
    """``GET [base]/$export`` (everything) and ``GET [base]/Patient/$export`` (the patients'
    compartments): 202 with the status URL in ``Content-Location``."""

    level = "system"

    def get(self, request):
        from . import exports

        prefer = {t.strip().lower() for t in request.headers.get("Prefer", "").split(",")}
        if "respond-async" not in prefer:
            raise errors.invalid("A Bulk Data kick-off needs 'Prefer: respond-async'.")
        is_strict = search.strict(request)
        types, since = list(exports.TYPES), None
        for name, values in request.query_params.lists():
            value = values[-1]
            if name not in EXPORT_PARAMETERS:
                if is_strict:
                    raise errors.not_supported(
                        f"The export parameter {name!r} is not supported "
                        f"(supported: {', '.join(EXPORT_PARAMETERS)}).", name)  # fmt: skip
                continue
            if len(values) > 1:
                raise errors.invalid(f"{name} may be given once.", name)
            if name == "_outputFormat" and value not in NDJSON:
                raise errors.not_supported(f"Only NDJSON is written, not {value!r}.", name)
            if name == "_since":
                since = _instant(value)
            if name == "_type":
                asked = [t.strip() for t in value.split(",") if t.strip()]
                unknown = [t for t in asked if t not in exports.TYPES]
                if unknown and is_strict:
                    raise errors.not_supported(
                        f"Cannot export {', '.join(unknown)} (supported: "
                        f"{', '.join(exports.TYPES)}).", name)  # fmt: skip
                types = [t for t in asked if t in exports.TYPES]
                if not types:
                    raise errors.invalid("_type names no resource type this server exports.", name)
        require_scope(request.auth, *types)
        job = exports.start_export(
            company=self.company,
            owner=request.auth.owner,
            level=self.level,
            types=types,
            since=since,
            request_url=request.build_absolute_uri(),
        )
        status_url = f"{self.base()}/$export-status/{job.pk}"
        body = outcome(f"Export accepted; poll {status_url}.", code="informational",
                       severity="information")  # fmt: skip
        return Response(body, status=202, headers={"Content-Location": status_url})


class PatientExportKickoff(ExportKickoff):
    level = "patient"


def _instant(value: str):
    from django.utils.dateparse import parse_datetime

    try:
        parsed = parse_datetime(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise errors.invalid(
            f"_since must be a FHIR instant with a time zone (e.g. 2026-11-01T00:00:00Z), "
            f"not {value!r}.", "_since")  # fmt: skip
    if parsed > timezone.now():
        raise errors.invalid("_since is in the future.", "_since")
    return parsed


class ExportStatus(FhirView):
    """Poll (``GET``) or cancel (``DELETE``) an export."""

    def _job(self, job_id: str):
        from . import exports

        found = _parse_id(job_id)
        job = exports.find_job(self.company, self.request.auth.owner, found) if found else None
        if job is None:
            raise not_found("No such export (it may have expired, or belong to other credentials).")
        return job

    def get(self, request, job_id: str):
        from . import exports

        job = self._job(job_id)
        Status = exports.ExportJob.Status
        if job.status == Status.FAILED:
            raise errors.FhirError(job.error or "The export failed.", status_code=500,
                                   code="exception")  # fmt: skip
        if job.status != Status.COMPLETED:
            exports.resume_if_stalled(job)
            return Response(status=202, headers={
                "X-Progress": exports.progress_text(job), "Retry-After": "2"})  # fmt: skip
        base = self.base()
        body = exports.manifest(job, lambda name: f"{base}/$export-file/{name}")
        expires = exports.expires_at(job)
        from django.utils.http import http_date

        return Response(body, content_type="application/json",
                        headers={"Expires": http_date(expires.timestamp())})  # fmt: skip

    def delete(self, request, job_id: str):
        from . import exports

        exports.cancel_export(self._job(job_id))
        return Response(status=202)


class ExportFile(FhirView):
    """One NDJSON file of a completed export, to the credentials that started it."""

    def get(self, request, job_id: str, name: str):
        from django.http import FileResponse

        from . import exports

        found = _parse_id(job_id)
        job = exports.find_job(self.company, request.auth.owner, found) if found else None
        path = f"{job_id}/{name}"
        if job is None or path not in exports.file_names(job):
            raise not_found("No such export file.")
        return FileResponse(exports.storage().open(path, "rb"),
                            content_type="application/fhir+ndjson")  # fmt: skip
