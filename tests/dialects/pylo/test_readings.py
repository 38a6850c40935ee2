"""POST /readings: filters AND-ed, cursor pages, the measurement object of the document."""

import os

import pytest

from tests.plans import assert_page_queries_never_planned_generic

READING_FIELDS = {
    "DeviceUser": str,
    "MeasurementType": str,
    "DeviceId": str,
    "MeasuredAt": str,
    "BatteryPercentage": int,
    "DeviceModel": str,
    "DeviceType": str,
    "InsertedAt": str,
    "DeviceSim": str,
    "Id": str,
    "DeviceImei": str,
    "SignalStrengthPercentage": int,
    "PatientId": str,
    "PracticeId": str,
    "TenantId": str,
    "Values": list,
    "RadioAccessTechnology": str,
    "NetworkName": str,
    "TowerLongitude": str,
    "TowerLatitude": str,
}


@pytest.fixture
def cuff(alice, add_device):
    from pulsebridge.devices.services import assign_device

    device = add_device(alice, "PY-802-LTE", imei="356000000000001", sim="sim1")
    return assign_device(device, patient_id="patient_id1", practice_id="practice_id1")


def bp(at, systolic=129, diastolic=84, pulse=62, **extra):
    return {
        "imei": "356000000000001",
        "kind": "blood_pressure",
        "measured_at": at,
        "values": {"systolic": systolic, "diastolic": diastolic, "pulse": pulse, "irregular": 0},
        "battery": 58,
        "signal": 94,
        "radio": "radio_access_tech_1",
        "network": "network_1",
        "tower_longitude": "longitude_1",
        "tower_latitude": "latitude_1",
        **extra,
    }


def test_a_blood_pressure_reading_reads_as_the_documents_example(pylo, cuff, record):
    [reading_id] = record([bp("2021-02-23T22:06:00Z")])
    body = pylo.post("/readings", {"imei": "356000000000001"}).json()
    assert body["count"] == 1
    [m] = body["measurements"]
    assert list(m) == list(READING_FIELDS)
    for name, kind in READING_FIELDS.items():
        assert isinstance(m[name], kind), name
    assert m["Id"] == reading_id
    assert m["MeasurementType"] == "Blood Pressure"
    assert m["MeasuredAt"] == "2021-02-23T22:06:00.000Z"
    assert m["DeviceModel"] == "PY-802-LTE"
    assert m["DeviceType"] == "PyloBp"
    assert m["DeviceUser"] == "1"
    assert (m["PatientId"], m["PracticeId"]) == ("patient_id1", "practice_id1")
    assert m["Values"] == [
        {"Value": 84, "Type": "diastolic"},
        {"Value": 129, "Type": "systolic"},
        {"Value": 62, "Type": "pulse"},
        {"Value": 0, "Type": "irregular"},
    ]
    assert body["page_info"] == {"cursor_token": None}


def test_weight_is_answered_in_pounds_whatever_the_scale_sent(pylo, alice, add_device, record):
    add_device(alice, "PY-300-LTE", imei="356000000000009")
    record(
        [
            {"imei": "356000000000009", "kind": "weight", "measured_at": "2026-01-01T08:00:00Z",
             "values": {"weight": 184.5, "unit": "lb"}},
            {"imei": "356000000000009", "kind": "weight", "measured_at": "2026-01-02T08:00:00Z",
             "values": {"weight": 80, "unit": "kg"}},
        ]
    )  # fmt: skip
    measurements = pylo.post("/readings", {"reading_type": "Weight"}).json()["measurements"]
    assert [m["Values"] for m in measurements] == [
        [{"Value": 184.5, "Type": "weight"}],
        [{"Value": 176.37, "Type": "weight"}],
    ]


