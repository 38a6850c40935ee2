"""FHIR personas: Alice's company owns the patients, devices and readings; Bob (her colleague)
holds a client-credentials application; Charlie's company, with its own key, sees none of it.

Every answer these clients get is checked: a JSON body must be a FHIR R4 resource that
``fhir.resources`` (6.4.0, FHIR 4.0.1) parses, with no empty element (FHIR's ele-1), and an
export file must hold one such resource per line. A resource that does not parse fails the
test that received it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from fhir.resources import construct_fhir_element

BASE = "/fhir/R4"
T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def _no_empty(value, where="$"):
    if isinstance(value, dict):
        assert value, f"empty object at {where}"
        for key, item in value.items():
            _no_empty(item, f"{where}.{key}")
    elif isinstance(value, list):
        assert value, f"empty array at {where}"
        for index, item in enumerate(value):
            _no_empty(item, f"{where}[{index}]")
    elif isinstance(value, str):
        assert value.strip(), f"empty string at {where}"
    else:
        assert value is not None, f"null at {where}"


def validate(resource: dict):
    """Parse ``resource`` with the FHIR R4 models; fails the test if it does not parse."""
    assert isinstance(resource, dict), resource
    assert "resourceType" in resource, resource
    _no_empty(resource)
    return construct_fhir_element(resource["resourceType"], resource)


class FhirClient:
    """``fhir.get("/Patient", {"name": "ann"})`` with ``Authorization: Bearer <credential>``;
    every FHIR body answered is validated."""

    def __init__(self, credential: str | None):
        self.client = Client()
        self.credential = credential

    def _headers(self, headers):
        if self.credential is not None:
            headers.setdefault("HTTP_AUTHORIZATION", f"Bearer {self.credential}")
        return headers

    def _checked(self, response):
        kind = response.get("Content-Type", "")
        if "json" in kind and not kind.startswith("application/fhir+ndjson"):
            body = json.loads(b"".join(response.streaming_content) if response.streaming
                              else response.content)  # fmt: skip
            if "resourceType" in body:
                validate(body)
            response.fhir = body
        elif kind.startswith("application/fhir+ndjson"):
            lines = b"".join(response.streaming_content).decode().splitlines()
            response.fhir = [json.loads(line) for line in lines]
            for resource in response.fhir:
                validate(resource)
        else:
            assert not response.content, f"a {response.status_code} with a {kind!r} body"
            response.fhir = None
        return response

    def get(self, path, params=None, **headers):
        url = path if path.startswith(("http", BASE)) else BASE + path
        url = url.replace("http://testserver", "")
        return self._checked(self.client.get(url, params or {}, **self._headers(headers)))

    def delete(self, path, **headers):
        url = path.replace("http://testserver", "")
        url = url if url.startswith(BASE) else BASE + url
        return self._checked(self.client.delete(url, **self._headers(headers)))

    def post(self, path, body=None, **headers):
        return self._checked(
            self.client.post(
                BASE + path, body or {}, content_type="application/json", **self._headers(headers)
            )
        )


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "pulsebridge.core.hashers.KeyedSecretHasher",  # client secrets
    ]


@pytest.fixture(autouse=True)
def _exports_in_tmp(settings, tmp_path):
    storages = dict(settings.STORAGES)
    storages["fhir_exports"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "fhir-exports")},
    }
    settings.STORAGES = storages
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def alice_fhir(alice, make_key):
    return FhirClient(make_key(alice, "fhir"))


@pytest.fixture
def charlie_fhir(charlie, make_key):
    return FhirClient(make_key(charlie, "fhir"))


def token_for(user, scope: str) -> str:
    from pulsebridge.tracking.applications import create_application

    application, secret = create_application(user, name="EHR", grant_type="client-credentials")
    response = Client().post(
        "/ping/auth/token/",
        {
            "client_id": application.client_id,
            "client_secret": secret,
            "grant_type": "client_credentials",
            "scope": scope,
        },
    )
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


@pytest.fixture
def bob_token(bob):
    return lambda scope="system/*.read": token_for(bob, scope)


@pytest.fixture
def record(alice):
    """Record readings as a device posts them; returns the stored readings' ids."""
    from pulsebridge.ingest.readings import record_items as record_measurements

    def record(items, company=alice, now=None):
        outcomes = record_measurements(company, items, now=now or T0 + timedelta(hours=12))
        assert all(o.status == "created" for o in outcomes), [o.as_dict() for o in outcomes]
        return [o.id for o in outcomes]

    return record


@pytest.fixture
def ann(alice):
    """Alice's patient Ann, with the care client details a Hayylo import brought."""
    from pulsebridge.care.models import CareClient
    from pulsebridge.devices.services import ensure_patient

    patient = ensure_patient(alice, "P-ANN", name="Ann Example", phone_number="+15550001")
    CareClient.objects.create(
        company=alice, external_id="P-ANN", patient=patient, first_name="Ann",
        last_name="Example", phone="+15550001", phone2="+15550002", email="ann@example.com",
        address="1 Main St", suburb="Springfield", state="IL", post_code="62701",
        gender="female", dob=datetime(1950, 4, 1).date(),
    )  # fmt: skip
    return patient


@pytest.fixture
def fleet(alice, ann, add_device):
    """One device of every measuring kind, all serving Ann."""
    from pulsebridge.devices.services import assign_device

    devices = {
        "blood_pressure": add_device(alice, "PY-802-LTE"),
        "weight": add_device(alice, "PY-300-LTE"),
        "glucose": add_device(alice, "PY-GL1-LTE"),
        "pulse_oximetry": add_device(alice, "PY-OX1-LTE"),
        "temperature": add_device(alice, "TENOVI-THERMOMETER", serial="THERMO-1"),
        "peak_flow": add_device(alice, "TENOVI-PEAK-FLOW", serial="PEAKFLOW-1"),
    }
    for device in devices.values():
        assign_device(device, patient_id="P-ANN")
    return devices


def reading(device, kind, values, at=T0, **extra):
    ref = {"imei": device.imei} if device.imei else {"serial": device.serial}
    return {**ref, "kind": kind, "measured_at": at.isoformat(), "values": values, **extra}
