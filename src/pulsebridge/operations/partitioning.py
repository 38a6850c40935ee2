"""Which tables are partitioned by month, on which column, and how long each keeps its
history: the registry behind ``pulsebridge partitions`` and the worker's daily upkeep."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import models

from pulsebridge.lib import partitions
from pulsebridge.readings.models import Measurement
from pulsebridge.tracking.models import TrackerEvent
from pulsebridge.webhooks.models import DeliveryAttempt


@dataclass(frozen=True)
class PartitionedTable:
    name: str  # as the operator names it
    model: type[models.Model]
    column: str
    retention_setting: str

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    @property
    def key(self) -> str:
        return self.model._meta.pk.column

    @property
    def retention_days(self) -> int | None:
        return getattr(settings, self.retention_setting)


TABLES = {
    t.name: t
    for t in [
        PartitionedTable("readings", Measurement, "measured_at", "READINGS_RETENTION_DAYS"),
        PartitionedTable(
            "tracker-events", TrackerEvent, "timestamp", "TRACKER_EVENTS_RETENTION_DAYS"
        ),
        PartitionedTable(
            "delivery-attempts", DeliveryAttempt, "at", "DELIVERY_ATTEMPTS_RETENTION_DAYS"
        ),
    ]
}


def ensure_all(now: datetime | None = None) -> dict[str, list[str]]:
    """The coming months' partitions of every table; the names made, by table."""
    return {t.name: partitions.ensure(t.table, now=now) for t in TABLES.values()}


def prune_all(now: datetime | None = None) -> dict[str, list[str]]:
    """Drop the months past each table's retention (none for a table kept for ever)."""
    now = now or datetime.now(UTC)
    dropped = {}
    for t in TABLES.values():
        if t.retention_days is not None:
            dropped[t.name] = partitions.drop_before(
                t.table, now - timedelta(days=t.retention_days)
            )
    return dropped


def upkeep(now: datetime | None = None) -> None:
    """What the worker runs once a day: make the coming months, drop the expired ones."""
    ensure_all(now)
    prune_all(now)
