"""What the operator commands share: subcommand dispatch, JSON output, domain errors shown as
the operator's message."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from .errors import DomainError


def iso(value: datetime | None) -> str | None:
    """UTC, ISO 8601 with ``Z``, as everywhere else in Pulsebridge."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def validation_message(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(
            f"{field}: {' '.join(messages)}" for field, messages in exc.message_dict.items()
        )
    return " ".join(exc.messages)


class JsonMixin:
    """``--json`` prints exactly one JSON object on stdout and nothing else."""

    stdout: Any

    def emit_json(self, obj: dict[str, Any]) -> None:
        self.stdout.write(json.dumps(obj, indent=2, default=str))


def add_json_flag(parser) -> None:
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object (and nothing else) on stdout"
    )


class SubcommandCommand(JsonMixin, BaseCommand):
    """A command made of subcommands (``pulsebridge company create ...``).

    Subclasses implement ``add_subcommands(subparsers)`` and one ``handle_<name>`` per
    subcommand; domain errors become CommandError so that the operator reads a message, not a
    traceback."""

    def add_arguments(self, parser):
        subparsers = parser.add_subparsers(
            dest="subcommand", metavar="SUBCOMMAND", title="subcommands", required=True
        )
        self.add_subcommands(subparsers)

    def add_subcommands(self, subparsers) -> None:
        raise NotImplementedError

    def handle(self, *args, subcommand: str, **options):
        handler = getattr(self, f"handle_{subcommand.replace('-', '_')}")
        try:
            handler(**options)
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        except ValidationError as exc:
            raise CommandError(validation_message(exc)) from exc


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value
