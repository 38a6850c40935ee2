"""Queries planned for their own values, even once prepared.

The settings have psycopg prepare a statement run ``PREPARE_THRESHOLD`` times on a connection.
PostgreSQL then plans a prepared statement for its values a few times and, when the plan made
for any values looks no dearer, keeps that one. For "one patient's readings in a range, in time
order, the first page" that generic plan guesses a handful of rows per partition, so it reads
every reading of the range and sorts them: many times slower than the plan made for the patient
and the range, which reads the page from the ``(patient, measured_at, id)`` index and stops, and
dearer the longer the range (profiled: docs/performance.md, "Figures from the code"). A page
query runs inside :func:`custom_plans`; SQLite plans every statement anew and needs nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def custom_plans() -> Iterator[None]:
    """The queries run inside are planned for their values (one transaction on PostgreSQL, so
    that the setting ends with it; the queries inside see one snapshot)."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        yield
