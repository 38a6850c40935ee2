"""One write path per database. On PostgreSQL every batch is one statement that inserts the
readings and widens their devices' times. For a batch of active devices with nothing else to
follow, that statement runs alone: with the events and deliveries of the new readings when
the batch is small (``RENDERED_AHEAD``), else with none wanted. Otherwise it runs in the
transaction that also activates devices, moves enrolments and writes the outbox. Every path
must store the same things: the reading and the device's times; with an endpoint, one event
and one delivery per new reading too."""

import json
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pulsebridge.devices.models import Device
from pulsebridge.ingest.readings import record_items as record_measurements
from pulsebridge.lib.bulk import CACHED_STATEMENT_PARAMS, Table
from pulsebridge.readings.models import Measurement
from pulsebridge.readings.services import RENDERED_AHEAD
from pulsebridge.webhooks.models import Delivery, Event, EventType, WebhookEndpoint
from pulsebridge.webhooks.services import create_endpoint

pytestmark = pytest.mark.django_db


def bp(imei, at, **extra):
    return {
        "imei": imei,
        "kind": "blood_pressure",
        "measured_at": at,
        "values": {"systolic": 129, "diastolic": 84, "pulse": 62},
        **extra,
    }


@pytest.fixture(params=["quiet", "watched"])
def company(request, alice, settings):
    if request.param == "watched":
        settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
        create_endpoint(alice, "http://127.0.0.1:9/hook", "secret", "pylo")
    return alice


@pytest.fixture
def device(company, add_device):
    device = add_device(company)
    device.billing_status = "active"
    device.save()
    return device


def test_readings_their_times_and_events_are_stored(company, device):
    record_measurements(company, [bp(device.imei, "2026-11-01T08:00:00Z")])
    outcomes = record_measurements(
        company,
        [
            bp(device.imei, "2026-11-02T09:00:00Z", battery=80, id="r-2"),
            bp(device.imei, "2026-10-30T07:00:00+02:00"),
            bp(device.imei, "2026-11-01T08:00:00Z"),  # sent before
        ],
    )
    assert [o.status for o in outcomes] == ["created", "created", "duplicate"]
    device.refresh_from_db()
    assert device.first_measurement_at == datetime(2026, 10, 30, 5, tzinfo=UTC)
    assert device.last_measurement_at == datetime(2026, 11, 2, 9, tzinfo=UTC)
    stored = Measurement.objects.get(pk=outcomes[0].id)
    assert (stored.battery, stored.sender_id, stored.values["systolic"]) == (80, "r-2", 129)
    assert (stored.company_id, stored.patient_id) == (company.pk, device.patient_id)
    first = Measurement.objects.get(dedupe_key__endswith="2026-11-01T08:00:00.000000Z:1")
    assert outcomes[2].id == str(first.pk)
    events = Event.objects.filter(company=company, type=EventType.DEVICE_MEASUREMENT)
    announced = sorted(events.values_list("subject_id", flat=True))
    delivered = Delivery.objects.filter(company=company).values_list("event__subject_id", flat=True)
    if company.webhook_endpoints.exists():
        ids = Measurement.objects.filter(device=device).values_list("pk", flat=True)
        assert announced == sorted(str(pk) for pk in ids)
        assert sorted(delivered) == announced
    else:
        assert announced == []
        assert list(delivered) == []


def test_only_a_company_with_an_endpoint_gets_deliveries(company, device):
    record_measurements(company, [bp(device.imei, "2026-11-01T08:00:00Z")])
    watched = Delivery.objects.filter(company=company).exists()
    assert watched == company.webhook_endpoints.exists()


def test_a_device_not_yet_active_is_activated_either_way(company, add_device):
    device = add_device(company)
    record_measurements(company, [bp(device.imei, "2026-11-01T08:00:00Z")])
    device.refresh_from_db()
    assert device.billing_status == "active"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="one statement: PostgreSQL only")
@pytest.mark.parametrize("count", [1, 200])
def test_a_quiet_batch_is_one_statement_whatever_its_size(alice, add_device, count):
    device = add_device(alice)
    device.billing_status = "active"
    device.save()
    readings = [bp(device.imei, f"2026-11-01T08:{i // 60:02}:{i % 60:02}Z") for i in range(count)]
    with CaptureQueriesContext(connection) as queries:
        outcomes = record_measurements(alice, readings)
    assert [o.status for o in outcomes] == ["created"] * count
    writes = [q["sql"] for q in queries if not q["sql"].lstrip().startswith("SELECT")]
    assert len(writes) == 1, writes
    assert writes[0].startswith("WITH stored AS (INSERT INTO")
    # rows as VALUES while psycopg keeps the statement parsed, else one JSON document: one
    # statement either way
    as_values = count * len(Table(Measurement).attnames) <= CACHED_STATEMENT_PARAMS
    assert ("json_to_recordset(" in writes[0]) == (not as_values)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="one statement: PostgreSQL only")
@pytest.mark.parametrize("count", [1, 3, RENDERED_AHEAD, RENDERED_AHEAD + 1])
def test_a_small_watched_batch_of_active_devices_is_one_question_and_one_statement(
    company, device, count
):
    """The device look-up brings the endpoints; one statement writes the readings, their
    devices' times, their events and deliveries, and wakes the workers. A bigger batch writes
    its events after its readings, rendering only the new ones."""
    readings = [bp(device.imei, f"2026-11-01T08:00:{i:02}Z") for i in range(count)]
    with CaptureQueriesContext(connection) as queries:
        outcomes = record_measurements(company, readings)
    assert [o.status for o in outcomes] == ["created"] * count
    # (a transaction inside the test's own is a savepoint)
    asked, written, *after = [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]
    assert Device._meta.db_table in asked
    assert WebhookEndpoint._meta.db_table in asked
    assert written.startswith("WITH stored AS (INSERT INTO")
    watched = company.webhook_endpoints.exists()
    together = watched and count <= RENDERED_AHEAD
    for table in (Event._meta.db_table, Delivery._meta.db_table):
        assert (f"INSERT INTO {connection.ops.quote_name(table)}" in written) == together
    assert ("pg_notify(" in written) == together
    assert bool(after) == (watched and not together)
    assert Delivery.objects.filter(company=company).count() == (count if watched else 0)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="one statement: PostgreSQL only")
