"""FastJSONRenderer writes the bytes DRF's JSONRenderer writes."""

import decimal
import uuid
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer

from pulsebridge.lib.renderers import FastJSONRenderer

READING = {
    "DeviceUser": "1",
    "MeasurementType": "Blood Pressure",
    "DeviceId": "356000000000001",
    "MeasuredAt": "2021-02-23T22:06:00.000Z",
    "BatteryPercentage": 58,
    "DeviceModel": "PY-802-LTE",
    "DeviceType": "PyloBp",
    "InsertedAt": "2021-02-23T22:06:01.123Z",
    "DeviceSim": "",
    "Id": "0190f5d6-8a3b-7c1e-9f00-123456789abc",
    "DeviceImei": "356000000000001",
    "SignalStrengthPercentage": 94,
    "PatientId": "patient_id1",
    "PracticeId": "",
    "TenantId": "",
    "Values": [
        {"Value": 84, "Type": "diastolic"},
        {"Value": 120.5, "Type": "systolic"},
        {"Value": 176.37, "Type": "weight"},
        {"Value": 98.6, "Type": "temperature"},
        {"Value": -0.01, "Type": "odd"},
        {"Value": 0, "Type": "irregular"},
    ],
    "RadioAccessTechnology": "LTE-M",
    "NetworkName": "T-Mobile",
    "TowerLongitude": "-74.0060",
    "TowerLatitude": "40.7128",
}

PAYLOADS = [
    {"count": 2, "measurements": [READING, {**READING, "BatteryPercentage": None}],
     "page_info": {"cursor_token": "eyJ0Ijoi:1tXyZ:abc"}},
    {"count": 0, "measurements": [], "page_info": {"cursor_token": None}},
    {"status": "OK", "updated order number": "PY-000123", "require_signature": True},
    {"message": "Bad Request -- naïve «quotes» \"and\" \\ back\tslash \x00 \U0001f600",
     "errors": {"imei": ["must be a string"]}},
    {"line": "a\u2028b\u2029c", "floats": [0.1, 1 / 3, 1e16, 1e22, 123456.789, -0.0, 2.5e-3]},
    {"when": datetime(2021, 2, 23, 22, 6, 0, 123456, tzinfo=UTC),
     "naive": datetime(2021, 2, 23, 22, 6), "day": date(2021, 2, 23), "at": time(22, 6, 1, 5),
     "span": timedelta(minutes=90), "price": decimal.Decimal("12.50"),
     "id": uuid.UUID("0190f5d6-8a3b-7c1e-9f00-123456789abc"),
     "lazy": gettext_lazy("Not found."), "big": 2**63, "bytes": b"raw", "tuple": (1, "2")},
    [1, "two", None, True, False, {}],
    "just a string",
]  # fmt: skip


@pytest.mark.parametrize("data", PAYLOADS)
def test_it_writes_the_bytes_drf_writes(data):
    assert FastJSONRenderer().render(data) == JSONRenderer().render(data)


@pytest.mark.parametrize(
    "data",
    [
        {1: "an int key", None: "a None key"},  # orjson refuses non-string keys
        {"huge": 2**70},  # and integers beyond 64 bits
    ],
)
def test_what_orjson_refuses_is_written_by_drf(data):
    assert FastJSONRenderer().render(data) == JSONRenderer().render(data)


def test_an_indent_asked_for_is_honoured():
    media_type = "application/json; indent=4"
    data = {"a": [1, {"b": None}]}
    expected = JSONRenderer().render(data, media_type)
    assert FastJSONRenderer().render(data, media_type) == expected
    assert b"\n    " in expected


def test_nothing_is_written_for_none():
    assert FastJSONRenderer().render(None) == b""


def test_what_json_cannot_hold_is_still_an_error():
    with pytest.raises(TypeError):
        FastJSONRenderer().render({"object": object()})


def test_pylo_readings_values_write_as_drf_writes_them():
    """Pylo's numbers are tidy(): whole numbers as ints, the rest rounded to 2 decimals. orjson
    and the standard library agree on every such float (they differ below 1e-4 only)."""
    from pulsebridge.readings.units import tidy

    values = [
        tidy(n / 100 + whole) for whole in (0, 1, 37, 98, 129, 250, 99999) for n in range(-400, 400)
    ]
    assert FastJSONRenderer().render(values) == JSONRenderer().render(values)


def test_a_readings_page_takes_the_fast_path(monkeypatch):
    expected = JSONRenderer().render(PAYLOADS[0])

    def refuse(*args, **kwargs):
        raise AssertionError("fell back to JSONRenderer")

    monkeypatch.setattr(JSONRenderer, "render", refuse)
    assert FastJSONRenderer().render(PAYLOADS[0]) == expected
