"""Readings of HWI devices: Connected at the first one, the measurement endpoints, and the same
readings seen through the Pylo API."""

import pytest

from pulsebridge.devices.models import Enrolment

from .conftest import GATEWAY, IMEI, bp

ITEM_FIELDS = {
    "metric",
    "device_name",
    "hwi_device_id",
    "patient_id",
    "hardware_uuid",
    "sensor_code",
    "value_1",
    "value_2",
    "created",
    "timestamp",
    "timezone_offset",
    "estimated_timestamp",
    "filter_params",
}


def test_the_first_reading_connects_the_device(tenovi, gateway, reading):
    cuff = tenovi.activate()
    reading(bp("2025-03-01T08:00:00Z"))
    reading(bp("2025-03-02T08:00:00Z"))
    body = tenovi.get(f"hwi/hwi-devices/{cuff['id']}/").json()
    assert body["status"] == "Connected"
    assert body["connected_on"] == "2025-03-01T08:00:00.000000Z"
    assert body["last_measurement"] == "2025-03-02T08:00:00.000000Z"


def test_an_older_reading_uploaded_later_does_not_move_last_measurement_back(
    tenovi, gateway, reading
):
    cuff = tenovi.activate()
    reading(bp("2025-03-02T08:00:00Z"))
    reading(bp("2025-03-01T08:00:00Z"))
    body = tenovi.get(f"hwi/hwi-devices/{cuff['id']}/").json()
    assert body["last_measurement"] == "2025-03-02T08:00:00.000000Z"
    assert body["connected_on"] == "2025-03-02T08:00:00.000000Z"  # the first one received


def test_a_blood_pressure_reading_is_written_as_the_webhook_items(tenovi, gateway, reading):
    cuff = tenovi.activate(patient="P-1")
    item = bp()
    item["values"]["irregular"] = 1
    reading(item)
    items = tenovi.get(f"hwi/hwi-devices/{cuff['id']}/measurements/").json()
    assert [i["metric"] for i in items] == [
        "blood_pressure",
        "pulse",
        "irregular_heartbeat",
        "battery_percentage",
    ]
    for i in items:
        assert set(i) == ITEM_FIELDS
        assert i["hwi_device_id"] == cuff["id"]
        assert i["patient_id"] == "P-1"
        assert i["hardware_uuid"] == GATEWAY
        assert i["sensor_code"] == "10"
        assert i["device_name"] == "Tenovi BPM - L"
        assert i["timestamp"] == "2025-03-01T08:00:00.000000Z"
        assert i["created"].endswith("Z")
        assert i["timezone_offset"] == 0
        assert i["estimated_timestamp"] is False
    # "formatted as a 2-decimal point string"; a secondary value that does not apply is 0.00
    assert (items[0]["value_1"], items[0]["value_2"]) == ("128.00", "82.00")
    assert (items[1]["value_1"], items[1]["value_2"]) == ("71.00", "0.00")
    assert items[2]["value_1"] == "1.00"
    assert items[3]["value_1"] == "88.00"


def test_irregular_heartbeat_is_sent_only_when_irregular(tenovi, gateway, reading):
    cuff = tenovi.activate()
    reading(bp())
    items = tenovi.get(f"hwi/hwi-devices/{cuff['id']}/measurements/").json()
    assert "irregular_heartbeat" not in [i["metric"] for i in items]


