import json
import shlex
import stat
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from django.core.management.base import CommandError

from pulsebridge.core.apikeys import find_api_key
from pulsebridge.core.models import ApiKey, Company
from pulsebridge.devices.models import Device, Patient
from pulsebridge.fulfillment.models import Order
from pulsebridge.operations.demo import DIALECTS, keys_path
from pulsebridge.readings.models import Measurement


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (Company, ApiKey, Patient, Device, Order, Measurement)
    }


def test_it_creates_the_demo_company_in_an_empty_database(run):
    output = run("demo", "--no-serve")
    company = Company.objects.get()
    assert (company.code, company.name, company.instance_id) == (
        "demo-clinic",
        "Demo Clinic",
        "100",
    )
    assert sorted(ApiKey.objects.values_list("dialect", flat=True)) == sorted(DIALECTS)
    assert Patient.objects.count() == 3
    assert Device.objects.count() == 8
    assert Device.objects.filter(model__kind="gateway").count() == 1
    assert Device.objects.filter(model__kind="asset_tracker").count() == 2
    assert Order.objects.get().status == "awaiting_shipment"
    assert "Created the demo company 'demo-clinic'" in output


def test_it_stores_two_weeks_of_readings_for_every_measuring_device(run):
    run("demo", "--no-serve")
    now = datetime.now(UTC)
    for device in Device.objects.exclude(model__kind__in=["gateway", "asset_tracker"]):
        readings = Measurement.objects.filter(device=device)
        assert device.model.kind == readings.values_list("kind", flat=True).distinct().get()
        assert 14 * 2 <= readings.count() <= 14 * 3
        assert readings.earliest("measured_at").measured_at >= now - timedelta(days=14)
        assert readings.latest("measured_at").measured_at <= now
        assert device.billing_status == "active"
        assert device.patient is not None


def printed_curls(output: str) -> list[list[str]]:
    return [
        shlex.split(line.strip())
        for line in output.splitlines()
        if line.strip().startswith("curl ") and "/ping/" not in line
    ]


def test_it_prints_every_key_and_a_curl_call_for_each_api(run):
    output = run("demo", "--no-serve")
    keys = json.loads(keys_path().read_text())["keys"]
    assert set(keys) == set(DIALECTS)
    for dialect, key in keys.items():
        assert key in output
        assert find_api_key(key, dialect) is not None
    urls = [next(a for a in curl if a.startswith("http")) for curl in printed_curls(output)]
    assert [urlsplit(url).path for url in urls] == [
        "/pylo/devices",
        "/pylo/readings",
        "/ingest/v1/measurements",
        "/fhir/R4/Patient",
        "/api/v1/billing/report",
    ]


def test_every_printed_call_answers_200(run, client):
    """What a new user pastes first works: each curl the demo prints, sent as curl sends it."""
    output = run("demo", "--no-serve")
    for curl in printed_curls(output):
        url = next(a for a in curl if a.startswith("http"))
        headers = [curl[i + 1] for i, a in enumerate(curl) if a == "-H"]
        meta = {
            "HTTP_" + name.strip().upper().replace("-", "_"): value.strip()
            for name, value in (h.split(":", 1) for h in headers)
        }
        meta.pop("HTTP_CONTENT_TYPE", None)
        body = curl[curl.index("-d") + 1] if "-d" in curl else None
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if body is None:
            response = client.get(path, **meta)
        else:
            response = client.post(path, body, content_type="application/json", **meta)
        assert response.status_code == 200, (url, response.content[:300])


def test_the_ingest_example_is_a_reading_the_ingest_api_accepts(run, client):
    output = run("demo", "--no-serve")
    curl = next(line for line in output.splitlines() if "/ingest/v1/measurements" in line)
    body = curl.split(" -d '", 1)[1].rstrip("'")
    key = json.loads(keys_path().read_text())["keys"]["ingest"]
    response = client.post(
        "/ingest/v1/measurements", body, content_type="application/json", HTTP_X_API_KEY=key
    )
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 1


