"""lib.bulk writes JSON columns through orjson, and through the standard encoder what orjson
refuses; a few rows go in with INSERT ... VALUES, more with COPY (PostgreSQL), which falls back
to a scratch table and ON CONFLICT when some rows exist already."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import connection
from django.utils import timezone as django_timezone

from pulsebridge.devices.models import Patient
from pulsebridge.lib.bulk import FEW_ROWS, Table
from pulsebridge.readings.validation import Reading
from pulsebridge.webhooks.models import Event

pytestmark = pytest.mark.django_db

DATA = [
    {"reading": {"systolic": 120.5, "irregular": False}, "note": "é \u2028 ✓", "none": None},
    {"big": 10**30, "list": [1, 2.25, "x"]},  # past 64 bits: orjson refuses it
]


@pytest.mark.parametrize("count", [2, FEW_ROWS + 10], ids=["few rows", "many rows"])
def test_json_columns_are_stored_as_given(alice, count):
    table = Table(Event)
    now = django_timezone.now()
    rows = [
        table.new_row(
            now,
            {
                "company_id": alice.pk,
                "type": "device.measurement",
                "created_at": now,
                "subject_id": str(i),
                "data": DATA[i % len(DATA)],
            },
        )
        for i in range(count)
    ]
    table.insert(rows)
    stored = dict(Event.objects.filter(company=alice).values_list("subject_id", "data"))
    assert stored == {str(i): DATA[i % len(DATA)] for i in range(count)}


def test_a_dict_with_keys_that_are_not_strings_is_written_as_json_writes_it(alice):
    table = Table(Event)
    now = django_timezone.now()
    row = table.new_row(
        now,
        {
            "company_id": alice.pk,
            "type": "device.measurement",
            "created_at": now,
            "subject_id": "1",
            "data": {1: "one"},
        },
    )
    table.insert([row])
    assert Event.objects.get(company=alice).data == {"1": "one"}


def test_the_dedupe_key_of_a_reading_keeps_its_format():
    """Keys already stored must match those computed for the same reading sent again."""
    at = datetime(2026, 11, 1, 12, 0, 5, tzinfo=timezone(timedelta(hours=2)))
    reading = Reading(kind="blood_pressure", measured_at=at, values={})
    assert reading.dedupe_key == "m:blood_pressure:2026-11-01T10:00:05.000000Z:1"
    reading.measured_at = datetime(2026, 11, 1, 10, 0, 5, 120, tzinfo=UTC)
    reading.device_user = "2"
    assert reading.dedupe_key == "m:blood_pressure:2026-11-01T10:00:05.000120Z:2"


@pytest.mark.parametrize("count", [3, FEW_ROWS + 10], ids=["few rows", "many rows"])
def test_insert_missing_skips_the_rows_that_exist_and_says_which_went_in(alice, count):
    """With many rows, the COPY straight into the table fails on the first conflict; the rows
    then go through the scratch table and ON CONFLICT DO NOTHING, in the same transaction."""
    table = Table(Patient)
    now = django_timezone.now()
    taken = Patient.objects.create(company=alice, external_id="P1", name="Before")
    rows = [
        table.new_row(now, {"company_id": alice.pk, "external_id": f"P{i}", "name": f"N{i}"})
        for i in range(count)
    ]
    inserted = table.insert_missing(rows)
    stored = dict(Patient.objects.filter(company=alice).values_list("external_id", "name"))
    assert stored == {"P1": "Before", **{f"P{i}": f"N{i}" for i in range(count) if i != 1}}
    if connection.vendor == "postgresql":
        assert inserted == {row["id"] for row in rows if row["external_id"] != "P1"}
        assert taken.pk not in inserted
    else:
        assert inserted is None  # SQLite cannot say: the caller asks


@pytest.mark.skipif(connection.vendor != "postgresql", reason="insert_sql: PostgreSQL only")
@pytest.mark.parametrize("count", [2, 30], ids=["as VALUES", "as one JSON document"])
def test_insert_sql_writes_json_nulls_and_times_as_given_and_skips_conflicts(alice, count):
    table = Table(Event)
    now = django_timezone.now()
    rows = [
        table.new_row(
            now,
            {
                "company_id": alice.pk,
                "type": "device.measurement",
                "created_at": now - timedelta(microseconds=i),
                "subject_id": str(i),
                "data": DATA[i % len(DATA)],
            },
        )
        for i in range(count)
    ]
    sql, params = table.insert_sql(rows, skip_conflicts=True, returning=["id"])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        assert {pk for (pk,) in cursor.fetchall()} == {row["id"] for row in rows}
        cursor.execute(sql, params)  # the same rows again: every one conflicts
        assert cursor.fetchall() == []
    stored = {e.subject_id: (e.data, e.created_at) for e in Event.objects.filter(company=alice)}
    assert stored == {
        str(i): (DATA[i % len(DATA)], now - timedelta(microseconds=i)) for i in range(count)
    }
