import html
import json
import re

from pulsebridge.care.models import CareClient, ClientDocument
from pulsebridge.core.models import AuditEntry
from pulsebridge.core.services import update_company
from pulsebridge.devices.services import ensure_patient
from pulsebridge.readings.models import Measurement


def chart_data(page: str) -> list[dict]:
    found = re.search(r'<div class="charts" data-days="\d+" data-charts="([^"]*)">', page)
    assert found, "the page carries no chart data"
    return json.loads(html.unescape(found.group(1)))


def test_the_list_shows_each_patient_s_latest_values_and_days_with_readings(
    owner, as_user, patient_with_readings
):
    page = as_user(owner).get("/patients/").content.decode()
    assert "P-1" in page
    assert "120/80 mmHg, pulse 70" in page  # the newest blood pressure
    assert "80 kg" in page
    assert "3 / 30" in page


def test_the_list_counts_each_patient_s_open_alerts(owner, as_user, alice, patient_with_readings):
    from pulsebridge.alerts import services as alerts
    from pulsebridge.ingest.readings import record_items

    def open_alerts_cell(page: str) -> str:
        row = re.search(r"<tr>\s*<td><a[^>]*>[^<]*</a></td>\s*<td>P-1</td>.*?</tr>", page, re.S)
        assert row, "no row of P-1"
        return re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)[-1]

    assert open_alerts_cell(as_user(owner).get("/patients/").content.decode()) == "0"
    cuff = patient_with_readings.devices.get(model__kind="blood_pressure")
    high = {"imei": cuff.imei, "kind": "blood_pressure", "measured_at": "2026-12-01T08:00:00Z",
            "values": {"systolic": 190, "diastolic": 80, "pulse": 70}}  # fmt: skip
    [outcome] = record_items(alice, [high])
    assert outcome.status == "created"
    cell = open_alerts_cell(as_user(owner).get("/patients/").content.decode())
    assert ">1</a>" in cell
    [alert] = alerts.alerts(alice, status="open", patient=patient_with_readings)
    alerts.resolve(alert, by="test")
    assert open_alerts_cell(as_user(owner).get("/patients/").content.decode()) == "0"


def test_the_list_searches_sorts_and_pages(owner, as_user, alice, patient_with_readings):
    for n in range(30):
        ensure_patient(alice, f"Q-{n:02}", name=f"Quiet {n:02}")
    client = as_user(owner)
    found = client.get("/patients/", {"q": "quiet 07"}).content.decode()
    assert "Q-07" in found
    assert "Q-08" not in found
    by_days = client.get("/patients/", {"sort": "-days"}).content.decode()
    assert by_days.index("P-1") < by_days.index("Q-")
    second = client.get("/patients/", {"sort": "name", "page": 2}).content.decode()
    assert "Page 2 of 2" in second


