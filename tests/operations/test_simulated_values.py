"""The simulator's readings are what real devices send: every one passes the ingest validation."""

import random
from datetime import UTC, datetime

import pytest

from pulsebridge.ingest.readings import parse_reading
from pulsebridge.operations.simulate import (
    SimulatedDevice,
    baseline_for,
    random_iccid,
    random_imei,
    simulated_readings,
)

KINDS = ["blood_pressure", "weight", "glucose", "pulse_oximetry", "temperature", "peak_flow"]


def luhn_valid(number: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char) * (2 if position % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return total % 10 == 0


@pytest.mark.parametrize("kind", KINDS)
def test_every_simulated_reading_passes_validation(kind):
    rng = random.Random(kind)
    end = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    devices = [
        SimulatedDevice(ref={"imei": random_imei(rng)}, kind=kind, baseline=baseline_for(kind, rng))
        for _ in range(50)
    ]
    items = simulated_readings(devices, days=30, per_day=4, rng=rng, end=end)
    for item in items:
        reading = parse_reading(item, now=end)
        assert reading.kind == kind
        assert reading.measured_at <= end


def test_readings_are_oldest_first_and_never_in_the_future():
    rng = random.Random(3)
    end = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
    device = SimulatedDevice(ref={"imei": "1"}, kind="weight", baseline=baseline_for("weight", rng))
    items = simulated_readings([device], days=14, per_day=3, rng=rng, end=end)
    times = [item["measured_at"] for item in items]
    assert times == sorted(times)
    assert times[-1] <= "2026-11-22T09:30:00Z"
    assert times[0] > "2026-11-08T09:30:00Z"
    assert len(times) == 14 * 3


@pytest.mark.parametrize("seed", range(40))
def test_never_more_than_per_day_a_day_whatever_the_time(seed):
    # At 06:45 a moment jittered late on the first day and early on the last day used to both
    # fall inside the window: one reading too many.
    rng = random.Random(seed)
    end = datetime(2026, 11, 22, 6, 45, tzinfo=UTC)
    device = SimulatedDevice(ref={"imei": "1"}, kind="weight", baseline=baseline_for("weight", rng))
    items = simulated_readings([device], days=3, per_day=2, rng=rng, end=end)
    # the 07:00 moment may lie ahead today, or before the window on the first day
    assert 3 * 2 - 2 <= len(items) <= 3 * 2
    times = [item["measured_at"] for item in items]
    assert all("2026-11-19T06:45:00Z" < at <= "2026-11-22T06:45:00Z" for at in times)


def test_blood_pressure_stays_around_the_patients_baseline():
    rng = random.Random(5)
    baseline = {"systolic": 140.0, "diastolic": 88.0, "pulse": 70.0}
    device = SimulatedDevice(ref={"imei": "1"}, kind="blood_pressure", baseline=baseline)
    items = simulated_readings([device], days=30, per_day=3, rng=rng)
    systolic = [item["values"]["systolic"] for item in items]
    assert 130 < sum(systolic) / len(systolic) < 150
    assert all(item["values"]["systolic"] > item["values"]["diastolic"] for item in items)


def test_the_same_seed_gives_the_same_readings():
    end = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)

    def run(seed):
        rng = random.Random(seed)
        device = SimulatedDevice(
            ref={"imei": "1"}, kind="glucose", baseline=baseline_for("glucose", rng)
        )
        return simulated_readings([device], days=3, per_day=2, rng=rng, end=end)

    assert run(1) == run(1)
    assert run(1) != run(2)


def test_imeis_and_iccids_carry_a_valid_check_digit():
    rng = random.Random(9)
    for _ in range(200):
        imei, iccid = random_imei(rng), random_iccid(rng)
        assert len(imei) == 15
        assert len(iccid) == 20
        assert luhn_valid(imei)
        assert luhn_valid(iccid)
