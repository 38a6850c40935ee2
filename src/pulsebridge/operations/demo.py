"""The demo company that ``make run`` (``pulsebridge demo``) creates in an empty database.

A company with one key per dialect, an owner who signs in to the console, a PING application of
that owner (client credentials), three patients, six devices, two asset trackers inside a geo
group, an order awaiting shipment, a Hayylo care record, and two weeks of simulated readings:
enough to try every API and the console at once. The keys, the password and the client secret
are shown once, like any secret, and also kept in ``VAR_DIR/demo-keys.json`` (mode 0600) so that
the next ``make run`` can show them again."""

from __future__ import annotations

import base64
import json
import os
import random
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from pulsebridge.care.importer import import_records
from pulsebridge.core.apikeys import create_api_key, find_api_key
from pulsebridge.core.models import ApiKey, Company, Membership
from pulsebridge.core.services import NewUser, create_company, create_user, update_company
from pulsebridge.devices.models import Device
from pulsebridge.devices.services import add_device, assign_device, ensure_patient
from pulsebridge.fulfillment.services import LineRequest, OrderRequest, place_order
from pulsebridge.operations.simulate import (
    SimulatedDevice,
    random_iccid,
    random_imei,
    simulated_readings,
)
from pulsebridge.readings.services import record_measurements
from pulsebridge.readings.validation import DEVICE_REFS, Reading, ReadingDetails, build_reading
from pulsebridge.tracking.applications import Application, create_application
from pulsebridge.tracking.models import TRACKER_SKU
from pulsebridge.tracking.services import create_geogroup, record_events
from pulsebridge.tracking.validation import build_event

CODE = "demo-clinic"
NAME = "Demo Clinic"
INSTANCE_ID = "100"
DIALECTS = ("pylo", "tenovi", "hayylo", "ingest", "fhir", "api")
KEYS_FILE = "demo-keys.json"
DAYS = 14
PER_DAY = 3
# A fixed seed: a fresh demo has the same IMEIs every time, so notes and docs stay valid.
SEED = "pulsebridge-demo"

PATIENTS = [
    {
        "external_id": "P-1001",
        "name": "Maria Lopez",
        "phone_number": "+15555550101",
        "email": "maria.lopez@example.org",
        "physician": "Dr. Ana Ruiz",
        "care_manager": "Sam Lee",
        "sms_opt_in": True,
        "practice_id": "practice-1",
    },
    {
        "external_id": "P-1002",
        "name": "James Carter",
        "phone_number": "+15555550102",
        "email": "james.carter@example.org",
        "physician": "Dr. Ana Ruiz",
        "care_manager": "Sam Lee",
        "sms_opt_in": False,
        "practice_id": "practice-1",
    },
    {
        "external_id": "P-1003",
        "name": "Aiko Tanaka",
        "phone_number": "+15555550103",
        "email": "aiko.tanaka@example.org",
        "physician": "Dr. Omar Haddad",
        "care_manager": "Priya Nair",
        "sms_opt_in": True,
        "practice_id": "practice-2",
    },
]
# (sku, patient) of the cellular devices; a gateway joins them, in inventory.
DEVICES = [
    ("PY-802-LTE", "P-1001"),
    ("PY-300-LTE", "P-1001"),
    ("PY-GL1-LTE", "P-1002"),
    ("PY-802-LTE", "P-1002"),
    ("PY-OX1-LTE", "P-1003"),
]
GATEWAY_SKU = "TENOVI-GW"
USERNAME = "demo"
APPLICATION_NAME = "Demo PING client"
# Two asset trackers around the clinic, inside a geo group drawn round it (longitude, latitude).
CLINIC = (-89.6501, 39.7817)
CAMPUS = [(-89.6560, 39.7780), (-89.6440, 39.7780), (-89.6440, 39.7855), (-89.6560, 39.7855)]
TRACKS = [
    [(-89.6620, 39.7740), (-89.6580, 39.7790), (-89.6520, 39.7810), (-89.6501, 39.7817)],
    [(-89.6300, 39.7950), (-89.6380, 39.7890), (-89.6460, 39.7840)],
]
# P-1001's care record, as her home care provider pushes it through the Hayylo Inbound API.
CARE_PLAN = (
    b"%PDF-1.4\n% Demo care plan: blood pressure twice a day, weight every morning.\n%%EOF\n"
)


