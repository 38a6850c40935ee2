"""Console personas: in Alice's company an owner (Alice), a clinician (Bob's colleague Cleo),
an operator (Otto) and a viewer (Vera); Charlie owns Charlie Health, which must see none of it."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.test import Client

from pulsebridge.core.models import Membership
from pulsebridge.core.services import NewUser, create_user
from pulsebridge.devices.services import assign_device
from pulsebridge.ingest.readings import record_items as record_measurements

PASSWORD = "correct horse battery staple"


def make_user(company, username, role):
    return create_user(company, NewUser(username=username, password=PASSWORD, role=role))


@pytest.fixture
def owner(alice):
    return make_user(alice, "alice", Membership.Role.OWNER)


@pytest.fixture
def clinician(alice):
    return make_user(alice, "cleo", Membership.Role.CLINICIAN)


@pytest.fixture
def operator(alice):
    return make_user(alice, "otto", Membership.Role.OPERATOR)


@pytest.fixture
def viewer(alice):
    return make_user(alice, "vera", Membership.Role.VIEWER)


@pytest.fixture
def charlie_user(charlie):
    return make_user(charlie, "charlie", Membership.Role.OWNER)


@pytest.fixture
def as_user():
    """A test client signed in as ``user`` (CSRF checks on, as a browser meets them)."""

    def sign_in(user):
        client = Client(enforce_csrf_checks=False)
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def patient_with_readings(alice, add_device):
    """Alice's patient P-1 with a blood pressure cuff and a scale, three days of readings."""
    cuff = assign_device(add_device(alice, "PY-802-LTE"), patient_id="P-1")
    scale = assign_device(add_device(alice, "PY-300-LTE"), patient_id="P-1")
    now = datetime.now(UTC).replace(microsecond=0)
    items = []
    for day in range(3):
        at = (now - timedelta(days=day, hours=1)).isoformat().replace("+00:00", "Z")
        items.append(
            {
                "imei": cuff.imei,
                "kind": "blood_pressure",
                "measured_at": at,
                "values": {"systolic": 120 + day, "diastolic": 80, "pulse": 70},
                "battery": 15,
            }
        )
        items.append(
            {
                "imei": scale.imei,
                "kind": "weight",
                "measured_at": at,
                "values": {"weight": 80.0, "unit": "kg"},
            }
        )
    outcomes = record_measurements(alice, items)
    assert all(o.status == "created" for o in outcomes), outcomes
    cuff.patient.refresh_from_db()
    return cuff.patient


@pytest.fixture(autouse=True)
def _console_settings(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    # argon2 is what production hashes with; here it would only make every persona slow
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "pulsebridge.core.hashers.KeyedSecretHasher",  # client secrets
    ]


# --- the browser tests ----------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PROJECT = Path(__file__).resolve().parents[2]
AXE = PROJECT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = PROJECT / "var" / "test-artifacts" / "console"


@pytest.fixture(scope="session")
def browser_type_launch_args():
    """Debian's chromium, never a browser Playwright downloads (none can be downloaded here)."""
    return {"executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture
def chromium():
    from tests.conftest import missing_service

    if not Path(CHROMIUM).exists():
        missing_service(f"{CHROMIUM} is not installed (apt-get install -y chromium)")
    if not AXE.exists():
        missing_service(f"{AXE} is missing (make install runs npm ci)")


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    from .live import live_server

    with live_server(tmp_path_factory.mktemp("console-live")) as server:
        yield server


@pytest.fixture(scope="session")
def artifacts(pytestconfig):
    backend = (
        "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    )
    folder = ARTIFACTS / backend
    folder.mkdir(parents=True, exist_ok=True)
    pytestconfig.stash[ARTIFACTS_KEY] = folder
    return folder


ARTIFACTS_KEY = pytest.StashKey[Path]()


def pytest_terminal_summary(terminalreporter, config):
    folder = config.stash.get(ARTIFACTS_KEY, None)
    if folder is not None:
        shots = sorted(folder.glob("*.png"))
        terminalreporter.write_line(f"console screenshots ({len(shots)}): {folder}")