def test_glucose_and_pulse_oximetry_values_follow_the_documented_order(
    pylo, alice, add_device, record
):
    add_device(alice, "PY-GL1-LTE", imei="356000000000010")
    add_device(alice, "PY-OX1-LTE", imei="356000000000011")
    record(
        [
            {"imei": "356000000000010", "kind": "glucose", "measured_at": "2026-01-01T08:00:00Z",
             "values": {"glucose": 70, "unit": "mg/dL", "before_meal": True}},
            {"imei": "356000000000011", "kind": "pulse_oximetry", "measured_at": "2026-01-01T09:00:00Z",
             "values": {"spo2": 98, "pulse": 103}},
        ]
    )  # fmt: skip
    glucose = pylo.post("/readings", {"imei": "356000000000010"}).json()["measurements"][0]
    assert glucose["MeasurementType"] == "Blood Glucose"
    assert glucose["DeviceType"] == "PyloGlucose"
    assert glucose["Values"] == [
        {"Value": 70, "Type": "glucose"},
        {"Value": 1, "Type": "before_meal"},
    ]
    ox = pylo.post("/readings", {"reading_type": "Pulse Oximetry"}).json()["measurements"][0]
    assert ox["DeviceModel"] == "PY-OX1-LTE"
    assert ox["Values"] == [{"Value": 98, "Type": "spo2"}, {"Value": 103, "Type": "pulse"}]


def test_filters_are_and_ed(pylo, cuff, record):
    record([bp("2021-02-21T10:00:00Z"), bp("2021-02-23T10:00:00Z"), bp("2021-02-25T10:00:00Z")])
    body = pylo.post(
        "/readings",
        {
            "patient_id": "patient_id1",
            "measurement_taken_start_date": "2021-02-22T00:00:00.000Z",
            "measurement_taken_end_date": "2021-02-24T00:00:00.000Z",
        },
    ).json()
    assert [m["MeasuredAt"] for m in body["measurements"]] == ["2021-02-23T10:00:00.000Z"]
    none = pylo.post("/readings", {"patient_id": "patient_id1", "reading_type": "Weight"}).json()
    assert none["count"] == 0


def test_a_reading_is_found_by_its_id_and_device_id(pylo, cuff, record):
    ids = record([bp("2021-02-21T10:00:00Z"), bp("2021-02-22T10:00:00Z")])
    body = pylo.post("/readings", {"reading_id": ids[1], "device_id": cuff.serial}).json()
    assert [m["Id"] for m in body["measurements"]] == [ids[1]]
    assert pylo.post("/readings", {"reading_id": "not-a-reading"}).json()["count"] == 0


def test_readings_need_at_least_one_filter(pylo):
    response = pylo.post("/readings", {})
    assert response.status_code == 400
    assert "at least one filter" in response.json()["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"imei": 356000000000001}, "imei"),
        ({"measurement_taken_start_date": "yesterday"}, "measurement_taken_start_date"),
        ({"reading_type": "Cholesterol"}, "reading_type"),
        ({"imei": "1", "colour": "red"}, "colour"),
        (
            {
                "measurement_taken_start_date": "2021-02-24T00:00:00Z",
                "measurement_taken_end_date": "2021-02-22T00:00:00Z",
            },
            "measurement_taken_end_date",
        ),
    ],
)
def test_a_bad_filter_is_a_400_naming_the_field(pylo, body, field):
    response = pylo.post("/readings", body)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_a_thousand_readings_with_the_same_timestamp_still_page_correctly(pylo, cuff, record):
    items = [bp("2021-02-23T22:06:00Z", device_user=str(n)) for n in range(1500)]
    record(items)
    first = pylo.post("/readings", {"imei": "356000000000001"}).json()
    assert first["count"] == 1000
    token = first["page_info"]["cursor_token"]
    second = pylo.post(f"/readings?cursor_token={token}", {"imei": "356000000000001"}).json()
    assert second["count"] == 500
    assert second["page_info"]["cursor_token"] is None
    ids = [m["Id"] for m in first["measurements"] + second["measurements"]]
    assert len(set(ids)) == 1500


def test_a_tampered_or_foreign_cursor_is_a_400(pylo, cuff, record):
    record([bp("2021-02-23T22:06:00Z", device_user=str(n)) for n in range(1001)])
    token = pylo.post("/readings", {"imei": "356000000000001"}).json()["page_info"]["cursor_token"]
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = pylo.post(f"/readings?cursor={tampered}", {"imei": "356000000000001"})
    assert response.status_code == 400
    assert "cursor_token" in response.json()["errors"]
    other_query = pylo.post(f"/readings?cursor={token}", {"patient_id": "patient_id1"})
    assert other_query.status_code == 400
    assert pylo.get("/devices?cursor=garbage").status_code == 400