@dataclass
class Demo:
    """What the demo commands show: the keys (when known) and what the examples refer to."""

    company: Company
    created: bool
    keys: dict[str, str] = field(default_factory=dict)
    patient_id: str = ""
    imei: str = ""  # a blood pressure cuff, for the ingest example
    readings: int = 0
    order_number: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    # the console's owner and the PING application's client credentials (when known)
    username: str = ""
    password: str = ""
    client_id: str = ""
    client_secret: str = ""


def keys_path() -> Path:
    return Path(settings.VAR_DIR) / KEYS_FILE


def ensure_demo(*, now: datetime | None = None) -> Demo | None:
    """The demo: created when the database holds no company, else the one there is.

    None when the database holds companies but no demo company: an install in real use is
    never given demo data."""
    if not Company.objects.exists():
        demo = create_demo(now=now)
        save_keys(demo)
        return demo
    company = Company.objects.filter(code=CODE).first()
    if company is None:
        return None
    return existing_demo(company)


def create_demo(*, now: datetime | None = None) -> Demo:
    rng = random.Random(SEED)
    with transaction.atomic():
        company = create_company(code=CODE, name=NAME, instance_id=INSTANCE_ID)
        update_company(company, weight_unit=Company.WeightUnit.LB)  # a clinic in Illinois
        keys = {dialect: create_api_key(company, dialect).key for dialect in DIALECTS}
        password = secrets.token_urlsafe(12)
        owner = create_user(
            company,
            NewUser(
                username=USERNAME,
                password=password,
                first_name="Demo",
                last_name="Owner",
                role=Membership.Role.OWNER,
            ),
        )
        application, client_secret = create_application(
            owner, name=APPLICATION_NAME, grant_type=Application.GRANT_CLIENT_CREDENTIALS
        )
        for details in PATIENTS:
            ensure_patient(
                company,
                details["external_id"],
                clinic_name=NAME,
                **{k: v for k, v in details.items() if k != "external_id"},
            )
        devices = []
        for sku, patient_id in DEVICES:
            device = add_device(company, sku, imei=random_imei(rng), sim=random_iccid(rng))
            devices.append(assign_device(device, patient_id=patient_id))
        gateway_id = "".join(rng.choice("0123456789ABCDEF") for _ in range(12))
        add_device(company, GATEWAY_SKU, serial=gateway_id)
        order = place_order(
            company,
            OrderRequest(
                lines=[LineRequest("PY-802-LTE", 1), LineRequest("PY-300-LTE", 1)],
                recipient_first_name="Aiko",
                recipient_last_name="Tanaka",
                recipient_phone="+15555550103",
                recipient_email="aiko.tanaka@example.org",
                address1="100 Main Street",
                city="Springfield",
                state="IL",
                postal_code="62701",
                country_code="US",
                requested_service="standard",
                patient_id="P-1003",
                practice_id="practice-2",
            ),
        )
        simulated = [SimulatedDevice.of(device, rng) for device in devices]
        items = simulated_readings(
            simulated, days=DAYS, per_day=PER_DAY, rng=rng, end=now or datetime.now(UTC)
        )
        outcomes = record_measurements(company, [_reading(item, now) for item in items], now=now)
        failed = [o for o in outcomes if o.status == "error"]
        if failed:  # the simulator and the validator disagree: a bug, not bad luck
            raise RuntimeError(f"demo readings were refused: {failed[0].as_dict()}")
        _trackers(company, rng, now or datetime.now(UTC))
        _care_record(company)
    demo = Demo(
        company=company,
        created=True,
        keys=keys,
        patient_id=DEVICES[0][1],
        imei=devices[0].imei or "",
        readings=sum(1 for o in outcomes if o.status == "created"),
        order_number=order.number,
        username=USERNAME,
        password=password,
        client_id=application.client_id,
        client_secret=client_secret,
    )
    demo.counts = _counts(company)
    return demo


