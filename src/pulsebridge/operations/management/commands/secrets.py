"""``pulsebridge secrets rotate``: every stored secret (webhook signing secrets, Tenovi
``auth_key`` values) re-encrypted under the first key of ``FIELD_ENCRYPTION_KEYS``.

Rotation: put the new key first in FIELD_ENCRYPTION_KEYS on every host (the old one after it,
so both still decrypt), restart, run this once, then remove the old key (docs/operations.md)."""

from __future__ import annotations

from django.db import transaction

from pulsebridge.lib import encryption
from pulsebridge.lib.commands import SubcommandCommand, add_json_flag


class Command(SubcommandCommand):
    help = "Re-encrypt the stored secrets under the newest FIELD_ENCRYPTION_KEYS key."

    def add_subcommands(self, subparsers) -> None:
        add_json_flag(
            subparsers.add_parser(
                "rotate", help="re-encrypt every stored secret under the newest key"
            )
        )

    def handle_rotate(self, *, json, **_):
        changed = {}
        for model, names in encryption.encrypted_fields():
            with transaction.atomic():
                changed[model._meta.label] = encryption.reencrypt(model, names)
        if json:
            self.emit_json({"reencrypted": changed})
            return
        for label, count in changed.items():
            self.stdout.write(f"{label}: {count} row(s) re-encrypted under the newest key")
