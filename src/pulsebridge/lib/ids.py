"""Identifiers that clients see: opaque, random, and (for uuid7) ordered by creation time so
that primary-key indexes stay compact on large tables."""

import os
import secrets
import time
import uuid


def uuid7() -> uuid.UUID:
    """A version 7 UUID (RFC 9562): 48 bits of Unix milliseconds, then random bits."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return uuid.UUID(int=value)


def random_token(length: int = 32) -> str:
    """Lowercase letters and digits only, so the token survives any header, path or shell."""
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(length))


# The largest integer a row id (a BIGINT) can hold. Past it PostgreSQL answers "no such row" or
# "out of range", but SQLite cannot even bind the value (OverflowError): every integer a client
# sends as an id is checked against this first.
MAX_ROW_ID = 2**63 - 1


class RowIdConverter:
    """``<rowid:pk>`` in a path: digits that fit a BIGINT; a longer id matches no route (404)."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ROW_ID:
            raise ValueError("past the largest row id")  # Django: no match
        return number

    def to_url(self, value: int) -> str:
        return str(value)
