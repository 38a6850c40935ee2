"""What the operator commands share: subcommand dispatch, company look-up, JSON output.

The leading underscore keeps Django from offering this module as a command."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from pulsebridge.core.models import Company
from pulsebridge.devices.models import Device
from pulsebridge.devices.services import DeviceError
from pulsebridge.fulfillment.models import Order
from pulsebridge.fulfillment.services import OrderError

# Domain errors whose message is already written for the operator: shown as they are.
DOMAIN_ERRORS = (DeviceError, OrderError)


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


def get_company(code: str) -> Company:
    try:
        return Company.objects.get(code=code)
    except Company.DoesNotExist:
        raise CommandError(
            f"no company with code {code!r} (see `pulsebridge company list`)"
        ) from None


def device_json(device: Device) -> dict[str, Any]:
    return {
        "id": str(device.pk),
        "serial": device.serial,
        "imei": device.imei,
        "sim": device.sim_iccid,
        "mac": device.mac,
        "sku": device.model.sku,
        "kind": device.model.kind,
        "billing_status": device.billing_status,
        "company": device.company.code,
        "patient": device.patient.external_id if device.patient else None,
        "gateway": device.gateway.serial if device.gateway_id else None,
        "created_at": iso(device.created_at),
    }


def order_json(order: Order) -> dict[str, Any]:
    return {
        "id": str(order.pk),
        "number": order.number,
        "company": order.company.code,
        "status": order.status,
        "patient": order.patient.external_id if order.patient else None,
        "practice_id": order.practice_id,
        "lines": [
            {"sku": line.model.sku, "quantity": line.quantity, "imeis": line.imeis}
            for line in order.lines.select_related("model")
        ],
        "carrier": order.carrier_code,
        "tracking": order.tracking_number,
        "placed_at": iso(order.placed_at),
        "shipped_at": iso(order.shipped_at),
        "delivered_at": iso(order.delivered_at),
        "returned_at": iso(order.returned_at),
        "cancelled_at": iso(order.cancelled_at),
    }


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
        except DOMAIN_ERRORS as exc:
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
