"""Alerts raised when a reading is recorded: bounds, trends, no storms, late readings,
overrides, and the webhook events."""

from datetime import UTC, datetime, timedelta

import pytest

from pulsebridge.alerts import rules
from pulsebridge.alerts.models import Alert, AlertReading
from pulsebridge.ingest.readings import record_items as record_measurements
from pulsebridge.readings.models import Measurement

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def at(hours_ago: float) -> str:
    return (NOW - timedelta(hours=hours_ago)).isoformat().replace("+00:00", "Z")


def bp(imei, systolic=120, diastolic=80, hours_ago=0.0):
    return {"kind": "blood_pressure", "measured_at": at(hours_ago), "imei": imei,
            "values": {"systolic": systolic, "diastolic": diastolic, "pulse": 60}}  # fmt: skip


def weight(imei, kg, hours_ago=0.0):
    return {"kind": "weight", "measured_at": at(hours_ago), "imei": imei,
            "values": {"weight": kg, "unit": "kg"}}  # fmt: skip


@pytest.fixture
def cuff(alice, add_device):
    from pulsebridge.devices.services import assign_device

    return assign_device(add_device(alice), patient_id="P-1")


@pytest.fixture
def scale(alice, add_device):
    from pulsebridge.devices.services import assign_device

    return assign_device(add_device(alice, "PY-300-LTE"), patient_id="P-1")


def test_a_reading_within_every_bound_raises_nothing(alice, cuff):
    record_measurements(alice, [bp(cuff.imei)], now=NOW)
    assert not Alert.objects.exists()


def test_a_systolic_of_180_raises_an_alert_with_its_reading_and_value(alice, cuff):
    [outcome] = record_measurements(alice, [bp(cuff.imei, systolic=185)], now=NOW)
    alert = Alert.objects.get()
    assert alert.rule.code == "systolic-high"
    assert str(alert.reading_id) == outcome.id
    assert alert.value == 185
    assert alert.threshold == 180
    assert alert.patient.external_id == "P-1"
    assert alert.status == "open"
    assert not alert.late
    assert alert.raised_at == NOW


def test_one_reading_breaking_two_rules_raises_two_alerts(alice, cuff):
    record_measurements(alice, [bp(cuff.imei, systolic=190, diastolic=115)], now=NOW)
    assert sorted(Alert.objects.values_list("rule__code", flat=True)) == [
        "diastolic-high",
        "systolic-high",
    ]


def test_later_breaking_readings_join_the_open_alert_instead_of_raising_again(alice, cuff):
    record_measurements(alice, [bp(cuff.imei, systolic=185, hours_ago=2)], now=NOW)
    record_measurements(alice, [bp(cuff.imei, systolic=190, hours_ago=1)], now=NOW)
    record_measurements(alice, [bp(cuff.imei, systolic=120, hours_ago=0.5)], now=NOW)
    record_measurements(alice, [bp(cuff.imei, systolic=200, hours_ago=0)], now=NOW)
    alert = Alert.objects.get()
    assert alert.readings == 3
    assert alert.value == 185  # the reading that raised it
    assert list(alert.breaking.values_list("value", flat=True)) == [185, 190, 200]


def test_a_resolved_alert_lets_the_next_breaking_reading_raise_a_new_one(alice, cuff):
    from pulsebridge.alerts.services import resolve

    record_measurements(alice, [bp(cuff.imei, systolic=185, hours_ago=2)], now=NOW)
    resolve(Alert.objects.get(), by="nurse")
    record_measurements(alice, [bp(cuff.imei, systolic=186, hours_ago=1)], now=NOW)
    assert list(Alert.objects.order_by("raised_at", "id").values_list("status", flat=True)) == [
        "resolved",
        "open",
    ]


def test_a_reading_sent_twice_is_attached_once(alice, cuff):
    record_measurements(alice, [bp(cuff.imei, systolic=185)], now=NOW)
    record_measurements(alice, [bp(cuff.imei, systolic=185)], now=NOW)
    assert Alert.objects.get().readings == 1
    assert AlertReading.objects.count() == 1


