"""What the bad-input corpus and the isolation matrix share: every route of the URL
configuration with its methods, a company's world of real objects to fill the routes' path
parameters, each dialect's credentials and error shape, and a snapshot of every table's rows.

The routes come from ``django.urls.get_resolver()``: a route added tomorrow is in both tests the
day it lands, and a path parameter neither test knows how to fill fails them until it is taught
(``World.value``)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

API_PREFIXES = ("ingest/", "pylo/", "tenovi/", "hayylo/", "ping/", "fhir/", "api/")
# HTML pages of the PING OAuth flow (a sign-in form, a consent form): not a JSON API
PAGES = ("ping/auth/login/", "ping/auth/authorize/")
# Rows a refused request still writes, by design: its usage is counted (monthly quotas, the
# per-second window), and the cache table holds the throttle's counters.
COUNTERS = ("core_usagecounter", "core_ratecounter", "pulsebridge_cache")
_CONVERTER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


@dataclass(frozen=True)
class Route:
    pattern: str  # "tenovi/clients/<slug:client_domain>/hwi/hwi-devices/<uuid:id>/"
    methods: tuple[str, ...]
    view: str

    @property
    def prefix(self) -> str:
        return self.pattern.split("/", 1)[0]

    @property
    def params(self) -> list[str]:
        return [m["name"] for m in _CONVERTER.finditer(self.pattern)]

    def path(self, values: dict[str, Any]) -> str:
        return "/" + _CONVERTER.sub(lambda m: str(values[m["name"]]), self.pattern)


def _methods(callback) -> tuple[str, ...]:
    actions = getattr(callback, "actions", None)
    if actions:  # a DRF viewset route: its own methods
        return tuple(sorted(m.upper() for m in actions))
    view = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view is None:
        return ("GET",)
    names = [m for m in view.http_method_names if m not in ("options", "head", "trace")]
    return tuple(sorted(m.upper() for m in names if hasattr(view, m)))


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            text = str(pattern.pattern)
            if text.startswith("^") and text.endswith("/+"):  # "^ping/+": PING's doubled slash
                text = text[1:-1]
            yield from _walk(pattern.url_patterns, prefix + text)
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            if "^" in route or "(?P" in route:  # catch-alls (Tenovi's slash redirect, FHIR's 404)
                continue
            callback = pattern.callback
            name = getattr(getattr(callback, "cls", None), "__name__", callback.__name__)
            yield Route(route, _methods(callback), name)


def api_routes() -> list[Route]:
    """Every API route of the URL configuration, with the methods its view answers."""
    routes = [r for r in _walk(get_resolver().url_patterns) if r.pattern.startswith(API_PREFIXES)]
    assert len(routes) > 50, "the URL configuration walked to almost nothing"
    return routes


def console_routes() -> list[Route]:
    return [r for r in _walk(get_resolver().url_patterns) if not r.pattern.startswith(API_PREFIXES)]


# -- rows ----------------------------------------------------------------------------------


def _tables() -> list[str]:
    return sorted(t for t in connection.introspection.table_names() if t not in COUNTERS)


def row_counts() -> dict[str, int]:
    """Every table's row count, in one query."""
    tables = _tables()
    q = connection.ops.quote_name
    sql = " UNION ALL ".join(f"SELECT {i}, COUNT(*) FROM {q(t)}" for i, t in enumerate(tables))  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return {tables[i]: n for i, n in cursor.fetchall()}


def rows() -> dict[str, list[str]]:
    """Every row of every table, as text: a change to any column shows."""
    q = connection.ops.quote_name
    out = {}
    with connection.cursor() as cursor:
        for table in _tables():
            cursor.execute(f"SELECT * FROM {q(table)}")  # noqa: S608 - names from the database
            out[table] = sorted(repr(row) for row in cursor.fetchall())
    return out


def changed(before: dict, after: dict) -> list[str]:
    return sorted(t for t in set(before) | set(after) if before.get(t) != after.get(t))


# -- each dialect's credentials and error shape ---------------------------------------------