@pytest.mark.parametrize(
    ("name", "kind", "values", "expected"),
    [
        ("Tenovi Scale", "weight", {"weight": 184.5, "unit": "lb"}, [("weight", "184.50", "0.00")]),
        (
            "Tenovi Thermometer",
            "temperature",
            {"temperature": 37, "unit": "C"},
            [("temperature", "98.60", "0.00")],
        ),
        (
            "Tenovi Pulse Ox",
            "pulse_oximetry",
            {"spo2": 97, "pulse": 64, "perfusion_index": 2.5},
            [
                ("spO2", "97.00", "0.00"),
                ("pulse", "64.00", "0.00"),
                ("perfusion_index", "2.50", "0.00"),
            ],
        ),
        (
            "Tenovi Peak Flow Meter",
            "peak_flow",
            {"peak_flow": 420, "fev1": 3.1},
            [
                ("peak_expiratory_flow", "420.00", "0.00"),
                ("forced_expiratory_volume", "3.10", "0.00"),
            ],
        ),
        (
            "Tenovi Pillbox",
            "pillbox",
            {"event": "refilled"},
            [("pillbox_refilled", "1.00", "0.00")],
        ),
        (
            "Tenovi Glucometer",
            "glucose",
            {"glucose": 5.5, "unit": "mmol/L"},
            [("glucose", "99.09", "0.00")],
        ),
    ],
)
def test_each_sensor_writes_its_metrics_in_tenovi_units(
    tenovi, gateway, reading, name, kind, values, expected
):
    device = tenovi.activate(name=name)
    code = next(t for t in tenovi.get("hwi/hwi-device-types/").json() if t["name"] == name)
    reading(
        {
            "kind": kind,
            "measured_at": "2025-03-01T08:00:00Z",
            "values": values,
            "gateway_id": GATEWAY,
            "sensor_code": code["sensor_code"],
        }
    )
    items = tenovi.get(f"hwi/hwi-devices/{device['id']}/measurements/").json()
    assert [(i["metric"], i["value_1"], i["value_2"]) for i in items] == expected


def test_a_glucose_reading_says_its_meal_context_in_filter_params(tenovi, gateway, reading):
    meter = tenovi.activate(name="Tenovi Glucometer")
    reading(
        {
            "kind": "glucose",
            "measured_at": "2025-03-01T08:00:00Z",
            "values": {"glucose": 104, "unit": "mg/dL", "before_meal": 1},
            "gateway_id": GATEWAY,
            "sensor_code": "12",
        }
    )
    [item] = tenovi.get(f"hwi/hwi-devices/{meter['id']}/measurements/").json()
    assert item["filter_params"] == {"meal_context": "pre-prandial"}


def test_a_cellular_device_reports_its_imei_as_hardware_uuid(tenovi, alice, add_device, reading):
    add_device(alice, "TENOVI-CELL-SCALE", imei=IMEI)
    scale = tenovi.activate(name="Tenovi Cellular Scale", hardware_uuid=IMEI)
    reading(
        {
            "kind": "weight",
            "measured_at": "2025-03-01T08:00:00Z",
            "values": {"weight": 80, "unit": "kg"},
            "imei": IMEI,
        }
    )
    [item] = tenovi.get(f"hwi/hwi-devices/{scale['id']}/measurements/").json()
    assert (item["hardware_uuid"], item["sensor_code"], item["value_1"]) == (IMEI, "", "176.37")
    assert tenovi.get(f"hwi/hwi-devices/{scale['id']}/").json()["status"] == "Connected"


def test_measurements_filter_by_metric_and_time(tenovi, gateway, reading):
    cuff = tenovi.activate()
    for day in ("01", "02", "03"):
        reading(bp(f"2025-03-{day}T08:00:00Z"))
    base = f"hwi/hwi-devices/{cuff['id']}/measurements/"
    pulses = tenovi.get(f"{base}?metric__name=pulse").json()
    assert [i["timestamp"] for i in pulses] == [
        "2025-03-03T08:00:00.000000Z",
        "2025-03-02T08:00:00.000000Z",
        "2025-03-01T08:00:00.000000Z",
    ]
    assert {i["metric"] for i in pulses} == {"pulse"}
    window = tenovi.get(
        f"{base}?metric__name=blood_pressure&timestamp__gte=2025-03-02T00:00:00Z"
        "&timestamp__lt=2025-03-03T00:00:00Z"
    ).json()
    assert [i["timestamp"] for i in window] == ["2025-03-02T08:00:00.000000Z"]
    upto = tenovi.get(f"{base}?metric__name=pulse&timestamp__lte=2025-03-02T08:00:00Z").json()
    assert len(upto) == 2
    assert len(tenovi.get(f"{base}?created__gte=2000-01-01T00:00:00Z").json()) == 9
    assert tenovi.get(f"{base}?created__lt=2000-01-01T00:00:00Z").json() == []


def test_a_bad_time_filter_is_a_bad_request(tenovi, gateway):
    cuff = tenovi.activate()
    response = tenovi.get(f"hwi/hwi-devices/{cuff['id']}/measurements/?timestamp__gte=yesterday")
    assert response.status_code == 400
    assert "timestamp__gte" in response.json()


