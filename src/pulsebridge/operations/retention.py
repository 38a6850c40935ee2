"""What the background worker removes, and when (docs/operations.md, "Retention"): succeeded
webhook deliveries with their attempts, the bodies of imported care batches, FHIR export files.
Nothing else is deleted (the monthly partitions past their retention are dropped by the daily
partition upkeep, operations/partitioning.py). Each step is idempotent: several workers may run
it at once."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from pulsebridge.care.importer import prune_bodies
from pulsebridge.webhooks.outbox import prune_succeeded

logger = logging.getLogger("pulsebridge.retention")


def _days_ago(setting: str, now: datetime) -> datetime | None:
    days = getattr(settings, setting)
    return now - timedelta(days=days) if days else None


def prune_all(now: datetime | None = None) -> dict[str, int]:
    """Run every retention step; what each removed."""
    now = now or timezone.now()
    removed = {}
    if (before := _days_ago("SUCCEEDED_DELIVERIES_RETENTION_DAYS", now)) is not None:
        removed["succeeded_deliveries"] = prune_succeeded(before)
    if (before := _days_ago("IMPORT_BODIES_RETENTION_DAYS", now)) is not None:
        removed["import_bodies"] = prune_bodies(before)
    # Steps owned by a wire format (the FHIR exports), by dotted path: operations never
    # imports a dialect.
    for name, path in settings.RETENTION_STEPS.items():
        removed[name] = import_string(path)()
    for name, count in removed.items():
        if count:
            logger.info("retention: %s: %d removed", name, count)
    return removed
