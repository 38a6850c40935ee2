"""One reading's validation: kinds, units, plausibility ranges, times."""

from datetime import UTC, datetime

import pytest

from pulsebridge.ingest.readings import parse_reading
from pulsebridge.readings.validation import ItemError

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def item(kind, values, **extra):
    return {"imei": "356000000000001", "kind": kind, "measured_at": "2026-11-01T08:00:00Z",
            "values": values, **extra}  # fmt: skip


def errors_of(raw):
    with pytest.raises(ItemError) as caught:
        parse_reading(raw, NOW)
    return caught.value.errors


@pytest.mark.parametrize(
    ("kind", "values", "expected"),
    [
        ("weight", {"weight": 184.5, "unit": "lb"}, {"weight": pytest.approx(83.6878, abs=1e-4)}),
        ("weight", {"weight": 80, "unit": "kg"}, {"weight": 80}),
        (
            "glucose",
            {"glucose": 5.5, "unit": "mmol/L"},
            {"glucose": pytest.approx(99.09, abs=0.01)},
        ),
        ("temperature", {"temperature": 98.6, "unit": "F"}, {"temperature": pytest.approx(37.0)}),
        ("temperature", {"temperature": 37.2, "unit": "C"}, {"temperature": 37.2}),
        ("peak_flow", {"peak_flow": 450, "fev1": 3.1}, {"peak_flow": 450, "fev1": 3.1}),
        ("pulse_oximetry", {"spo2": 97, "pulse": 70}, {"spo2": 97, "pulse": 70}),
        ("pillbox", {"event": "opened"}, {"event": "opened"}),
    ],
)
def test_values_are_converted_to_canonical_units(kind, values, expected):
    reading = parse_reading(item(kind, values), NOW)
    for name, value in expected.items():
        assert reading.values[name] == value


@pytest.mark.parametrize(
    ("kind", "values", "field", "words"),
    [
        ("blood_pressure", {"systolic": 350, "diastolic": 80}, "values.systolic", "40-300"),
        ("blood_pressure", {"systolic": 80, "diastolic": 90}, "values.systolic", "above diastolic"),
        ("blood_pressure", {"systolic": 120}, "values.diastolic", "required"),
        ("blood_pressure", {"systolic": "high", "diastolic": 80}, "values.systolic", "number"),
        ("weight", {"weight": 80}, "values.unit", "required"),
        ("weight", {"weight": 80, "unit": "stone"}, "values.unit", "not one of"),
        ("weight", {"weight": 1200, "unit": "lb"}, "values.weight", "lb"),
        ("glucose", {"glucose": 5, "unit": "mg/dL"}, "values.glucose", "10-1000"),
        ("pulse_oximetry", {"spo2": 40, "pulse": 70}, "values.spo2", "50-100"),
        ("temperature", {"temperature": 50, "unit": "C"}, "values.temperature", "25-45"),
        ("peak_flow", {"peak_flow": 5}, "values.peak_flow", "30-1000"),
        ("pillbox", {"event": "dropped"}, "values.event", "opened"),
    ],
)
def test_implausible_or_missing_values_name_the_field_and_range(kind, values, field, words):
    errors = errors_of(item(kind, values))
    assert words in errors[field]


def test_a_reading_needs_a_device_a_kind_and_a_time():
    errors = errors_of({"values": {}})
    assert set(errors) >= {"device", "kind", "measured_at"}


def test_gateway_readings_need_both_gateway_id_and_sensor_code():
    raw = item("blood_pressure", {"systolic": 120, "diastolic": 80})
    del raw["imei"]
    raw["gateway_id"] = "0A1B2C3D4E5F"
    assert "sensor_code" in errors_of(raw)


@pytest.mark.parametrize(
    ("at", "words"),
    [("1999-12-31T23:59:59Z", "after 2000"), ("2026-11-01T12:06:00Z", "future"), ("soon", "ISO")],
)
def test_times_must_be_iso_after_2000_and_not_in_the_future(at, words):
    raw = item("pulse_oximetry", {"spo2": 97, "pulse": 70})
    raw["measured_at"] = at
    assert words in errors_of(raw)["measured_at"]


def test_a_time_without_offset_is_utc():
    raw = item("pulse_oximetry", {"spo2": 97, "pulse": 70})
    raw["measured_at"] = "2026-11-01T08:00:00"
    assert parse_reading(raw, NOW).measured_at == datetime(2026, 11, 1, 8, tzinfo=UTC)


def test_battery_and_signal_are_percentages():
    errors = errors_of(item("pulse_oximetry", {"spo2": 97, "pulse": 70}, battery=101, signal=-1))
    assert set(errors) == {"battery", "signal"}


def test_the_sender_id_is_the_idempotency_key_when_given():
    base = item("pulse_oximetry", {"spo2": 97, "pulse": 70})
    assert parse_reading({**base, "id": "r-1"}, NOW).dedupe_key == "id:r-1"
    assert parse_reading(base, NOW).dedupe_key.startswith("m:pulse_oximetry:2026-11-01T08:00:00")
