"""The outbox: deliveries are written with the reading, in its transaction, for its company only."""

from __future__ import annotations

import pytest
from django.db import transaction

from pulsebridge.ingest.readings import record_items as record_measurements
from pulsebridge.readings.models import Measurement
from pulsebridge.webhooks.dispatch import deliver_due
from pulsebridge.webhooks.models import Delivery, Event

from .conftest import T0


def bp(imei, at="2026-11-01T08:00:00Z"):
    return {
        "imei": imei,
        "kind": "blood_pressure",
        "measured_at": at,
        "values": {"systolic": 129, "diastolic": 84, "pulse": 62},
    }


class Boom(Exception):
    pass


def test_a_stored_reading_writes_one_delivery_per_matching_endpoint(
    alice, add_device, endpoint_for
):
    first = endpoint_for(alice, "http://127.0.0.1:9/a")
    second = endpoint_for(alice, "http://127.0.0.1:9/b", fmt="pylo")
    orders_only = endpoint_for(alice, "http://127.0.0.1:9/c", events=["ORDER_STATUS_CHANGED"])
    device = add_device(alice)
    record_measurements(alice, [bp(device.imei)])
    event = Event.objects.get(type="DEVICE_MEASUREMENT")
    assert event.subject_id == str(Measurement.objects.get().pk)
    deliveries = Delivery.objects.filter(event=event)
    assert {d.endpoint_id for d in deliveries} == {first.pk, second.pk}
    assert not Delivery.objects.filter(endpoint=orders_only, event=event).exists()
    assert len({d.webhook_id for d in deliveries}) == 2
    assert all(d.status == "pending" and d.next_attempt_at is not None for d in deliveries)


def test_the_outbox_rolls_back_with_the_readings_transaction(alice, add_device, endpoint_for):
    endpoint_for(alice, "http://127.0.0.1:9/a")
    device = add_device(alice)

    def store_then_fail():
        with transaction.atomic():
            record_measurements(alice, [bp(device.imei)])
            assert Delivery.objects.exists()
            raise Boom

    with pytest.raises(Boom):
        store_then_fail()
    assert not Measurement.objects.exists()
    assert not Event.objects.exists()
    assert not Delivery.objects.exists()


def test_a_duplicate_reading_is_announced_once(alice, add_device, endpoint_for):
    endpoint_for(alice, "http://127.0.0.1:9/a", events=["DEVICE_MEASUREMENT"])
    device = add_device(alice)
    record_measurements(alice, [bp(device.imei)])
    record_measurements(alice, [bp(device.imei), bp(device.imei)])
    assert Delivery.objects.count() == 1


@pytest.mark.live
def test_charlies_endpoint_receives_nothing_of_alices_readings(
    alice, charlie, add_device, endpoint_for, receiver_factory
):
    alices, charlies = receiver_factory(), receiver_factory()
    endpoint_for(alice, alices.url, events=["DEVICE_MEASUREMENT"])
    endpoint_for(charlie, charlies.url)
    record_measurements(alice, [bp(add_device(alice).imei)])
    deliver_due(now=T0)
    assert len(alices.wait_for(1)) == 1
    assert charlies.requests == []
    assert not Delivery.objects.filter(company=charlie).exists()


@pytest.mark.live
def test_a_device_becoming_active_announces_its_billing_status(
    alice, add_device, endpoint_for, receiver
):
    endpoint_for(alice, receiver.url, events=["DEVICE_BILLING_STATUS_CHANGED"])
    device = add_device(alice)
    record_measurements(alice, [bp(device.imei)])
    deliver_due(now=T0)
    (request,) = receiver.wait_for(1)
    assert request.json()["type"] == "DEVICE_BILLING_STATUS_CHANGED"
    assert request.json()["subject"] == str(device.pk)
