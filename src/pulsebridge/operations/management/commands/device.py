"""``pulsebridge device add|list|suspend|resume``: a company's inventory, and its billing."""

from __future__ import annotations

import re

from django.core.management.base import CommandError

from pulsebridge.core.services import company_by_code as get_company
from pulsebridge.devices.models import Device
from pulsebridge.devices.services import add_device, resume_device, suspend_device
from pulsebridge.lib.commands import SubcommandCommand, add_json_flag
from pulsebridge.operations.output import device_json

# Checked here because the columns are this narrow (sim_iccid 22, mac 17) and PostgreSQL would
# refuse a longer value with a database error instead of a message.
ICCID_RE = re.compile(r"^\d{18,21}[0-9Ff]?$")
MAC_RE = re.compile(r"^[0-9A-Fa-f]{2}([:-]?)[0-9A-Fa-f]{2}(\1[0-9A-Fa-f]{2}){4}$")


def find_device(text: str) -> Device:
    """A device by IMEI, else by serial (IMEIs and serials are unique across companies)."""
    text = text.strip()
    device = (
        Device.objects.select_related("company", "model", "patient", "gateway")
        .filter(imei=text)
        .first()
    ) or Device.objects.select_related("company", "model", "patient", "gateway").filter(
        serial=text
    ).first()
    if device is None:
        raise CommandError(f"no device with IMEI or serial {text!r}")
    return device


class Command(SubcommandCommand):
    help = "Add devices to a company's inventory and list them."

    def add_subcommands(self, subparsers) -> None:
        add = subparsers.add_parser("add", help="register one unit in a company's inventory")
        add.add_argument("--company", required=True, metavar="CODE")
        add.add_argument("--sku", required=True, help="catalogue SKU, e.g. PY-802-LTE")
        add.add_argument("--imei", help="15 digits; required for cellular devices")
        add.add_argument("--serial", help="defaults to the IMEI; a gateway's 12-hex-digit id")
        add.add_argument("--sim", default="", metavar="ICCID", help="the SIM card's ICCID")
        add.add_argument("--mac", help="Bluetooth/Wi-Fi MAC address")
        add_json_flag(add)

        listing = subparsers.add_parser("list", help="list a company's devices")
        listing.add_argument("--company", required=True, metavar="CODE")
        add_json_flag(listing)

        for name, text in (
            ("suspend", "stop billing a device (Pylo billing_status: suspended)"),
            ("resume", "bill a suspended device again"),
        ):
            sub = subparsers.add_parser(name, help=text)
            sub.add_argument("device", metavar="IMEI", help="the device's IMEI (or its serial)")
            add_json_flag(sub)

    def handle_add(self, *, company, sku, imei, serial, sim, mac, json, **_):
        company = get_company(company)
        sim = (sim or "").strip()
        if sim and not ICCID_RE.match(sim):
            raise CommandError(f"--sim {sim!r} is not an ICCID (19 to 22 digits)")
        if mac is not None:
            mac = mac.strip()
            if not MAC_RE.match(mac):
                raise CommandError(f"--mac {mac!r} is not a MAC address (e.g. 00:1A:2B:3C:4D:5E)")
        device = add_device(company, sku.strip(), imei=imei, serial=serial, sim=sim, mac=mac)
        if json:
            self.emit_json(device_json(device))
        else:
            self.stdout.write(
                f"added {device.model.sku} serial {device.serial}"
                + (f" IMEI {device.imei}" if device.imei else "")
                + f" to {company.code}, id {device.pk}"
            )

    def handle_suspend(self, *, device, json, **_):
        self._billing(suspend_device(find_device(device)), json)

    def handle_resume(self, *, device, json, **_):
        self._billing(resume_device(find_device(device)), json)

    def _billing(self, device: Device, json: bool) -> None:
        if json:
            self.emit_json(device_json(device))
        else:
            self.stdout.write(f"device {device.serial} is {device.billing_status}")

    def handle_list(self, *, company, json, **_):
        company = get_company(company)
        devices = list(
            Device.objects.for_company(company)
            .select_related("model", "patient", "gateway", "company")
            .order_by("created_at", "id")
        )
        if json:
            self.emit_json(
                {
                    "company": company.code,
                    "count": len(devices),
                    "devices": [device_json(d) for d in devices],
                }
            )
            return
        if not devices:
            self.stdout.write(f"{company.code} has no devices")
            return
        for d in devices:
            patient = d.patient.external_id if d.patient else "-"
            self.stdout.write(
                f"{d.serial:<16} {d.model.sku:<14} {d.billing_status:<10} patient {patient}"
            )