def test_a_week_of_stored_readings_raises_one_late_alert_from_the_earliest(alice, cuff):
    week = [bp(cuff.imei, systolic=181 + day, hours_ago=24 * (7 - day)) for day in range(7)]
    record_measurements(alice, list(reversed(week)), now=NOW)  # sent newest first
    alert = Alert.objects.get()
    assert alert.late
    assert alert.value == 181  # evaluated in the order they were measured
    assert alert.measured_at == NOW - timedelta(days=7)
    assert alert.readings == 7
    assert alert.last_measured_at == NOW - timedelta(days=1)


def test_a_reading_received_at_once_is_not_late(alice, cuff):
    record_measurements(alice, [bp(cuff.imei, systolic=185, hours_ago=0.25)], now=NOW)
    assert not Alert.objects.get().late


def test_weight_up_2_kg_in_24_hours_raises_the_trend_alert(alice, scale):
    record_measurements(alice, [weight(scale.imei, 80.0, hours_ago=20)], now=NOW)
    record_measurements(alice, [weight(scale.imei, 81.0, hours_ago=10)], now=NOW)
    assert not Alert.objects.exists()
    record_measurements(alice, [weight(scale.imei, 82.1, hours_ago=0)], now=NOW)
    alert = Alert.objects.get()
    assert alert.rule.code == "weight-gain-24h"
    assert alert.value == pytest.approx(2.1)


def test_weight_up_2_5_kg_over_a_week_raises_the_7_day_trend_only(alice, scale):
    record_measurements(
        alice,
        [
            weight(scale.imei, 80.0, hours_ago=24 * 6),
            weight(scale.imei, 81.0, hours_ago=24 * 3),
            weight(scale.imei, 82.0, hours_ago=30),
            weight(scale.imei, 82.6, hours_ago=0),
        ],
        now=NOW,
    )
    assert list(Alert.objects.values_list("rule__code", flat=True)) == ["weight-gain-7d"]


def test_a_weight_loss_raises_no_trend_alert(alice, scale):
    record_measurements(
        alice, [weight(scale.imei, 85.0, hours_ago=10), weight(scale.imei, 80.0)], now=NOW
    )
    assert not Alert.objects.exists()


def test_a_company_rule_can_be_changed_and_switched_off(alice, cuff):
    rule = rules.get_rule(alice, "systolic-high")
    rules.change_rule(rule, threshold=200)
    record_measurements(alice, [bp(cuff.imei, systolic=190, hours_ago=1)], now=NOW)
    assert not Alert.objects.exists()
    rules.change_rule(rule, enabled=False)
    record_measurements(alice, [bp(cuff.imei, systolic=210)], now=NOW)
    assert not Alert.objects.exists()


def test_a_patient_override_sets_their_own_threshold(alice, cuff, add_device):
    from pulsebridge.devices.services import assign_device

    other = assign_device(add_device(alice), patient_id="P-2")
    rule = rules.get_rule(alice, "systolic-high")
    rules.set_override(rule, cuff.patient, threshold=160)
    record_measurements(alice, [bp(cuff.imei, systolic=165), bp(other.imei, systolic=165)], now=NOW)
    assert list(Alert.objects.values_list("patient__external_id", "threshold")) == [("P-1", 160)]


def test_a_patient_override_can_switch_on_a_rule_the_company_switched_off(alice, cuff):
    rule = rules.get_rule(alice, "systolic-high")
    rules.change_rule(rule, enabled=False)
    rules.set_override(rule, cuff.patient, enabled=True)
    record_measurements(alice, [bp(cuff.imei, systolic=185)], now=NOW)
    assert Alert.objects.get().patient == cuff.patient


def test_a_device_serving_nobody_raises_nothing(alice, add_device):
    loose = add_device(alice)
    record_measurements(alice, [bp(loose.imei, systolic=220)], now=NOW)
    assert Measurement.objects.count() == 1
    assert not Alert.objects.exists()


def test_another_companys_rules_do_not_apply(alice, charlie, cuff):
    rules.change_rule(rules.get_rule(charlie, "systolic-high"), threshold=100)
    record_measurements(alice, [bp(cuff.imei, systolic=150)], now=NOW)
    assert not Alert.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_an_alert_that_cannot_be_stored_stores_no_reading_either(alice, cuff, monkeypatch):
    from pulsebridge.alerts import evaluation

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(evaluation, "_record", broken)
    with pytest.raises(RuntimeError):
        record_measurements(alice, [bp(cuff.imei, systolic=185)], now=NOW)
    assert not Measurement.objects.exists()
    assert not Alert.objects.exists()