def is_shaped(prefix: str, pattern: str, body: Any) -> bool:
    """Whether ``body`` is an error in the shape of the dialect ``prefix`` names."""
    if not isinstance(body, dict) or not body:
        return False
    if pattern.startswith("ping/auth/token/"):  # OAuth 2.0's own error shape (RFC 6749 5.2)
        return isinstance(body.get("error"), str) or isinstance(body.get("detail"), str)
    if prefix == "ingest" and "results" in body:  # a batch none of whose items was stored
        return set(body) == {"created", "duplicates", "errors", "results"} and all(
            r["status"] == "error" and r["errors"] for r in body["results"]
        )
    if prefix in ("ingest", "pylo", "hayylo"):
        return isinstance(body.get("message"), str) and set(body) <= {"message", "errors"}
    if prefix == "fhir":
        return body.get("resourceType") == "OperationOutcome" and bool(body.get("issue"))
    # DRF's shape (Tenovi, PING, the schema pages): {"detail": "..."} or {"field": [...]}
    if "detail" in body:
        return isinstance(body["detail"], str)
    return all(isinstance(v, list | dict | str) for v in body.values())


def json_of(response) -> Any:
    try:
        return json.loads(response.content)
    except ValueError:
        return None


# -- a company's world ---------------------------------------------------------------------


@dataclass
class World:
    """One company with one of everything the API routes name, made through the APIs
    themselves where they make it; ``values`` fills a route's path parameters."""

    company: Any
    user: Any
    credentials: dict[str, dict[str, str]] = field(default_factory=dict)
    ids: dict[str, Any] = field(default_factory=dict)

    def headers(self, prefix: str, pattern: str) -> dict[str, str]:
        if pattern.startswith("api/v1/"):  # the native API: an ``api`` key
            return self.credentials["api"]
        if pattern.startswith(("ping/auth/", "api/")) or pattern in ("fhir/R4/metadata",):
            return {}
        return self.credentials.get(prefix, {})

    def value(self, route: Route, name: str) -> Any:
        """The value of path parameter ``name`` in ``route`` naming this world's object."""
        p = route.pattern
        table = {
            "client_domain": self.company.code,
            "hwi_device_id": self.ids["hwi_device"],
            "patient_external_id": self.ids["patient_external_id"],
            "external_id__iexact": self.ids["patient_external_id"],
            "gateway_uuid__iexact": self.ids["gateway"],
            "number": self.ids["order_number"],
            "batch_id": self.ids["hayylo_batch"],
            "job_id": self.ids["export_job"],
            "name": self.ids["export_file"],
            "device_id": self.ids["ping_device"],
            # the native API (/api/v1/): a patient by the company's id for it, a rule by code
            "patient_id": self.ids["patient_external_id"],
            "code": "systolic-high",
            "alert_id": self.ids["alert"],
        }
        if name in table:
            return table[name]
        if name == "id":
            for marker, key in (
                ("/properties/", "property"),
                ("hwi-devices/", "hwi_device"),
                ("unlink-gateway/", "hwi_device"),
                ("hwi-replacements/", "replacement"),
                ("hwi-bulk-orders/", "bulk_order"),
                ("webhooks/", "tenovi_webhook"),
                ("hwi-device-types/", "device_type"),
            ):
                if marker in p:
                    return self.ids[key]
        if name == "pk":
            for marker, key in (
                ("ping/1.0/applications/", "ping_application"),
                ("ping/1.0/configurations/", "ping_configuration"),
                ("ping/1.0/devices/", "ping_device"),
                ("ping/1.0/customers/groups/", "ping_group"),
                ("ping/1.0/geogroups/", "ping_geogroup"),
                ("ping/1.0/events/", "ping_event"),
                ("fhir/R4/Patient/", "patient"),
                ("fhir/R4/Device/", "device"),
                ("fhir/R4/Observation/", "measurement"),
            ):
                if p.startswith(marker):
                    return self.ids[key]
        raise AssertionError(f"the corpus does not know how to fill <{name}> of {p}: teach World")

    def values(self, route: Route) -> dict[str, Any]:
        return {name: self.value(route, name) for name in route.params}


def _ok(response, *codes):
    assert response.status_code in codes, (response.status_code, response.content[:500])
    return json_of(response)