def _reading(item: dict[str, Any], now: datetime | None) -> Reading:
    """A simulated ingest item (typed already: the simulator writes numbers and units) as the
    domain's Reading."""
    return build_reading(
        kind=item["kind"],
        measured_at=datetime.fromisoformat(item["measured_at"]),
        values=item["values"],
        device_ref={name: str(item[name]) for name in DEVICE_REFS if item.get(name)},
        details=ReadingDetails(battery=item.get("battery"), signal=item.get("signal")),
        now=now,
    )


def _trackers(company: Company, rng: random.Random, now: datetime) -> None:
    create_geogroup(
        company,
        name="Clinic campus",
        boundary={"type": "Polygon", "coordinates": [[*map(list, CAMPUS), list(CAMPUS[0])]]},
    )
    events = []
    for track in TRACKS:
        imei = add_device(company, TRACKER_SKU, imei=random_imei(rng)).imei
        for step, (lon, lat) in enumerate(track):
            at = now - timedelta(hours=2 * (len(track) - step))
            measures = {"latitude": lat, "longitude": lon, "accuracy": 15.0}
            events.append(
                build_event(imei=imei, kind="position", timestamp=at, measures=measures, now=now)
            )
    failed = [o for o in record_events(company, events, now=now) if o.status == "error"]
    if failed:
        raise RuntimeError(f"demo tracker events were refused: {failed[0].as_dict()}")


