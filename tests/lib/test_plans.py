"""lib.plans.custom_plans: queries inside are planned for their values on PostgreSQL, and the
block is transparent on SQLite."""

from __future__ import annotations

import pytest
from django.db import connection

from pulsebridge.lib.plans import custom_plans


def _plan_cache_mode() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_inside_the_block_queries_are_planned_for_their_values_and_the_setting_ends_with_it():
    if connection.vendor != "postgresql":
        with custom_plans(), connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
        assert not connection.in_atomic_block  # nothing opened on SQLite, nothing left open
        return
    assert _plan_cache_mode() == "auto"
    with custom_plans():
        assert connection.in_atomic_block
        assert _plan_cache_mode() == "force_custom_plan"
    assert not connection.in_atomic_block
    assert _plan_cache_mode() == "auto"


@pytest.mark.django_db(transaction=True)
def test_an_error_inside_the_block_leaves_the_connection_as_it_was():
    with pytest.raises(ZeroDivisionError), custom_plans():
        1 / 0  # noqa: B018
    assert not connection.in_atomic_block
    if connection.vendor == "postgresql":
        assert _plan_cache_mode() == "auto"
