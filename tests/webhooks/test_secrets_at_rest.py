"""Webhook signing secrets and Tenovi auth_key values are encrypted in the database under
FIELD_ENCRYPTION_KEYS, read back in clear, and re-encrypted by `pulsebridge secrets rotate`."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import override_settings

from pulsebridge.lib import encryption
from pulsebridge.webhooks import services
from pulsebridge.webhooks.models import WebhookEndpoint

SECRET = "whsec_dGhpcyBpcyB0aGUgc2lnbmluZyBzZWNyZXQ="
AUTH_KEY = "Bearer tenovi-receiver-token-0123456789"


@pytest.fixture(autouse=True)
def _loopback_receivers(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True


def table_text() -> str:
    """Every column of every row of the endpoints table, as the database holds them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM webhooks_webhookendpoint")
        return "\n".join(" | ".join(str(v) for v in row) for row in cursor.fetchall())


def endpoints(company):
    pylo = services.create_endpoint(company, "http://127.0.0.1:9/pylo", SECRET, "pylo")
    tenovi = services.create_endpoint(
        company,
        "http://127.0.0.1:9/tenovi",
        services.new_secret(),
        "tenovi",
        auth_header="Authorization",
        auth_key=AUTH_KEY,
    )
    return pylo, tenovi


def test_the_database_holds_no_secret_in_clear(alice):
    pylo, tenovi = endpoints(alice)
    stored = table_text()
    assert SECRET not in stored
    assert AUTH_KEY not in stored
    assert tenovi.secret not in stored
    assert "whsec_" not in stored
    assert "tenovi-receiver-token" not in stored
    assert stored.count(encryption.PREFIX) == 3  # two secrets and the auth key
    fresh = WebhookEndpoint.objects.get(pk=pylo.pk)
    assert fresh.secret == SECRET
    assert WebhookEndpoint.objects.get(pk=tenovi.pk).auth_key == AUTH_KEY
    assert WebhookEndpoint.objects.filter(pk=pylo.pk).values_list("secret", flat=True)[0] == SECRET


def test_an_empty_auth_key_stays_empty(alice):
    pylo, _ = endpoints(alice)
    with connection.cursor() as cursor:
        cursor.execute("SELECT auth_key FROM webhooks_webhookendpoint WHERE id = %s", [pylo.pk.hex])
        assert cursor.fetchone() == ("",)


def test_rotate_re_encrypts_every_secret_under_the_newest_key(alice, run):
    pylo, tenovi = endpoints(alice)
    old = list(encryption.fernet()._fernets)
    assert old
    new_key = Fernet.generate_key().decode()
    from django.conf import settings

    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key, *settings.FIELD_ENCRYPTION_KEYS]):
        # both keys decrypt before the rotation
        assert WebhookEndpoint.objects.get(pk=pylo.pk).secret == SECRET
        output = run("secrets", "rotate")
        assert "webhooks.WebhookEndpoint: 2 row(s) re-encrypted" in output
        assert "0 row(s)" in run("secrets", "rotate")  # nothing left to do
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key]):  # the old key removed
        assert WebhookEndpoint.objects.get(pk=pylo.pk).secret == SECRET
        assert WebhookEndpoint.objects.get(pk=tenovi.pk).auth_key == AUTH_KEY
        assert SECRET not in table_text()


def test_a_secret_under_a_removed_key_fails_loudly_instead_of_signing_with_garbage(alice):
    from django.core.exceptions import ImproperlyConfigured

    pylo, _ = endpoints(alice)
    with (
        override_settings(FIELD_ENCRYPTION_KEYS=[Fernet.generate_key().decode()]),
        pytest.raises(ImproperlyConfigured, match="rotate"),
    ):
        WebhookEndpoint.objects.get(pk=pylo.pk)


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_the_secrets_stored_in_clear_before_it(alice):
    executor = MigrationExecutor(connection)
    before = [("webhooks", "0005_partitioned_by_month")]
    latest = executor.loader.graph.leaf_nodes("webhooks")
    executor.migrate(before)
    try:
        old_apps = executor.loader.project_state(before).apps
        old_apps.get_model("webhooks", "WebhookEndpoint").objects.create(
            company_id=alice.pk,
            url="https://alice.example/old",
            secret=SECRET,
            format="tenovi",
            auth_header="Authorization",
            auth_key=AUTH_KEY,
        )
        assert SECRET in table_text()
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(latest)
    stored = table_text()
    assert SECRET not in stored
    assert AUTH_KEY not in stored
    endpoint = WebhookEndpoint.objects.get(url="https://alice.example/old")
    assert (endpoint.secret, endpoint.auth_key) == (SECRET, AUTH_KEY)


def settings_of(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings;"
            " print(len(settings.FIELD_ENCRYPTION_KEYS))",
        ],
        env={**env, "DJANGO_SETTINGS_MODULE": "pulsebridge.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_settings_require_the_keys_and_an_embedded_install_makes_its_own(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FIELD_", "SECRET_KEY"))}
    env["PULSEBRIDGE_VAR_DIR"] = str(tmp_path)
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    embedded = settings_of(env)
    assert embedded.returncode == 0, embedded.stderr
    assert embedded.stdout.strip() == "1"
    key_file = tmp_path / "field_encryption_key"
    assert key_file.stat().st_mode & 0o077 == 0
    Fernet(key_file.read_bytes())  # a valid key
    production = settings_of({**env, "SECRET_KEY": "x" * 50})
    assert production.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS" in production.stderr
    two = f"{Fernet.generate_key().decode()},{Fernet.generate_key().decode()}"
    configured = settings_of({**env, "SECRET_KEY": "x" * 50, "FIELD_ENCRYPTION_KEYS": two})
    assert configured.stdout.strip() == "2", configured.stderr