def test_a_watched_reading_is_written_outside_any_transaction(
    transactional_db, alice, add_device, settings
):
    """Atomic on its own, the statement runs in autocommit: psycopg sends no BEGIN and no
    COMMIT around it."""
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    create_endpoint(alice, "http://127.0.0.1:9/hook", "secret", "pylo")
    device = add_device(alice)
    device.billing_status = "active"
    device.save()
    seen = []

    def keep(execute, sql, params, many, context):
        seen.append((sql, connection.get_autocommit(), connection.in_atomic_block))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        (outcome,) = record_measurements(alice, [bp(device.imei, "2026-11-01T08:00:00Z")])
    assert outcome.status == "created"
    assert [(autocommit, atomic) for _, autocommit, atomic in seen] == [(True, False)] * 2
    assert Delivery.objects.get(company=alice).event.subject_id == outcome.id


@pytest.mark.skipif(connection.vendor != "postgresql", reason="one statement: PostgreSQL only")
def test_an_endpoint_routed_by_what_is_stored_is_rendered_after_the_insert(
    alice, add_device, settings
):
    """Tenovi's selector looks each reading's HWI assignment up in the database: its events are
    rendered once the reading is stored, inside the transaction, never ahead."""
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    create_endpoint(alice, "http://127.0.0.1:9/hook", "secret", "tenovi")
    device = add_device(alice)
    device.billing_status = "active"
    device.save()
    with CaptureQueriesContext(connection) as queries:
        (outcome,) = record_measurements(alice, [bp(device.imei, "2026-11-01T08:00:00Z")])
    assert outcome.status == "created"
    asked, written, *after = [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]
    assert WebhookEndpoint._meta.db_table in asked
    assert written.startswith("WITH stored AS (INSERT INTO")
    assert Event._meta.db_table not in written
    assert after
    # no HWI device: the event is written, and Tenovi's selector routes it nowhere
    assert Event.objects.filter(company=alice, subject_id=outcome.id).exists()
    assert not Delivery.objects.filter(company=alice).exists()


def test_the_endpoints_are_asked_with_the_devices_enabled_or_not(alice, add_device, settings):
    """Whether the company has an enabled endpoint, and which, is asked with its devices, in
    one query; a disabled endpoint gets nothing."""
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    endpoint = create_endpoint(alice, "http://127.0.0.1:9/hook", "secret", "pylo")
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(enabled=False)
    device = add_device(alice)
    device.billing_status = "active"
    device.save()
    for at, enabled in (("2026-11-01T08:00:00Z", False), ("2026-11-02T08:00:00Z", True)):
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(enabled=enabled)
        with CaptureQueriesContext(connection) as queries:
            (outcome,) = record_measurements(alice, [bp(device.imei, at)])
        assert outcome.status == "created"
        asked = [q["sql"] for q in queries if WebhookEndpoint._meta.db_table in q["sql"]]
        assert len(asked) == 1
        assert Device._meta.db_table in asked[0]
        events = Event.objects.filter(company=alice, subject_id=outcome.id)
        assert events.exists() == enabled
    (delivery,) = Delivery.objects.filter(company=alice)
    assert delivery.event.subject_id == outcome.id


@pytest.mark.skipif(connection.vendor != "postgresql", reason="psycopg's statements: PostgreSQL")
@pytest.mark.parametrize("endpoints", [1, 2, 3, 8])
@pytest.mark.parametrize("count", [1, 3, RENDERED_AHEAD + 1])
def test_every_statement_of_a_watched_batch_stays_within_psycopgs_statement_cache(
    alice, add_device, settings, endpoints, count
):
    """psycopg parses a statement of more than CACHED_STATEMENT_PARAMS parameters (or 4,096
    characters) anew on every execution: a third endpoint once took a one-reading request's
    events-and-deliveries statement from 40 parameters to 57, and each request re-parsed it.
    Every statement stays within the cache, whether the events go with the readings' insert or
    after it (a bigger batch), and the rows that travel as one JSON document arrive as they
    would as VALUES."""
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    hooks = [
        create_endpoint(alice, f"http://127.0.0.1:9/hook/{i}", f"secret-{i}", "pylo")
        for i in range(endpoints)
    ]
    device = add_device(alice)
    device.billing_status = "active"
    device.save()
    statements = []

    def keep(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    readings = [bp(device.imei, f"2026-11-01T08:00:{i:02}Z") for i in range(count)]
    with connection.execute_wrapper(keep):
        outcomes = record_measurements(alice, readings)
    assert [o.status for o in outcomes] == ["created"] * count
    for sql, params in statements:
        assert len(params or ()) <= CACHED_STATEMENT_PARAMS, sql
        assert len(sql) <= 4096, sql
    ids = {o.id for o in outcomes}
    for hook in hooks:
        deliveries = Delivery.objects.filter(endpoint=hook).select_related("event")
        assert {d.event.subject_id for d in deliveries} == ids
        for d in deliveries:
            body = json.loads(d.body)
            assert json.loads(body["data"])["Id"] == d.event.subject_id
            assert (d.status, d.attempts, d.headers) == (Delivery.Status.PENDING, 0, {})
            assert d.webhook_id == f"msg_{d.pk.hex}"
