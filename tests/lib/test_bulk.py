"""core.bulk writes JSON columns through orjson, and through the standard encoder what orjson
refuses; a few rows go in with INSERT ... VALUES, more with COPY (PostgreSQL)."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.utils import timezone as django_timezone

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