def test_it_keeps_the_keys_readable_by_their_owner_only(run, var_dir):
    (var_dir / "demo-keys.json").write_text("{}")
    (var_dir / "demo-keys.json").chmod(0o644)
    run("demo", "--no-serve")
    assert stat.S_IMODE(keys_path().stat().st_mode) == 0o600


def test_a_second_run_creates_nothing_and_shows_the_same_keys(run):
    first = run("demo", "--no-serve")
    before = counts()
    second = run("demo", "--no-serve")
    assert counts() == before
    assert "already here" in second
    for key in json.loads(keys_path().read_text())["keys"].values():
        assert key in first
        assert key in second


def test_a_revoked_key_is_not_shown_again(run):
    run("demo", "--no-serve")
    pylo = json.loads(keys_path().read_text())["keys"]["pylo"]
    run("apikey", "revoke", pylo.rsplit("_", 1)[0])
    again = run("demo", "--no-serve")
    assert pylo not in again
    assert "No saved key for pylo" in again


def test_it_adds_no_demo_to_a_database_in_use(run, alice):
    output = run("demo", "--no-serve")
    assert list(Company.objects.values_list("code", flat=True)) == ["alice-care"]
    assert "no demo data added" in output
    assert not keys_path().exists()


def test_it_serves_after_preparing_unless_told_not_to(run, monkeypatch):
    served = {}

    def fake_run(stdout, stderr, **options):
        served.update(options)

    monkeypatch.setattr("pulsebridge.operations.management.commands.serve.run", fake_run)
    output = run("demo", "--port", "8123", "--no-worker")
    assert served["port"] == 8123
    assert served["with_worker"] is False
    assert "http://127.0.0.1:8123/pylo/devices" in output


def test_it_refuses_a_port_that_is_not_a_number(run):
    with pytest.raises(CommandError, match="--port"):
        run("demo", "--no-serve", "--port", "http")


def test_it_prints_the_console_owner_who_can_sign_in(run, client):
    output = run("demo", "--no-serve")
    saved = json.loads(keys_path().read_text())["console"]
    assert f"sign in as {saved['username']} / {saved['password']} (owner)" in output
    response = client.post("/", {"username": saved["username"], "password": saved["password"]})
    assert response.status_code == 302
    assert response["Location"] == "/patients/"


def test_it_prints_ping_client_credentials_that_get_a_token(run, client):
    output = run("demo", "--no-serve")
    ping = json.loads(keys_path().read_text())["ping"]
    assert f"client_id     {ping['client_id']}" in output
    assert f"client_secret {ping['client_secret']}" in output
    curl = next(line for line in output.splitlines() if "/ping/auth/token/" in line)
    body = json.loads(curl.split(" -d '", 1)[1].rstrip("'"))
    token = client.post("/ping/auth/token/", body, content_type="application/json")
    assert token.status_code == 200
    trackers = client.get(
        "/ping/1.0/devices/devices/", HTTP_AUTHORIZATION=f"Bearer {token.json()['access_token']}"
    )
    assert trackers.status_code == 200
    assert trackers.json()["count"] == 2


def test_a_second_run_shows_the_same_sign_in_and_credentials(run):
    first = run("demo", "--no-serve")
    second = run("demo", "--no-serve")
    saved = json.loads(keys_path().read_text())
    assert saved["console"]["password"] in second
    assert saved["ping"]["client_secret"] in second
    assert "sign in as" in first


def test_the_demo_has_a_care_record_and_trackers_in_a_geo_group(run):
    from pulsebridge.care.models import CareClient, ClientDocument
    from pulsebridge.tracking.models import GeoMembership

    run("demo", "--no-serve")
    client = CareClient.objects.get(external_id="P-1001")
    assert client.patient.external_id == "P-1001"
    assert ClientDocument.objects.filter(client=client).count() == 1
    assert client.visits.count() == 1
    assert GeoMembership.objects.count() >= 1
