"""The demo company that ``make run`` (``pulsebridge demo``) creates in an empty database.

A company with one key per dialect, three patients, six devices, an order awaiting shipment and
two weeks of simulated readings: enough to try every API at once. The keys are shown once, like
any key, and also kept in ``VAR_DIR/demo-keys.json`` (mode 0600) so that the next ``make run``
can show them again."""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from pulsebridge.core.apikeys import create_api_key, find_api_key
from pulsebridge.core.models import ApiKey, Company
from pulsebridge.core.services import create_company
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

CODE = "demo-clinic"
NAME = "Demo Clinic"
INSTANCE_ID = "100"
DIALECTS = ("pylo", "tenovi", "hayylo", "ingest")
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
        keys = {dialect: create_api_key(company, dialect).key for dialect in DIALECTS}
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
        outcomes = record_measurements(company, items, now=now)
        failed = [o for o in outcomes if o.status == "error"]
        if failed:  # the simulator and the validator disagree: a bug, not bad luck
            raise RuntimeError(f"demo readings were refused: {failed[0].as_dict()}")
    demo = Demo(
        company=company,
        created=True,
        keys=keys,
        patient_id=DEVICES[0][1],
        imei=devices[0].imei or "",
        readings=sum(1 for o in outcomes if o.status == "created"),
        order_number=order.number,
    )
    demo.counts = _counts(company)
    return demo


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
    demo = Demo(
        company=company,
        created=False,
        keys=load_keys(company),
        patient_id=bp.patient.external_id if bp and bp.patient else "",
        imei=bp.imei if bp else "",
        order_number=order.number if order else "",
    )
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
            {"company": demo.company.code, "company_id": str(demo.company.pk), "keys": demo.keys},
            handle,
            indent=2,
        )
    os.chmod(temporary, 0o600)  # the file may have existed with wider rights
    os.replace(temporary, path)
    return path


def load_keys(company: Company) -> dict[str, str]:
    """The saved keys that still open this company's APIs (not revoked, same database)."""
    try:
        saved = json.loads(keys_path().read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(saved, dict) or saved.get("company_id") != str(company.pk):
        return {}
    keys = {}
    for dialect, key in (saved.get("keys") or {}).items():
        if dialect not in ApiKey.Dialect.values or not isinstance(key, str):
            continue
        api_key = find_api_key(key, dialect)
        if api_key is not None and api_key.company_id == company.pk:
            keys[dialect] = key
    return keys


def curl_examples(demo: Demo, base_url: str, *, now: datetime | None = None) -> list[str]:
    """Three calls to paste into a shell: Pylo devices, Pylo readings, one ingest reading."""
    pylo = demo.keys.get("pylo", "<pylo key: pulsebridge apikey create --dialect pylo>")
    ingest = demo.keys.get("ingest", "<ingest key: pulsebridge apikey create --dialect ingest>")
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
    ]