def build_world(company, user, make_key, code_suffix: str) -> World:
    """Make the company's objects through its APIs (and the domain services where no API
    makes them), keys and tokens for every dialect."""
    from pulsebridge.devices.services import add_device
    from pulsebridge.dialects.fhir.models import ExportJob
    from pulsebridge.fulfillment.services import LineRequest, OrderRequest, place_order
    from pulsebridge.tracking.applications import create_application
    from pulsebridge.tracking.services import ensure_trackers
    from tests.care.examples import client as care_client
    from tests.care.examples import wrapper
    from tests.dialects.pylo.test_orders import EXAMPLE_ORDER
    from tests.tracking.conftest import square

    world = World(company, user)
    http = Client()
    fast = {"rate_per_second": 100_000}
    keys = {d: make_key(company, d, **fast) for d in ("ingest", "pylo", "tenovi", "hayylo", "api")}
    application, secret = create_application(user, name="Corpus", grant_type="client-credentials")
    token = _ok(
        http.post(
            "/ping/auth/token/",
            {
                "client_id": application.client_id,
                "client_secret": secret,
                "grant_type": "client_credentials",
                "scope": "read write system/*.read",
            },
        ),
        200,
    )["access_token"]
    world.credentials = {
        "ingest": {"HTTP_X_API_KEY": keys["ingest"]},
        "pylo": {"HTTP_X_API_KEY": keys["pylo"]},
        "hayylo": {"HTTP_X_API_KEY": keys["hayylo"]},
        "tenovi": {"HTTP_AUTHORIZATION": f"Api-Key {keys['tenovi']}"},
        "ping": {"HTTP_AUTHORIZATION": f"Bearer {token}"},
        "fhir": {"HTTP_AUTHORIZATION": f"Bearer {token}"},
        "api": {"HTTP_X_API_KEY": keys["api"]},
    }
    ids = world.ids
    ids["ping_application"] = application.pk

    def call(method, path, body=None, prefix=None):
        headers = world.credentials[prefix or path.split("/")[1]]
        kwargs = {"content_type": "application/json"} if body is not None else {}
        data = json.dumps(body) if body is not None else None
        return getattr(http, method)(path, data, **kwargs, **headers)

    tenovi = f"/tenovi/clients/{company.code}/hwi/"
    gateway = f"0A1B2C3D4E{code_suffix}"
    ids["gateway"] = gateway
    add_device(company, "TENOVI-GW", serial=gateway)
    ids["patient_external_id"] = "P-1"
    hwi = _ok(
        call(
            "post",
            tenovi + "hwi-devices/",
            {
                "device": {"name": "Tenovi BPM - L", "hardware_uuid": gateway},
                "patient": {"external_id": "P-1", "name": "Ada Lovelace"},
            },
        ),
        201,
    )
    ids["hwi_device"] = hwi["id"]
    ids["property"] = _ok(
        call("post", f"{tenovi}hwi-devices/{hwi['id']}/properties/", {"key": "k", "value": "v"}),
        201,
    )["id"]
    ids["tenovi_webhook"] = _ok(
        call("post", tenovi + "webhooks/", {"endpoint": "http://127.0.0.1:9/m"}), 201
    )["id"]
    ids["device_type"] = _ok(call("get", tenovi + "hwi-device-types/"), 200)[0]["id"]
    # a spare cuff, replaced by a scale: a replacement of this company
    spare = _ok(
        call(
            "post",
            tenovi + "hwi-devices/",
            {
                "device": {"name": "Tenovi Pulse Ox", "hardware_uuid": gateway},
                "patient": {"external_id": "P-2"},
            },
        ),
        201,
    )
    replacement = call(
        "post",
        tenovi + "hwi-replacements/",
        {"device_types": [{"name": "Tenovi Pulse Ox"}], "hwi_device_id": spare["id"]},
    )
    ids["replacement"] = _ok(replacement, 201)["id"]
    place_order(
        company,
        OrderRequest(
            lines=[LineRequest("PY-802-LTE", 1)],
            recipient_first_name="North",
            recipient_last_name="Clinic",
            address1="1 Road",
            city="Townsville",
            state="CA",
            postal_code="12345",
        ),
    )
    ids["bulk_order"] = _ok(call("get", tenovi + "hwi-bulk-orders/"), 200)["results"][0]["id"]

    ids["order_number"] = _ok(call("post", "/pylo/orders", EXAMPLE_ORDER), 200, 201)["order_number"]

    reading = {
        "kind": "blood_pressure",
        "measured_at": "2025-03-01T08:00:00Z",
        "values": {"systolic": 128, "diastolic": 82, "pulse": 71},
        "gateway_id": gateway,
        "sensor_code": "10",
    }
    stored = _ok(call("post", "/ingest/v1/measurements", reading), 200)
    ids["measurement"] = stored["results"][0]["id"]
    from pulsebridge.devices.models import Patient
    from pulsebridge.readings.models import Measurement

    measurement = Measurement.objects.get(pk=ids["measurement"])
    ids["device"] = measurement.device_id
    ids["patient"] = Patient.objects.get(company=company, external_id="P-1").pk
    # a systolic of 190 breaks the default rule: an alert of this company
    high = {**reading, "measured_at": "2025-03-01T09:00:00Z"}
    high["values"] = {"systolic": 190, "diastolic": 82, "pulse": 71}
    _ok(call("post", "/ingest/v1/measurements", high), 200)
    from pulsebridge.alerts.models import Alert

    ids["alert"] = Alert.objects.get(company=company).pk

    tracker_imei = f"3594233818826{code_suffix}"
    add_device(company, "PING-TRACKER", imei=tracker_imei)
    ensure_trackers(company)
    event = {"imei": tracker_imei, "type": "position", "timestamp": "2025-03-01T08:00:00Z"}
    _ok(call("post", "/ingest/v1/events", {**event, "latitude": 1.5, "longitude": 2.5}), 200)
    ping = "/ping/1.0/"
    ids["ping_device"] = _ok(call("get", ping + "devices/devices/"), 200)["results"][0]["id"]
    ids["ping_event"] = _ok(call("get", ping + "events/"), 200)["results"][0]["id"]
    ids["ping_configuration"] = _ok(
        call("post", ping + "configurations/customer/", {"name": "Draft"}), 201
    )["id"]
    ids["ping_group"] = _ok(call("post", ping + "customers/groups/", {"name": "Fleet"}), 201)["id"]
    ids["ping_geogroup"] = _ok(
        call("post", ping + "geogroups/", {"name": "Yard", "boundary": square(0, 0, 1, 1)}), 201
    )["id"]
    _ok(
        call(
            "post",
            f"{ping}customers/groups/{ids['ping_group']}/devices/",
            {"devices": [ids["ping_device"]]},
        ),
        200,
        201,
    )

    batch = wrapper("client", [care_client()], company.code, company.instance_id)
    ids["hayylo_batch"] = _ok(call("post", "/hayylo/inbound", batch), 202)["batchId"]
    kickoff = http.get(
        "/fhir/R4/$export",
        HTTP_ACCEPT="application/fhir+json",
        HTTP_PREFER="respond-async",
        **world.credentials["fhir"],
    )
    _ok(kickoff, 202)
    ids["export_job"] = kickoff["Content-Location"].rstrip("/").rsplit("/", 1)[-1]
    from pulsebridge.dialects.fhir import exports

    exports.run_export(ids["export_job"])
    job = ExportJob.objects.get(pk=ids["export_job"], company=company)
    ids["export_file"] = sorted(exports.file_names(job))[0].split("/", 1)[1]
    return world


