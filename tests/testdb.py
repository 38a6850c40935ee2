"""The test database: migrated once into a template, then copied for each test process.

Migrating costs seconds of CPU (Django re-renders its migration state for each of some ninety
migrations), and every xdist worker did it on every run. Now the template is built by the first
process that needs it and kept between runs: an SQLite file under ``var/test-databases/``, or the
PostgreSQL database ``test_<name>_tpl_<digest>``. Each test process copies it: SQLite's backup API
into its own in-memory database, ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL.

The template is named by a digest of every installed app's migration files and of the
Pulsebridge modules those migrations import (the device catalogue they seed, the partitioning
they run): a changed migration makes a new template, never a stale one. ``--create-db`` builds
it again. The migrations still run, in full, whenever they change, so a broken migration still
fails the run; tests that migrate on purpose (partitions) do so in their own database.
"""

from __future__ import annotations

import ast
import contextlib
import fcntl
import hashlib
import importlib.util
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import django
from django.apps import apps
from django.db import connections

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "var" / "test-databases"


def migrations_digest() -> str:
    """A digest of what the migrated schema and its seeded rows depend on."""
    files: set[Path] = set()
    for app in apps.get_app_configs():
        folder = Path(app.path) / "migrations"
        if folder.is_dir():
            files.update(folder.glob("*.py"))
    for module in sorted(_imported_by(files)):
        with contextlib.suppress(ImportError, ValueError):
            spec = importlib.util.find_spec(module)
            if spec is not None and spec.origin and spec.origin.endswith(".py"):
                files.add(Path(spec.origin))
    digest = hashlib.sha256(f"{django.get_version()} {sqlite3.sqlite_version}".encode())
    for path in sorted(files):
        digest.update(f"{path.parent.parent.name}/{path.parent.name}/{path.name}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _imported_by(files: set[Path]) -> set[str]:
    """The ``pulsebridge`` modules the files import (``from a import b``: ``a`` and ``a.b``)."""
    modules: set[str] = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_bytes())):
            if isinstance(node, ast.Import):
                modules.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                modules.add(node.module)
                modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {m for m in modules if m == "pulsebridge" or m.startswith("pulsebridge.")}


@contextlib.contextmanager
def _locked() -> Iterator[None]:
    """One process at a time builds or copies a template (xdist workers start together)."""
    TEMPLATES.mkdir(parents=True, exist_ok=True)
    with open(TEMPLATES / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def setup(run_id: str, rebuild: bool, alias: str = "default") -> tuple[object, str]:
    """Give this process its own migrated test database for ``alias``; returns what
    ``destroy_test_db`` needs to remove it. ``rebuild``: build the template again, once per
    run (``run_id`` is shared by the run's workers)."""
    connection = connections[alias]
    settings_dict = connection.settings_dict
    old_name = settings_dict["NAME"]
    vendor = connection.vendor
    digest = migrations_digest()
    with _locked():
        marker = TEMPLATES / f"rebuilt-{run_id}-{alias}"
        rebuild = rebuild and not marker.exists()
        if vendor == "sqlite":
            template = TEMPLATES / f"sqlite-{alias}-{digest}.sqlite3"
            if rebuild or not template.exists():
                _build(connection, str(template) + ".building")
                _rollback_journal(str(template) + ".building")
                os.replace(str(template) + ".building", template)
                _remove_others(template)
            test_name = _copy_sqlite(connection, template)
        elif vendor == "postgresql":
            template = f"test_{old_name}_tpl_{digest[:12]}"
            with _admin(settings_dict) as admin:
                if rebuild or not _exists(admin, template):
                    _quoted_drop(admin, template + "_new")
                    _build(connection, template + "_new")
                    _quoted_drop(admin, template)
                    admin.execute(f'ALTER DATABASE "{template}_new" RENAME TO "{template}"')
                    _drop_others(admin, old_name, template)
                test_name = settings_dict["TEST"].get("NAME") or f"test_{old_name}"
                _quoted_drop(admin, test_name)
                admin.execute(f'CREATE DATABASE "{test_name}" TEMPLATE "{template}"')
            _point(connection, test_name)
        else:
            raise RuntimeError(f"no test database template for {vendor}")
        if rebuild:
            marker.touch()
    return connection, old_name


def _build(connection, name: str) -> None:
    """Migrate a new database ``name`` as Django's test runner would; leave the connection
    pointing where it was."""
    settings_dict = connection.settings_dict
    saved_name, saved_test = settings_dict["NAME"], dict(settings_dict["TEST"])
    if connection.vendor == "sqlite":
        Path(name).unlink(missing_ok=True)
    settings_dict["TEST"]["NAME"] = name
    try:
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    finally:
        connection.close()
        settings_dict["NAME"], settings_dict["TEST"] = saved_name, saved_test


def _point(connection, name: str) -> None:
    """Use database ``name`` from now on (``settings.DATABASES`` holds the same dict)."""
    connection.close()
    connection.settings_dict["NAME"] = name


def _copy_sqlite(connection, template: Path) -> str:
    """Copy the template into this process's test database (in memory unless TEST NAME says
    otherwise); the connection stays open, which keeps an in-memory database alive."""
    alias = connection.alias
    name = connection.settings_dict["TEST"].get("NAME") or (
        f"file:memorydb_{alias}?mode=memory&cache=shared"
    )
    if "mode=memory" not in name:
        Path(name).unlink(missing_ok=True)
    _point(connection, name)
    connection.ensure_connection()
    source = sqlite3.connect(f"file:{template}?mode=ro", uri=True)
    try:
        source.backup(connection.connection)
    finally:
        source.close()
    return name


def _rollback_journal(path: str) -> None:
    """A template read by several processes at once needs no WAL files beside it."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA journal_mode=DELETE")


def _remove_others(template: Path) -> None:
    for old in TEMPLATES.glob(template.name.rsplit("-", 1)[0] + "-*.sqlite3"):
        if old != template:
            for leftover in (old, Path(f"{old}-wal"), Path(f"{old}-shm")):
                leftover.unlink(missing_ok=True)


@contextlib.contextmanager
def _admin(settings_dict: dict) -> Iterator:
    """An autocommit connection to the server's ``postgres`` database."""
    import psycopg

    params = {
        "host": settings_dict.get("HOST") or None,
        "port": settings_dict.get("PORT") or None,
        "user": settings_dict.get("USER") or None,
        "password": settings_dict.get("PASSWORD") or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        yield admin


def _exists(admin, name: str) -> bool:
    return admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()


def _quoted_drop(admin, name: str) -> None:
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _drop_others(admin, base: str, keep: str) -> None:
    """Templates of older migrations of the same database."""
    prefix = f"test_{base}_tpl_"
    rows = admin.execute(
        "SELECT datname FROM pg_database WHERE starts_with(datname, %s) AND datname <> %s",
        [prefix, keep],
    ).fetchall()
    for (name,) in rows:
        _quoted_drop(admin, name)


def sqlite_template(alias: str = "default") -> Path | None:
    """The migrated SQLite template, when the tests run on SQLite and it has been built (the
    session fixture ``django_db_setup`` builds it): for a test whose own processes need a
    database file."""
    if connections[alias].vendor != "sqlite":
        return None
    template = TEMPLATES / f"sqlite-{alias}-{migrations_digest()}.sqlite3"
    return template if template.exists() else None
