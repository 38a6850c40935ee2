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


@pytest.mark.parametrize("count", [1, 12, 30])
def test_events_and_their_deliveries_are_written_whole_whatever_the_batch(
    alice, endpoint_for, count
):
    """A few events and deliveries go in as one statement on PostgreSQL (VALUES up to ten
    rows, one JSON document beyond, the notification with them), more as one insert per
    table: the rows are the same either way. 30 events to two endpoints are 60 deliveries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from pulsebridge.webhooks.services import publish

    from .conftest import render_for_tests

    first = endpoint_for(alice, "http://127.0.0.1:9/a")
    second = endpoint_for(alice, "http://127.0.0.1:9/b")
    subjects = [(f"subject-{i}", object()) for i in range(count)]
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        events = publish(alice, "DEVICE_MEASUREMENT", subjects)
    stored = {e.pk: e for e in Event.objects.filter(company=alice)}
    assert sorted(e.subject_id for e in stored.values()) == sorted(s for s, _ in subjects)
    assert set(stored) == {e.pk for e in events}
    deliveries = Delivery.objects.filter(company=alice)
    assert sorted((d.event_id, d.endpoint_id) for d in deliveries) == sorted(
        (e.pk, endpoint.pk) for e in events for endpoint in (first, second)
    )
    for d in deliveries:
        event = stored[d.event_id]
        rendered = render_for_tests(event, None, None)
        assert (d.body, d.headers) == (rendered.body, rendered.headers)
        assert d.webhook_id == f"msg_{d.pk.hex}"
        assert (d.status, d.attempts, d.claim_token, d.last_error) == ("pending", 0, "", "")
        assert d.next_attempt_at == d.created_at == event.created_at
    if connection.vendor == "postgresql":
        writes = [q["sql"] for q in queries if "INSERT INTO" in q["sql"] or "NOTIFY" in q["sql"]]
        if 2 * count <= 50:
            assert len(writes) == 1, writes
            assert "pg_notify('pulsebridge_outbox', '')" in writes[0]
        else:  # the deliveries by COPY, which the capture does not see
            assert writes[-1] == "NOTIFY pulsebridge_outbox"
            assert not any("pg_notify" in sql for sql in writes)
