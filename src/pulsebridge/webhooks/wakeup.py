"""Waking the webhook workers when deliveries are written (PostgreSQL ``LISTEN/NOTIFY``).

The transaction that writes deliveries also sends a notification on :data:`CHANNEL`;
PostgreSQL hands it to the listeners when, and only if, that transaction commits. Each worker
listens on a connection of its own and claims at once when one arrives, instead of at its
next poll. The poll stays as the safety net (a listener reconnecting after a network error, a
notification sent while no worker listened): a delivery is never stranded, only later.
SQLite has no notifications; its workers keep polling."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import psycopg
from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)

CHANNEL = "pulsebridge_outbox"
RECONNECT_PAUSE = 1.0
# The connection parameters a listener takes from Django's (the rest, such as the cursor
# factory or the prepare threshold, concern Django's own connection).
LIBPQ_PARAMS = (
    "dbname",
    "user",
    "password",
    "host",
    "port",
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "passfile",
    "service",
    "options",
    "target_session_attrs",
)


def supported() -> bool:
    return connection.vendor == "postgresql"


def notify_new_deliveries() -> None:
    """Inside the transaction that wrote deliveries: tell the workers once it commits."""
    if supported():
        with connection.cursor() as cursor:
            cursor.execute(f"NOTIFY {CHANNEL}")


def notify_sql() -> str | None:
    """``notify_new_deliveries`` as an SQL expression, for a statement that writes deliveries
    to send it in the same round trip (``SELECT`` it); None where there are no notifications."""
    return f"pg_notify('{CHANNEL}', '')" if supported() else None


def _conninfo() -> dict:
    """Django's database, or ``LISTEN_DATABASE_URL`` when connections go through a pooler in
    transaction mode (PgBouncer), where LISTEN cannot work: the listener needs a session of
    its own on the server itself."""
    if settings.LISTEN_DATABASE_URL:
        return {"conninfo": settings.LISTEN_DATABASE_URL}
    params = connection.get_connection_params()
    return {k: v for k, v in params.items() if k in LIBPQ_PARAMS and v not in (None, "")}


async def listen(on_notify: Callable[[], None], *, ready: asyncio.Event | None = None) -> None:
    """Call ``on_notify()`` for each notification until cancelled, reconnecting after errors.
    ``ready`` is set each time the listener is (again) subscribed."""
    params = _conninfo()
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(**params, autocommit=True) as conn:
                await conn.execute(f"LISTEN {CHANNEL}")
                if ready is not None:
                    ready.set()
                on_notify()  # something may have been written while we were not listening
                async for _ in conn.notifies():
                    on_notify()
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.warning(
                "webhook worker: lost its %s listener; polling until it is back",
                CHANNEL,
                exc_info=True,
            )
            await asyncio.sleep(RECONNECT_PAUSE)
