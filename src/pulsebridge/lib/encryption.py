"""Secrets that must be read back (webhook signing secrets, Tenovi ``auth_key`` values) are
stored encrypted with Fernet (AES-128-CBC + HMAC-SHA256) under the keys of
``FIELD_ENCRYPTION_KEYS``: the first encrypts, every one decrypts, so a new key is put first, the
rows re-encrypted (``pulsebridge secrets rotate``), and only then the old key removed.

A stored value is ``fernet:`` followed by the token; a value without the prefix is one written
before encryption existed (the migration that introduced the field encrypts those) and is read
as it is. The empty string stays empty: "no secret" is not a secret."""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import models

PREFIX = "fernet:"


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS holds no key")
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS: every key must be 32 url-safe base64-encoded bytes "
            "(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
        ) from exc


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(value: str) -> str:
    if not value:
        return value
    return PREFIX + fernet().encrypt(value.encode()).decode()


def decrypt(stored: str) -> str:
    if not stored or not stored.startswith(PREFIX):
        return stored
    try:
        return fernet().decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            "a stored secret cannot be decrypted with any key of FIELD_ENCRYPTION_KEYS "
            "(was a key removed before `pulsebridge secrets rotate` ran?)"
        ) from None


def is_current(stored: str) -> bool:
    """Whether ``stored`` is empty or encrypted under the first (newest) key."""
    if not stored:
        return True
    if not stored.startswith(PREFIX):
        return False
    newest = Fernet(settings.FIELD_ENCRYPTION_KEYS[0].encode())
    try:
        newest.decrypt(stored[len(PREFIX) :].encode())
    except InvalidToken:
        return False
    return True


class EncryptedTextField(models.TextField):
    """A text column whose value is encrypted in the database and clear in Python. It cannot be
    filtered on (every encryption of a value differs). ``max_length`` bounds the clear text,
    checked by the services, not the column (the token is longer)."""

    def from_db_value(self, value, expression, connection):
        return value if value is None else decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value.startswith(PREFIX):
            return value
        return encrypt(value)


def encrypted_fields() -> list[tuple[type[models.Model], list[str]]]:
    """Every model with encrypted columns, and their names."""
    from django.apps import apps

    found = []
    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if names:
            found.append((model, names))
    return found


def reencrypt(model: type[models.Model], names: list[str], chunk: int = 500) -> int:
    """Re-encrypt the columns ``names`` of every row of ``model`` under the newest key; how many
    rows changed. Rows already under the newest key are left alone, so it can be run again."""
    changed = 0
    batch = []
    for pk, *values in _raw_rows(model, names):
        if all(is_current(v or "") for v in values):
            continue
        row = model(pk=pk)
        for name, value in zip(names, values, strict=True):
            setattr(row, name, decrypt(value) if value else value)
        batch.append(row)
        if len(batch) >= chunk:
            changed += _write(model, batch, names)
            batch = []
    if batch:
        changed += _write(model, batch, names)
    return changed


def _write(model, rows, names) -> int:
    model.objects.bulk_update(
        rows, names
    )  # the field encrypts the clear values under the newest key
    return len(rows)


def _raw_rows(model, names):
    """(pk, stored value, ...) per row, as the column holds them (the ORM would decrypt them)."""
    from django.db import connections, router

    connection = connections[router.db_for_read(model)]
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column)
    columns = ", ".join(connection.ops.quote_name(model._meta.get_field(n).column) for n in names)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {pk}, {columns} FROM {table} ORDER BY {pk}")  # noqa: S608 - names from the model
        rows = cursor.fetchall()  # all first: the rows are rewritten while this runs
    yield from rows


def _forget_keys(setting, **kwargs):
    if setting == "FIELD_ENCRYPTION_KEYS":
        _fernet.cache_clear()


setting_changed.connect(_forget_keys)


def _column(field) -> str:
    """A concrete field's column name (the fields encrypted are all concrete)."""
    column = getattr(field, "column", None)
    if not isinstance(column, str):
        raise TypeError(f"{field!r} has no column")
    return column


def decrypt_in_place(model: type[models.Model], names: list[str]) -> None:
    """Write the columns ``names`` back in clear (a migration undone)."""
    from django.db import connections, router

    connection = connections[router.db_for_write(model)]
    ops = connection.ops
    table = ops.quote_name(model._meta.db_table)
    pk = ops.quote_name(_column(model._meta.pk))
    columns = [ops.quote_name(_column(model._meta.get_field(n))) for n in names]
    assignments = ", ".join(f"{c} = %s" for c in columns)
    rows = list(_raw_rows(model, names))
    with connection.cursor() as cursor:
        for pk_value, *values in rows:
            cursor.execute(
                f"UPDATE {table} SET {assignments} WHERE {pk} = %s",  # noqa: S608 - names from the model
                [decrypt(v) if v else v for v in values] + [pk_value],
            )
