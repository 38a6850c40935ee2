"""What the PostgreSQL tests of the page queries check after running a page several times."""

from __future__ import annotations


def assert_page_queries_never_planned_generic() -> None:
    """Every prepared page query on the readings (a ``LIMIT`` over ``readings_measurement``)
    was planned for its values each time, never with a generic plan (lib.plans.custom_plans)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE statement LIKE '%readings_measurement%' AND statement LIKE '%LIMIT%'"
        )
        plans = cursor.fetchall()
    assert plans, "the page query was never prepared (settings.PREPARE_THRESHOLD)"
    assert [generic for generic, _ in plans] == [0] * len(plans)
