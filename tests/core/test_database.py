"""On PostgreSQL, parameters are bound by the server and a statement run often is prepared."""

import pytest
from django.db import connection

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="server-side binding: PostgreSQL only"
)


def test_a_statement_run_often_is_prepared_once_on_its_connection(db):
    sql = "SELECT count(*) FROM core_company WHERE code = %s"
    with connection.cursor() as cursor:
        for n in range(6):
            cursor.execute(sql, [f"code-{n}"])  # the values change, the statement does not
            assert cursor.fetchone() == (0,)
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [statement for (statement,) in cursor.fetchall()]
    # prepared with its placeholder: the values were bound by the server, not spliced in
    assert "SELECT count(*) FROM core_company WHERE code = $1" in prepared
