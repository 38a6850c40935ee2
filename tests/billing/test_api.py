"""The billing report, setup dates and the time log through the native API at /api/v1/."""

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest

from pulsebridge.billing import services
from pulsebridge.core.models import AuditEntry
from pulsebridge.ingest.readings import record_items as record_measurements


@pytest.fixture
def cuff(alice, add_device):
    from pulsebridge.devices.services import assign_device, create_patient

    create_patient(alice, "P-1", name="Pat One")
    return assign_device(add_device(alice), patient_id="P-1")


@pytest.fixture
def api(client, alice, make_key):
    key = make_key(alice, "api")

    def call(method, path, body=None, **params):
        kwargs = {"HTTP_X_API_KEY": key}
        if body is not None:
            kwargs.update(data=body, content_type="application/json")
        elif params:
            kwargs["data"] = params
        return getattr(client, method)(f"/api/v1/{path}", **kwargs)

    return call


def readings(alice, cuff, first: date, n: int):
    items = [
        {"kind": "blood_pressure", "imei": cuff.imei,
         "measured_at": f"{first + timedelta(days=d)}T09:00:00Z",
         "values": {"systolic": 120, "diastolic": 80}}
        for d in range(n)
    ]  # fmt: skip
    record_measurements(alice, items, now=datetime(2026, 12, 1, tzinfo=UTC))


def test_the_report_endpoint_answers_what_the_cli_prints(api, alice, cuff):
    readings(alice, cuff, date(2026, 10, 10), 18)
    response = api("post", "patients/P-1/time-entries",
                   {"clinician": "Nurse Joy", "minutes": 42, "performed_at": "2026-11-04T15:00:00Z",
                    "note": "reviewed readings"})  # fmt: skip
    assert response.status_code == 201
    assert response.json()["minutes"] == 42
    body = api("get", "billing/report", month="2026-11").json()
    assert body == services.as_json(services.report(alice, "2026-11"))
    [patient] = body["patients"]
    assert (patient["cpt_99454"], patient["cpt_99453"]) == (1, 1)
    assert (patient["cpt_99457"], patient["cpt_99458"]) == (1, 1)
    response = api("get", "billing/report", month="2026-11", format="csv")
    assert response["content-type"].startswith("text/csv")
    [row] = csv.DictReader(io.StringIO(response.content.decode()))
    assert (row["patient_id"], row["days"], row["minutes"]) == ("P-1", "18", "42")
    assert AuditEntry.objects.filter(action="billing.report").count() == 2
    assert AuditEntry.objects.filter(action="billing.time", patient="P-1").exists()


def test_a_bad_month_or_format_is_a_400(api):
    response = api("get", "billing/report", month="11/2026")
    assert response.status_code == 400
    assert "YYYY-MM" in response.json()["message"]
    assert api("get", "billing/report", month="2026-11", format="xml").status_code == 400


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"clinician": "Joy", "minutes": 0}, "minutes"),
        ({"clinician": "Joy", "minutes": "20"}, "minutes"),
        ({"minutes": 20}, "clinician"),
        ({"clinician": "Joy", "minutes": 20, "performed_at": "yesterday"}, "performed_at"),
        ({"clinician": "Joy", "minutes": 20, "performed_at": "2026-11-04T15:00:00"}, "zone"),
    ],
)
def test_a_bad_time_entry_is_a_400_and_nothing_is_logged(api, cuff, body, message):
    response = api("post", "patients/P-1/time-entries", body)
    assert response.status_code == 400
    assert message in response.json()["message"]
    assert api("get", "patients/P-1/time-entries").json()["results"] == []


def test_a_setup_date_is_recorded_and_starts_the_period(api, alice, cuff):
    readings(alice, cuff, date(2026, 10, 1), 5)
    response = api("post", "patients/P-1/setups", {"setup_on": "2026-10-03"})
    assert response.status_code == 201
    [line] = services.report(alice, "2026-11").lines
    assert line.periods[0].start == date(2026, 10, 3)
    assert api("post", "patients/P-1/setups", {"setup_on": "3 Oct"}).status_code == 400


def test_another_companys_patient_is_404(api, charlie):
    from pulsebridge.devices.services import create_patient

    create_patient(charlie, "C-1")
    assert api("get", "patients/C-1/time-entries").status_code == 404
    response = api("post", "patients/C-1/time-entries", {"clinician": "Joy", "minutes": 5})
    assert response.status_code == 404
