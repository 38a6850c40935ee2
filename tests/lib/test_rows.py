"""lib.rows: the row comparison of a cursor and a condition checked on the rows read, the same
rows on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import Q

from pulsebridge.ingest.readings import record_items
from pulsebridge.lib.rows import CheckedOnly, RowAfter
from pulsebridge.readings.models import Measurement

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
def readings(alice, charlie, add_device):
    """Three readings of Alice's cuff at two times, and one of Charlie's."""
    alices = add_device(alice, "PY-802-LTE", imei="356000000000101")
    charlies = add_device(charlie, "PY-802-LTE", imei="356000000000102")

    def reading(company, device, at, user):
        [outcome] = record_items(
            company,
            [
                {
                    "imei": device.imei,
                    "kind": "blood_pressure",
                    "measured_at": at.isoformat(),
                    "values": {"systolic": 120, "diastolic": 80, "pulse": 60, "irregular": 0},
                    "device_user": user,
                }
            ],
        )
        assert outcome.status == "created"
        return outcome.id

    return {
        "alice": [
            reading(alice, alices, START, "1"),
            reading(alice, alices, START, "2"),
            reading(alice, alices, START + timedelta(minutes=1), "1"),
        ],
        "charlie": [reading(charlie, charlies, START, "1")],
    }


def _ids(queryset) -> set[str]:
    return {str(pk) for pk in queryset.values_list("pk", flat=True)}


def test_a_checked_condition_keeps_the_rows_the_plain_one_keeps(alice, charlie, readings):
    for company, name in ((alice, "alice"), (charlie, "charlie")):
        checked = Measurement.objects.filter(CheckedOnly(Q(company=company)))
        assert _ids(checked) == _ids(Measurement.objects.for_company(company))
        assert _ids(checked) == set(readings[name])
    # beside other conditions, negated, and with a condition that is never true
    assert _ids(Measurement.objects.filter(CheckedOnly(Q(company=alice)), device_user="2")) == {
        readings["alice"][1]
    }
    assert _ids(Measurement.objects.exclude(CheckedOnly(Q(company=alice)))) == set(
        readings["charlie"]
    )
    assert not Measurement.objects.filter(CheckedOnly(Q(company=alice) & Q(company=charlie)))


def test_the_rows_after_a_cursor_are_those_after_its_time_then_its_id(alice, readings):
    ordered = list(
        Measurement.objects.for_company(alice)
        .order_by("measured_at", "pk")
        .values_list("measured_at", "pk")
    )
    for index, (at, pk) in enumerate(ordered):
        after = Measurement.objects.for_company(alice).filter(
            Q(measured_at__gte=at), RowAfter("measured_at", at, pk, model=Measurement)
        )
        assert (
            list(after.order_by("measured_at", "pk").values_list("measured_at", "pk"))
            == (ordered[index + 1 :])
        )