def test_measurements_page_by_items(tenovi, gateway, reading):
    cuff = tenovi.activate()
    for day in ("01", "02"):
        reading(bp(f"2025-03-{day}T08:00:00Z"))
    body = tenovi.get(f"hwi/hwi-devices/{cuff['id']}/measurements/?page=1&page_size=4").json()
    assert body["count"] == 6
    assert len(body["results"]) == 4
    assert body["next"] is not None


def test_patient_measurements_cover_every_device_of_the_patient(tenovi, gateway, reading):
    cuff = tenovi.activate(patient="P-1")
    scale = tenovi.activate(name="Tenovi Scale", patient="P-1")
    tenovi.activate(name="Tenovi Pulse Ox", patient="P-2")
    reading(bp())
    reading(
        {
            "kind": "weight",
            "measured_at": "2025-03-02T08:00:00Z",
            "values": {"weight": 80, "unit": "kg"},
            "gateway_id": GATEWAY,
            "sensor_code": "13",
        }
    )
    items = tenovi.get("hwi/patients/P-1/measurements/").json()
    assert [(i["metric"], i["hwi_device_id"]) for i in items] == [
        ("weight", scale["id"]),
        ("blood_pressure", cuff["id"]),
        ("pulse", cuff["id"]),
        ("battery_percentage", cuff["id"]),
    ]
    assert tenovi.get("hwi/patients/P-2/measurements/").json() == []
    assert tenovi.get("hwi/patients/nobody/measurements/").status_code == 404


def test_a_device_keeps_its_readings_but_not_the_next_patients(tenovi, gateway, reading):
    first = tenovi.activate(patient="P-1")
    reading(bp("2025-03-01T08:00:00Z"))
    tenovi.get(f"hwi/unlink-gateway/{first['id']}/")
    second = tenovi.activate(patient="P-2")
    reading(bp("2025-03-02T08:00:00Z"))
    old = tenovi.get(f"hwi/hwi-devices/{first['id']}/measurements/").json()
    new = tenovi.get(f"hwi/hwi-devices/{second['id']}/measurements/").json()
    assert {i["timestamp"] for i in old} == {"2025-03-01T08:00:00.000000Z"}
    assert {i["timestamp"] for i in new} == {"2025-03-02T08:00:00.000000Z"}
    assert {i["patient_id"] for i in new} == {"P-2"}
    assert Enrolment.objects.get(pk=first["id"]).status == "Unlinked"


def test_an_hwi_device_and_its_readings_appear_in_the_pylo_api(
    tenovi, gateway, reading, client, alice, make_key
):
    from tests.dialects.pylo.conftest import PyloClient

    pylo = PyloClient(client, make_key(alice, "pylo"))
    tenovi.activate(patient="P-1")
    reading_id = reading(bp())
    devices = pylo.get("/devices").json()["devices"]
    cuff = next(d for d in devices if d["device_type"] == "Tenovi BPM - L")
    assert cuff["patient_id"] == "P-1"
    assert cuff["billing_status"] == "active"
    [measurement] = pylo.post("/readings", {"patient_id": "P-1"}).json()["measurements"]
    assert measurement["Id"] == reading_id
    assert measurement["DeviceType"] == "Tenovi BPM - L"
    assert measurement["Values"][:2] == [
        {"Value": 82, "Type": "diastolic"},
        {"Value": 128, "Type": "systolic"},
    ]


def test_a_patients_device_that_is_no_hwi_device_is_not_in_their_measurements(
    tenovi, gateway, reading, alice, add_device
):
    from pulsebridge.devices.services import assign_device

    tenovi.activate(patient="P-1")
    scale = add_device(alice, "PY-300-LTE", imei="356000000000002")
    assign_device(scale, patient_id="P-1")  # a Pylo cellular scale, the same patient
    reading(bp())
    reading(
        {
            "kind": "weight",
            "measured_at": "2025-03-01T09:00:00Z",
            "values": {"weight": 80, "unit": "kg"},
            "imei": "356000000000002",
        }
    )
    items = tenovi.get("hwi/patients/P-1/measurements/").json()
    assert "weight" not in {i["metric"] for i in items}
    assert {i["device_name"] for i in items} == {"Tenovi BPM - L"}
    assert all(i["hwi_device_id"] and i["patient_id"] == "P-1" for i in items)
