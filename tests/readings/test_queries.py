from datetime import UTC, datetime, timedelta

from pulsebridge.devices.models import Device, Patient
from pulsebridge.devices.services import assign_device
from pulsebridge.ingest.readings import record_items as record_measurements
from pulsebridge.readings import queries

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)


def reading(device, at, **values):
    kind = device.model.kind
    return {
        "imei": device.imei,
        "kind": kind,
        "measured_at": at.isoformat().replace("+00:00", "Z"),
        "values": values,
        "battery": values.pop("battery", None),
    }


def test_latest_values_per_patient(alice, charlie, add_device):
    cuff = assign_device(add_device(alice), patient_id="P-1")
    other = assign_device(add_device(charlie), patient_id="P-1")
    items = [
        reading(cuff, NOW - timedelta(days=40), systolic=150, diastolic=90),
        reading(cuff, NOW - timedelta(days=3, hours=2), systolic=130, diastolic=85),
        reading(cuff, NOW - timedelta(days=3, hours=1), systolic=131, diastolic=85),
        reading(cuff, NOW - timedelta(days=1), systolic=125, diastolic=80),
    ]
    record_measurements(alice, items, now=NOW)
    record_measurements(charlie, [reading(other, NOW, systolic=199, diastolic=99)], now=NOW)
    patient = Patient.objects.get(company=alice)
    latest = queries.latest_by_kind(alice, [patient.pk])[patient.pk]["blood_pressure"]
    assert latest.values["systolic"] == 125
    assert latest.measured_at == NOW - timedelta(days=1)
    assert queries.with_last_reading(
        Patient.objects.filter(pk=patient.pk)
    ).get().last_reading_at == (NOW - timedelta(days=1))
    since = NOW - timedelta(days=7)
    assert [v["systolic"] for _, _, v in queries.series(alice, patient, since=since)] == [
        130,
        131,
        125,
    ]


def test_each_device_s_last_battery_and_the_low_and_silent_filters(alice, add_device):
    low, fine, quiet = add_device(alice), add_device(alice), add_device(alice)
    record_measurements(
        alice,
        [
            reading(low, NOW - timedelta(hours=1), systolic=120, diastolic=80, battery=90),
            reading(low, NOW, systolic=120, diastolic=80, battery=12),
            reading(fine, NOW, systolic=120, diastolic=80, battery=80),
            reading(quiet, NOW - timedelta(days=9), systolic=120, diastolic=80, battery=50),
        ],
        now=NOW,
    )
    devices = queries.with_device_status(Device.objects.for_company(alice))
    assert {d.pk: d.last_battery for d in devices} == {low.pk: 12, fine.pk: 80, quiet.pk: 50}
    assert [d.pk for d in queries.low_battery(devices)] == [low.pk]
    assert [d.pk for d in queries.silent_for(devices, 7, now=NOW)] == [quiet.pk]