def test_charlie_finds_none_of_alices_readings(charlie_pylo, cuff, record):
    [reading_id] = record([bp("2021-02-23T22:06:00Z")])
    for body in ({"imei": cuff.imei}, {"reading_id": reading_id}, {"patient_id": "patient_id1"}):
        assert charlie_pylo.post("/readings", body).json()["count"] == 0


def test_a_reading_of_alices_patient_stored_as_another_companys_is_in_neither_page(
    pylo, charlie_pylo, cuff, record, charlie
):
    """Given a patient or a device, the company is checked on each row rather than walked by
    its index (lib.rows.CheckedOnly): still, only the company's own readings are answered."""
    from pulsebridge.readings.models import Measurement

    kept, moved = record([bp("2021-02-23T22:06:00Z"), bp("2021-02-23T22:07:00Z")])
    Measurement.objects.filter(pk=moved).update(company=charlie)
    for body in ({"patient_id": "patient_id1"}, {"imei": cuff.imei}, {"device_id": cuff.serial}):
        assert [m["Id"] for m in pylo.post("/readings", body).json()["measurements"]] == [kept]
        assert charlie_pylo.post("/readings", body).json()["count"] == 0
    assert pylo.post("/readings", {"reading_id": moved}).json()["count"] == 0


def test_equal_timestamps_page_the_same_by_patient_and_by_device(pylo, cuff, record):
    """Runs of readings at one time cut by the page boundary, through the patient's index and
    the device's: every reading once, in (time, id) order, whichever filter."""
    items = [bp(f"2021-02-23T22:0{n % 3}:00Z", device_user=str(n)) for n in range(2100)]
    record(items)
    walks = []
    for body in ({"patient_id": "patient_id1"}, {"imei": cuff.imei}):
        ids, token = [], None
        while True:
            path = "/readings" + (f"?cursor_token={token}" if token else "")
            page = pylo.post(path, body).json()
            ids += [(m["MeasuredAt"], m["Id"]) for m in page["measurements"]]
            token = page["page_info"]["cursor_token"]
            if not token:
                break
        walks.append(ids)
    assert walks[0] == walks[1] == sorted(walks[0])
    assert len(set(walks[0])) == 2100


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="plan caching: PostgreSQL only (SQLite plans every statement anew)",
)
def test_on_postgresql_the_page_query_once_prepared_is_still_planned_for_its_values(
    pylo, cuff, record
):
    """A generic plan reads every reading of the patient in the range and sorts them
    (lib.plans): page 1 and the cursor pages must be planned for the values they ask for. The
    session here prefers generic plans, as PostgreSQL comes to on a large table."""
    from django.db import connection

    record([bp("2021-02-23T22:06:00Z", device_user=str(n)) for n in range(3)])
    with connection.cursor() as cursor:
        cursor.execute("SET plan_cache_mode = force_generic_plan")
    body = {
        "patient_id": "patient_id1",
        "measurement_taken_start_date": "2021-02-01T00:00:00Z",
        "measurement_taken_end_date": "2021-03-01T00:00:00Z",
    }
    for _ in range(8):
        response = pylo.post("/readings", body)
        assert response.status_code == 200
        assert response.json()["count"] == 3
    assert_page_queries_never_planned_generic()


