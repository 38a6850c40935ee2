"""Monthly partitions on PostgreSQL: the layout the migrations make, the coming months made
ahead, the expired ones dropped, a table holding rows moved in while it changes, and queries
that read only the months they ask for (EXPLAIN of what the API really runs)."""

from __future__ import annotations

import itertools
import json
import re
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client

from pulsebridge.ingest.readings import record_items as record_measurements
from pulsebridge.lib import partitions
from pulsebridge.readings.models import Measurement

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions: PostgreSQL only"),
]

TABLES = {
    "readings_measurement": "measured_at",
    "tracking_trackerevent": "timestamp",
    "webhooks_deliveryattempt": "at",
}


def month(year: int, number: int) -> datetime:
    return datetime(year, number, 1, tzinfo=UTC)


@pytest.mark.parametrize("table", TABLES)
def test_the_largest_tables_are_partitioned_by_month_from_a_year_back_to_three_ahead(table):
    assert partitions.is_partitioned(table)
    found = partitions.partitions(table)
    now = datetime.now(UTC)
    first = partitions.month_start(now)
    for _ in range(partitions.MONTHS_BACK):
        first = partitions.month_start(first - timedelta(days=1))
    monthly = [p for p in found if p.start is not None and p.end is not None]
    assert (found[0].name, found[0].start) == (f"{table}_before", None)
    assert (found[-1].name, found[-1].end) == (f"{table}_default", None)
    assert monthly[0].start == first
    last = partitions.month_start(now)
    for _ in range(partitions.MONTHS_AHEAD):
        last = partitions.next_month(last)
    assert monthly[-1].start == last
    # one partition per month, no gap, no overlap
    assert all(a.end == b.start for a, b in itertools.pairwise(found[:-1]))


def where(measurement_id) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text FROM readings_measurement WHERE id = %s",
            [measurement_id],
        )
        return cursor.fetchone()[0]


def bp(imei: str, at: str) -> dict:
    return {
        "imei": imei,
        "kind": "blood_pressure",
        "measured_at": at,
        "values": {"systolic": 120, "diastolic": 80},
    }


def test_a_reading_lands_in_the_partition_of_its_month(alice, add_device):
    device = add_device(alice)
    now = datetime.now(UTC)
    at = now.replace(microsecond=0).isoformat()
    (new,) = record_measurements(alice, [bp(device.imei, at)])
    assert where(new.id) == f"readings_measurement_p{now:%Y%m}"
    (old,) = record_measurements(alice, [bp(device.imei, "2001-02-03T04:05:06Z")])
    assert where(old.id) == "readings_measurement_before"


def test_ensure_makes_the_coming_months_once():
    later = month(2031, 5)
    made = partitions.ensure("webhooks_deliveryattempt", now=later)
    assert made[0] == "webhooks_deliveryattempt_p203105"
    assert made[-1] == "webhooks_deliveryattempt_p203108"
    assert partitions.ensure("webhooks_deliveryattempt", now=later) == []


def test_retention_drops_whole_months_and_empties_the_before_partition(alice, add_device):
    device = add_device(alice)
    record_measurements(alice, [bp(device.imei, "2001-02-03T04:05:06Z")])  # in _before
    names = [p.name for p in partitions.partitions("readings_measurement")]
    second_month = partitions.partitions("readings_measurement")[2]
    dropped = partitions.drop_before("readings_measurement", second_month.start)
    assert dropped == names[:2]  # before (emptied, kept), then the first month (dropped)
    left = [p.name for p in partitions.partitions("readings_measurement")]
    assert left == [names[0], *names[2:]]
    assert not Measurement.objects.exists()
    assert partitions.drop_before("readings_measurement", second_month.start) == []


@contextmanager
def plans_of(table: str):
    """The plans of every query touching ``table`` that runs inside: each is EXPLAINed with its
    own parameters on the same connection, just before it runs."""
    plans: list[str] = []

    def explain(execute, sql, params, many, context):
        if table in sql and sql.lstrip().upper().startswith(("SELECT", "WITH")) and not many:
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
                plans.append(json.dumps(cursor.fetchone()[0]))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(explain):
        yield plans


def scanned(plans: list[str], table: str) -> set[str]:
    return set(re.findall(rf'"Relation Name": "({table}_[a-z0-9_]+)"', " ".join(plans)))


@pytest.fixture
def months_of_readings(alice, add_device):
    """A patient's cuff with a reading in each of the three months before this one."""
    from pulsebridge.devices.services import assign_device

    device = add_device(alice)
    assign_device(device, patient_id="P-1")
    this = partitions.month_start(datetime.now(UTC))
    earlier = [partitions.month_start(this - timedelta(days=1))]
    for _ in range(2):
        earlier.insert(0, partitions.month_start(earlier[0] - timedelta(days=1)))
    record_measurements(alice, [bp(device.imei, f"{m:%Y-%m}-15T08:00:00Z") for m in earlier])
    return device, earlier


def test_a_pylo_readings_query_of_one_month_reads_only_that_months_partition(
    client: Client, alice, make_key, months_of_readings
):
    device, months = months_of_readings
    key = make_key(alice, "pylo")
    body = {
        "imei": device.imei,
        "measurement_taken_start_date": f"{months[1]:%Y-%m}-01T00:00:00Z",
        "measurement_taken_end_date": f"{months[1]:%Y-%m}-28T23:59:59Z",
    }
    with plans_of("readings_measurement") as plans:
        answer = client.post(
            "/pylo/readings", body, content_type="application/json", HTTP_X_API_KEY=key
        )
    assert answer.status_code == 200
    assert [m["MeasuredAt"][:7] for m in answer.json()["measurements"]] == [f"{months[1]:%Y-%m}"]
    assert scanned(plans, "readings_measurement") == {f"readings_measurement_p{months[1]:%Y%m}"}