def test_htmx_gets_only_the_table(owner, as_user, patient_with_readings):
    response = as_user(owner).get("/patients/", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="patients">')
    assert "<html" not in body


def test_the_patient_page_charts_its_readings_and_is_audited(
    owner, as_user, alice, patient_with_readings
):
    patient = patient_with_readings
    page = as_user(owner).get(f"/patients/{patient.pk}/").content.decode()
    charts = {c["kind"]: c for c in chart_data(page)}
    systolic = charts["blood_pressure"]["datasets"][0]
    assert systolic["label"].startswith("Systolic")
    assert sorted(p["y"] for p in systolic["data"]) == [120, 121, 122]
    assert charts["weight"]["datasets"][0]["data"][0]["y"] == 80
    entry = AuditEntry.objects.get(action="patient.view")
    assert (entry.company, entry.actor, entry.patient) == (alice, "alice", "P-1")


def test_weights_are_shown_in_the_company_s_unit(owner, as_user, alice, patient_with_readings):
    update_company(alice, weight_unit="lb")
    page = as_user(owner).get(f"/patients/{patient_with_readings.pk}/").content.decode()
    weights = next(c for c in chart_data(page) if c["kind"] == "weight")
    assert weights["datasets"][0]["data"][0]["y"] == 176.37
    assert "176.37 lb" in page


def test_the_chart_period_is_7_30_or_90_days(owner, as_user, patient_with_readings):
    client = as_user(owner)
    url = f"/patients/{patient_with_readings.pk}/"
    partial = client.get(url, {"days": 7, "part": "charts"}, HTTP_HX_REQUEST="true")
    assert partial.content.decode().lstrip().startswith('<section id="charts"')
    assert 'data-days="7"' in partial.content.decode()
    assert 'data-days="30"' in client.get(url, {"days": 5}).content.decode()


def test_the_readings_table_is_what_pylo_readings_answers_for_the_patient(
    owner, as_user, alice, make_key, client, patient_with_readings
):
    pylo = client.post(
        "/pylo/readings",
        {"patient_id": "P-1"},
        content_type="application/json",
        HTTP_X_API_KEY=make_key(alice, "pylo"),
    ).json()
    page = as_user(owner).get(f"/patients/{patient_with_readings.pk}/").content.decode()
    shown = re.findall(r'data-reading="([0-9a-f-]+)"', page)
    assert sorted(shown) == sorted(m["Id"] for m in pylo["measurements"])


def test_the_readings_table_pages_and_each_page_is_audited(owner, as_user, patient_with_readings):
    client = as_user(owner)
    url = f"/patients/{patient_with_readings.pk}/readings"
    response = client.get(url, {"page": 1}, HTTP_HX_REQUEST="true")
    assert response.content.decode().lstrip().startswith('<div id="readings">')
    assert AuditEntry.objects.filter(action="patient.readings", patient="P-1").count() == 1
    assert client.get(url)["Location"] == f"/patients/{patient_with_readings.pk}/"


def test_the_devices_show_battery_signal_and_last_seen(owner, as_user, patient_with_readings):
    page = as_user(owner).get(f"/patients/{patient_with_readings.pk}/").content.decode()
    newest = Measurement.objects.filter(kind="blood_pressure").latest("measured_at")
    assert f"{newest.battery} %" in page
    assert "PY-802-LTE" in page or "Pylo BP" in page


def _care_record(alice, patient):
    from django.core.files.base import ContentFile

    client = CareClient.objects.create(
        company=alice, external_id="P-1", patient=patient, first_name="Ada", last_name="Byron"
    )
    client.family.create(company=alice, external_id="F-1", full_name="Ann Byron")
    doc = ClientDocument(
        company=alice,
        external_id="DOC-1",
        client=client,
        title="CarePlan",
        extension="pdf",
        size=9,
        sha256="0" * 64,
    )
    doc.file.save("care/test/careplan.pdf", ContentFile(b"%PDF-test"), save=False)
    doc.save()
    return doc


def test_the_care_record_and_a_document_download_which_is_audited(
    owner, as_user, alice, patient_with_readings, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    doc = _care_record(alice, patient_with_readings)
    client = as_user(owner)
    page = client.get(f"/patients/{patient_with_readings.pk}/").content.decode()
    assert "Ada Byron" in page
    assert "Ann Byron" in page
    response = client.get(f"/patients/{patient_with_readings.pk}/documents/{doc.pk}")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-test"
    assert 'filename="CarePlan.pdf"' in response["Content-Disposition"]
    entry = AuditEntry.objects.get(action="patient.document.download")
    assert (entry.patient, entry.target) == ("P-1", "DOC-1")


def test_another_patient_s_document_is_not_found(
    owner, as_user, alice, patient_with_readings, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    doc = _care_record(alice, patient_with_readings)
    other = ensure_patient(alice, "P-2")
    response = as_user(owner).get(f"/patients/{other.pk}/documents/{doc.pk}")
    assert response.status_code == 404
    assert not AuditEntry.objects.filter(action="patient.document.download").exists()