def test_a_page_reads_byte_for_byte_as_the_measurement_objects_write_it(
    pylo, alice, cuff, add_device
):
    """The page is written from plain rows; the webhook writes the same reading from the model
    instance (wire.reading): both must agree, whatever the kind and whatever is absent."""
    from datetime import UTC, datetime, timedelta

    from rest_framework.renderers import JSONRenderer

    from pulsebridge.dialects.pylo import wire
    from pulsebridge.readings.models import Measurement

    bare = add_device(alice, "TENOVI-SCALE", serial="SERIAL-ONLY")  # no IMEI, no patient
    at = datetime(2021, 2, 23, 22, 6, 0, 999999, tzinfo=UTC)
    kinds = [
        ("blood_pressure", {"systolic": 129.0, "diastolic": 84.0, "pulse": 62.0, "irregular": 1}),
        ("blood_pressure", {"systolic": 120.5, "diastolic": 80.004, "irregular": 0}),
        ("weight", {"weight": 80.0}),
        ("glucose", {"glucose": 5.5 * 18.0156, "before_meal": 0}),
        ("pulse_oximetry", {"spo2": 98.0, "pulse": 103.0, "perfusion_index": 2.25}),
        ("temperature", {"temperature": 36.6}),
        ("peak_flow", {"peak_flow": 410.0, "fev1": 3.1}),
        ("pillbox", {"event": "lid_opened \u2028 é"}),
    ]
    for n, (kind, values) in enumerate(kinds * 2):
        device = cuff if n % 2 else bare
        Measurement.objects.create(
            company=alice,
            device=device,
            patient=device.patient,
            practice_id=device.practice_id,
            tenant_id="tenant" if n % 3 else "",
            kind=kind,
            measured_at=at + timedelta(seconds=n, microseconds=-n),
            received_at=at + timedelta(minutes=1, microseconds=n * 1001),
            values=values,
            battery=None if n % 4 == 0 else 50 + n,
            signal=None if n % 5 == 0 else 90 - n,
            device_user=str(n % 2 + 1),
            radio="LTE-M",
            network="net",
            tower_latitude="40.7128",
            tower_longitude="-74.0060",
            dedupe_key=f"k{n}",
        )
    response = pylo.post("/readings", {"measurement_taken_start_date": "2021-01-01T00:00:00Z"})
    assert response.status_code == 200
    measurements = (
        Measurement.objects.filter(company=alice)
        .select_related("device__model", "patient")
        .order_by("measured_at", "pk")
    )
    expected = {
        "count": len(measurements),
        "measurements": [wire.reading(m) for m in measurements],
        "page_info": {"cursor_token": None},
    }
    assert response.content == JSONRenderer().render(expected)
    assert response.json()["measurements"][0]["MeasuredAt"] == "2021-02-23T22:06:00.999Z"


def test_readings_a_microsecond_apart_page_without_loss_or_repeat(pylo, cuff, record):
    items = [bp(f"2021-02-23T22:06:00.{n:06d}Z") for n in range(1200)]
    record(items)
    first = pylo.post("/readings", {"imei": "356000000000001"}).json()
    token = first["page_info"]["cursor_token"]
    second = pylo.post(f"/readings?cursor_token={token}", {"imei": "356000000000001"}).json()
    ids = [m["Id"] for m in first["measurements"] + second["measurements"]]
    assert (first["count"], second["count"]) == (1000, 200)
    assert len(set(ids)) == 1200


def test_a_reading_of_a_device_since_moved_to_another_company_reads_as_the_webhook_writes_it(
    pylo, alice, charlie, cuff, record
):
    """The page fetches its devices and patients apart from the readings: one the fetch missed
    was a KeyError, a 500. The reading stays Alice's and names the device that took it, as
    wire.reading (the webhook, and this page before it was written from plain rows) does."""
    from pulsebridge.devices.models import Device, Patient
    from pulsebridge.dialects.pylo import wire
    from pulsebridge.readings.models import Measurement

    record([bp("2021-02-23T22:06:00Z")])
    Device.objects.filter(pk=cuff.pk).update(company=charlie)
    Patient.objects.filter(pk=cuff.patient.pk).update(company=charlie)
    response = pylo.post("/readings", {"measurement_taken_start_date": "2021-01-01T00:00:00Z"})
    assert response.status_code == 200
    m = Measurement.objects.select_related("device__model", "patient").get()
    assert response.json()["measurements"] == [wire.reading(m)]
    assert response.json()["measurements"][0]["DeviceId"] == cuff.serial


def test_a_device_and_patient_deleted_while_the_page_is_written_are_no_500(
    pylo, cuff, record, monkeypatch
):
    """Devices and patients are fetched after the page's rows: deleted in between, the reading
    is still written, without them (the patient as wire.reading writes a deleted one)."""
    from pulsebridge.dialects.pylo import wire

    record([bp("2021-02-23T22:06:00Z")])
    related_ids = wire.related_ids

    def delete_then_related_ids(rows):
        cuff.patient.delete()
        cuff.delete()
        return related_ids(rows)

    monkeypatch.setattr(wire, "related_ids", delete_then_related_ids)
    response = pylo.post("/readings", {"imei": "356000000000001"})
    assert response.status_code == 200
    [m] = response.json()["measurements"]
    assert (m["DeviceId"], m["DeviceImei"], m["PatientId"]) == ("", "", "")
    assert m["MeasuredAt"] == "2021-02-23T22:06:00.000Z"