def test_tenovi_measurements_of_a_time_range_read_only_its_partitions(
    client: Client, alice, make_key, months_of_readings
):
    _, months = months_of_readings
    key = make_key(alice, "tenovi", rate_per_second=1000)
    path = (
        f"/tenovi/clients/{alice.code}/hwi/patients/P-1/measurements/"
        f"?timestamp__gte={months[0]:%Y-%m}-01T00:00:00Z&timestamp__lt={months[2]:%Y-%m}-01T00:00:00Z"
    )
    with plans_of("readings_measurement") as plans:
        answer = client.get(path, HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert answer.status_code == 200
    assert scanned(plans, "readings_measurement") == {
        f"readings_measurement_p{months[0]:%Y%m}",
        f"readings_measurement_p{months[1]:%Y%m}",
    }


def test_a_fhir_observation_search_of_a_date_range_reads_only_its_partitions(
    client: Client, alice, make_key, months_of_readings
):
    _, months = months_of_readings
    key = make_key(alice, "fhir")
    with plans_of("readings_measurement") as plans:
        answer = client.get(
            "/fhir/R4/Observation",
            {"date": [f"ge{months[1]:%Y-%m}-01", f"lt{months[2]:%Y-%m}-01"], "_count": "50"},
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )
    assert answer.status_code == 200
    assert answer.json()["resourceType"] == "Bundle"
    assert scanned(plans, "readings_measurement") == {f"readings_measurement_p{months[1]:%Y%m}"}


# ------------------------------------------------------------------ moving a table holding rows


@pytest.fixture
def scratch():
    """An unpartitioned table shaped like the partitioned ones: an identity key, a time, a
    unique constraint with the time, an index, a check."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE pbtest_events ("
            " id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
            " at timestamptz NOT NULL, k text NOT NULL, n integer NOT NULL CHECK (n >= 0),"
            " CONSTRAINT pbtest_events_k_at UNIQUE (k, at))"
        )
        cursor.execute("CREATE INDEX pbtest_events_at ON pbtest_events (at, id)")
        for i in range(40):
            cursor.execute(
                "INSERT INTO pbtest_events (at, k, n) VALUES (%s, %s, %s)",
                [
                    datetime(2026, 8 + i % 3, 1 + i, 12, tzinfo=UTC)
                    if i < 28
                    else datetime(2026, 10, 1, tzinfo=UTC),
                    f"k{i}",
                    i,
                ],
            )
    return "pbtest_events"


def rows(table: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, at, k, n FROM {table} ORDER BY id")  # noqa: S608 - a test table
        return cursor.fetchall()


def test_a_table_holding_rows_is_moved_in_while_it_changes(scratch):
    before = rows(scratch)
    copied = partitions.copy_into_partitions(scratch, "at", "id", batch=7)
    assert copied == 40
    # the server keeps writing between the copy and the swap: the trigger repeats it all
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO pbtest_events (at, k, n) VALUES ('2026-11-05T00:00:00Z', 'late', 1)"
        )
        cursor.execute("UPDATE pbtest_events SET n = 99 WHERE k = 'k3'")
        cursor.execute("DELETE FROM pbtest_events WHERE k = 'k4'")
    expected = rows(scratch)
    assert expected != before
    old = partitions.swap_in(scratch, "id")
    assert partitions.is_partitioned(scratch)
    assert rows(scratch) == expected
    assert {p.name for p in partitions.partitions(scratch)} >= {
        "pbtest_events_before",
        "pbtest_events_p202608",
        "pbtest_events_p202611",
        "pbtest_events_default",
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'pbtest_events'::regclass "
            "ORDER BY conname"
        )
        names = [n for (n,) in cursor.fetchall()]
        cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgname = 'pbtest_events_mirror'")
        assert cursor.fetchone()[0] == 0
        cursor.execute("INSERT INTO pbtest_events (at, k, n) VALUES (now(), 'new', 0) RETURNING id")
        (new_id,) = cursor.fetchone()
        cursor.execute(f"SELECT count(*) FROM {old}")  # noqa: S608 - a test table
        assert cursor.fetchone()[0] == len(expected)
    assert {"pbtest_events_k_at", "pbtest_events_pkey"} <= set(names)
    assert new_id > max(r[0] for r in expected)  # the sequence carried on
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'pbtest_events'")
        assert "pbtest_events_at" in {n for (n,) in cursor.fetchall()}


def test_an_interrupted_copy_carries_on_after_the_last_key_it_copied(scratch):
    seen = []

    def stop_after_two_batches(copied):
        seen.append(copied)
        if len(seen) == 2:
            raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        partitions.copy_into_partitions(
            scratch, "at", "id", batch=10, progress=stop_after_two_batches
        )
    assert seen == [10, 20]
    assert partitions.copy_into_partitions(scratch, "at", "id", batch=10) == 20  # the rest only
    partitions.swap_in(scratch, "id")
    assert len(rows(scratch)) == 40


def test_an_empty_measurement_table_needs_no_move_and_a_partitioned_one_refuses_a_second():
    assert partitions.partition_empty_table("readings_measurement", "measured_at") is False
    assert Measurement.objects.count() == 0