def settle(settings, tmp_path) -> None:
    """The settings both tests build their worlds under (passwords hash fast in every test
    already: tests/conftest.py): loopback webhook endpoints, FHIR export files under the
    test's own directory."""
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    storages = dict(settings.STORAGES)
    storages["fhir_exports"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "fhir-exports")},
    }
    settings.STORAGES = storages


def field_names() -> list[str]:
    """Every field name the API dialects' serializers declare (nested ones too), with the
    ingest API's and the Hayylo wrapper's: a crafted body carries its value in all of them."""
    import importlib
    import inspect

    from rest_framework import serializers

    names = {
        *("imei", "serial", "gateway_id", "sensor_code", "kind", "measured_at", "values"),
        *("battery", "signal", "device_user", "radio", "network", "id", "type", "timestamp"),
        *("latitude", "longitude", "accuracy", "temperature", "shock", "tower_latitude"),
        *("companyCode", "instanceId", "schemaType", "dataSet", "client_id", "client_secret"),
        *("grant_type", "username", "password", "code", "redirect_uri", "refresh_token"),
    }

    def collect(serializer, depth=0):
        if depth > 4:
            return
        for name, item in serializer.fields.items():
            names.add(name)
            child = getattr(item, "child", None)
            for nested in (item, child):
                if isinstance(nested, serializers.Serializer):
                    collect(nested, depth + 1)

    for dialect in ("pylo", "tenovi", "ping"):
        module = importlib.import_module(f"pulsebridge.dialects.{dialect}.serializers")
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, serializers.Serializer) and cls.__module__ == module.__name__:
                try:
                    collect(cls())
                except Exception:  # noqa: S112 - one that needs a context names its fields elsewhere
                    continue
    return sorted(names)