def _care_record(company: Company) -> None:
    client = "P-1001"
    batches = {
        "client": [
            {
                "id": client,
                "firstName": "Maria",
                "lastName": "Lopez",
                "phone": "+15555550101",
                "email": "maria.lopez@example.org",
                "address": "12 Elm Street",
                "suburb": "Springfield",
                "postCode": "62704",
                "state": "IL",
                "gender": "female",
                "dob": "1948-03-14",
                "team": "Home care north",
            }
        ],
        "family": [
            {
                "id": "FAM-1001-1",
                "linkedClientId": client,
                "faFName": "Rosa Lopez",
                "mobile": "+15555550111",
                "email": "rosa.lopez@example.org",
            }
        ],
        "worker": [
            {"id": "W-01", "firstName": "Sam", "lastName": "Lee", "email": "sam.lee@example.org"}
        ],
        "schedule": [
            {
                "id": "VISIT-1001-1",
                "clientId": client,
                "workerId": "W-01",
                "duration": "45",
                "startDate": (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%d"),
                "startTime": "09:30",
                "serviceType": "Nursing review",
            }
        ],
        "clientDocument": [
            {
                "id": "DOC-1001-1",
                "clientId": client,
                "fileType": "Care Plan",
                "fileTitle": "MariaLopez-CarePlan",
                "fileExtension": "pdf",
                "clientVisible": True,
                "workerVisible": True,
                "data": base64.b64encode(CARE_PLAN).decode(),
            }
        ],
    }
    for schema_type, records in batches.items():
        for record in records:
            record["importStatus"] = "NEW"
        outcome = import_records(company, schema_type, records)
        if outcome.failed:
            raise RuntimeError(f"the demo care record was refused: {outcome.errors[0]}")


def existing_demo(company: Company) -> Demo:
    """The demo company as it is now, with the saved keys that still work."""
    bp = (
        Device.objects.for_company(company)
        .filter(model__kind="blood_pressure", imei__isnull=False)
        .select_related("patient")
        .order_by("created_at", "id")
        .first()
    )
    order = company.orders.filter(status="awaiting_shipment").order_by("placed_at").first()
    saved = _saved(company)
    demo = Demo(
        company=company,
        created=False,
        keys=load_keys(company),
        patient_id=bp.patient.external_id if bp and bp.patient else "",
        imei=bp.imei if bp else "",
        order_number=order.number if order else "",
    )
    user = (
        get_user_model()
        .objects.filter(
            username=saved.get("console", {}).get("username", ""), membership__company=company
        )
        .first()
    )
    password = saved.get("console", {}).get("password", "")
    if user is not None and user.is_active and user.check_password(password):
        demo.username, demo.password = user.get_username(), password
    ping = saved.get("ping", {})
    if Application.objects.filter(
        client_id=ping.get("client_id", ""), user__membership__company=company
    ).exists():
        demo.client_id, demo.client_secret = ping["client_id"], ping.get("client_secret", "")
    demo.counts = _counts(company)
    return demo


def _counts(company: Company) -> dict[str, int]:
    from pulsebridge.readings.models import Measurement

    return {
        "patients": company.patients.count(),
        "devices": company.devices.count(),
        "orders": company.orders.count(),
        "readings": Measurement.objects.for_company(company).count(),
    }


def save_keys(demo: Demo) -> Path:
    """Write the keys readable by this user only (0600), replacing any older file whole."""
    path = keys_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(
            {
                "company": demo.company.code,
                "company_id": str(demo.company.pk),
                "keys": demo.keys,
                "console": {"username": demo.username, "password": demo.password},
                "ping": {"client_id": demo.client_id, "client_secret": demo.client_secret},
            },
            handle,
            indent=2,
        )
    os.chmod(temporary, 0o600)  # the file may have existed with wider rights
    os.replace(temporary, path)
    return path


def _saved(company: Company) -> dict[str, Any]:
    """What the keys file holds for this company (of this database), else nothing."""
    try:
        saved = json.loads(keys_path().read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(saved, dict) or saved.get("company_id") != str(company.pk):
        return {}
    return {
        k: v for k, v in saved.items() if k in ("keys", "console", "ping") and isinstance(v, dict)
    }


def load_keys(company: Company) -> dict[str, str]:
    """The saved keys that still open this company's APIs (not revoked, same database)."""
    saved = _saved(company)
    keys = {}
    for dialect, key in (saved.get("keys") or {}).items():
        if dialect not in ApiKey.Dialect.values or not isinstance(key, str):
            continue
        api_key = find_api_key(key, dialect)
        if api_key is not None and api_key.company_id == company.pk:
            keys[dialect] = key
    return keys


def curl_examples(demo: Demo, base_url: str, *, now: datetime | None = None) -> list[str]:
    """Calls to paste into a shell: Pylo devices, Pylo readings, one ingest reading, the
    patient in FHIR, this month's RPM billing report."""
    missing = "<{} key: pulsebridge apikey create --company " + CODE + " --dialect {}>"
    pylo, ingest, fhir, api = (
        demo.keys.get(d, missing.format(d, d)) for d in ("pylo", "ingest", "fhir", "api")
    )
    at = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    reading: dict[str, Any] = {
        "imei": demo.imei or "<IMEI>",
        "kind": "blood_pressure",
        "measured_at": at.isoformat().replace("+00:00", "Z"),
        "values": {"systolic": 128, "diastolic": 82, "pulse": 70},
    }
    json_header = "-H 'content-type: application/json'"
    return [
        f"curl -s {base_url}/pylo/devices -H 'x-api-key: {pylo}'",
        f"curl -s -X POST {base_url}/pylo/readings -H 'x-api-key: {pylo}' {json_header} "
        f"-d '{json.dumps({'patient_id': demo.patient_id or 'P-1001'})}'",
        f"curl -s -X POST {base_url}/ingest/v1/measurements -H 'x-api-key: {ingest}' "
        f"{json_header} -d '{json.dumps(reading)}'",
        f"curl -s '{base_url}/fhir/R4/Patient?identifier={demo.patient_id or 'P-1001'}' "
        f"-H 'Authorization: Bearer {fhir}'",
        f"curl -s '{base_url}/api/v1/billing/report?month={at:%Y-%m}' -H 'x-api-key: {api}'",
    ]


def ping_token_example(demo: Demo, base_url: str) -> str:
    """The call that gets a PING access token with the demo's client credentials."""
    body = {
        "grant_type": "client_credentials",
        "client_id": demo.client_id,
        "client_secret": demo.client_secret,
    }
    return (
        f"curl -s -X POST {base_url}/ping/auth/token/ -H 'content-type: application/json' "
        f"-d '{json.dumps(body)}'"
    )
