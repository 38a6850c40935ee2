"""``pulsebridge partitions``: what the operator sees and does."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management.base import CommandError
from django.db import connection

from pulsebridge.lib import partitions

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions: PostgreSQL only")
def test_list_shows_each_tables_months_and_retention(run_json):
    listed = run_json("partitions", "list")
    assert set(listed) == {"readings", "tracker-events", "delivery-attempts"}
    assert listed["readings"]["partitioned"] is True
    assert listed["readings"]["retention_days"] is None
    assert listed["delivery-attempts"]["retention_days"] == 90
    names = [p["name"] for p in listed["readings"]["partitions"]]
    assert names[0] == "readings_measurement_before"
    assert names[-1] == "readings_measurement_default"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions: PostgreSQL only")
def test_ensure_makes_nothing_twice_and_prune_drops_only_the_months_past_retention(run_json):
    assert run_json("partitions", "ensure") == {
        "made": {"readings": [], "tracker-events": [], "delivery-attempts": []}
    }
    cutoff = datetime.now(UTC) - timedelta(days=90)
    expired = [
        p.name
        for p in partitions.partitions("webhooks_deliveryattempt")
        if p.start is not None and p.end is not None and p.end <= cutoff
    ]
    assert expired  # a new table starts a year back: 90 days keep three months of them
    assert run_json("partitions", "prune") == {"dropped": {"delivery-attempts": expired}}
    assert run_json("partitions", "prune") == {"dropped": {"delivery-attempts": []}}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions: PostgreSQL only")
def test_migrate_refuses_a_table_partitioned_already(run):
    with pytest.raises(CommandError, match="partitioned already"):
        run("partitions", "migrate", "readings")


@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite: nothing to partition")
def test_on_sqlite_the_command_says_partitions_are_postgresql_only(run):
    with pytest.raises(CommandError, match="PostgreSQL feature; this database is sqlite"):
        run("partitions", "list")
