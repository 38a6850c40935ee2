"""``pulsebridge simulate``: simulated devices posting readings through the ingest API."""

from __future__ import annotations

import random
import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from pulsebridge.core.apikeys import create_api_key
from pulsebridge.core.services import CoreError, company_by_code
from pulsebridge.devices.services import DeviceError
from pulsebridge.lib.commands import JsonMixin, add_json_flag, positive_int
from pulsebridge.operations.simulate import (
    MAX_BATCH,
    SimulatedDevice,
    SimulationError,
    ensure_devices,
    post_readings,
    simulated_readings,
)


class Command(JsonMixin, BaseCommand):
    help = (
        "Simulate devices of a company posting readings over HTTP to a running server "
        "(POST /ingest/v1/measurements). The server must use the same database as this command."
    )

    def add_arguments(self, parser):
        parser.add_argument("--company", required=True, metavar="CODE")
        parser.add_argument(
            "--devices",
            type=positive_int,
            default=10,
            metavar="N",
            help="devices to simulate: the company's cellular devices first, then new ones (default 10)",
        )
        parser.add_argument(
            "--days",
            type=positive_int,
            default=14,
            metavar="D",
            help="days of history (default 14)",
        )
        parser.add_argument(
            "--per-day",
            type=positive_int,
            default=3,
            metavar="N",
            help="readings per device per day (default 3)",
        )
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="the server's base URL")
        parser.add_argument(
            "--key", metavar="INGEST_KEY", help="an ingest key of the company (default: a new one)"
        )
        parser.add_argument(
            "--batch-size",
            type=positive_int,
            default=500,
            metavar="N",
            help=f"readings per request, at most {MAX_BATCH} (default 500)",
        )
        parser.add_argument(
            "--seed", type=int, help="repeat a run exactly (the same readings again are duplicates)"
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")
        add_json_flag(parser)

    def handle(self, *args, **options):
        if options["batch_size"] > MAX_BATCH:
            raise CommandError(f"--batch-size is at most {MAX_BATCH}")
        try:
            company = company_by_code(options["company"])
        except CoreError as exc:
            raise CommandError(str(exc)) from None
        key = options["key"]
        if key is not None and not key.startswith("pb_ingest_"):
            raise CommandError("--key must be an ingest key (pb_ingest_...)")
        # Separate streams: a second run with the same --seed must draw the same readings even
        # though it finds its devices already made instead of drawing new IMEIs.
        seed = options["seed"]
        rng = random.Random(seed)
        try:
            devices, added = ensure_devices(company, options["devices"], random.Random(seed))
        except DeviceError as exc:
            raise CommandError(str(exc)) from exc
        created_key = None
        if key is None:
            created_key = create_api_key(company, "ingest").key
            key = created_key
        simulated = [SimulatedDevice.of(device, rng) for device in devices]
        items = simulated_readings(
            simulated, days=options["days"], per_day=options["per_day"], rng=rng
        )
        quiet = options["json"]
        if not quiet:
            self.stdout.write(
                f"simulating {len(devices)} devices of {company.code} ({added} added to its "
                f"inventory): {len(items)} readings over {options['days']} days to {options['url']}"
            )
            if created_key:
                self.stdout.write(f"new ingest key (pass it as --key next time): {created_key}")
        with tqdm(
            total=len(items),
            unit="reading",
            file=sys.stderr,
            disable=True if options["no_progress"] else None,  # None: only on a terminal
        ) as bar:
            try:
                summary = post_readings(
                    items,
                    url=options["url"],
                    key=key,
                    batch_size=options["batch_size"],
                    on_batch=bar.update,
                )
            except SimulationError as exc:
                raise CommandError(str(exc)) from exc
        if quiet:
            self.emit_json(
                {
                    "company": company.code,
                    "devices": len(devices),
                    "devices_added": added,
                    "readings": summary.sent,
                    "requests": summary.requests,
                    "created": summary.created,
                    "duplicates": summary.duplicates,
                    "errors": summary.errors,
                    "error_reasons": dict(summary.error_reasons.most_common(10)),
                    "seconds": round(summary.seconds, 3),
                    "readings_per_second": round(summary.per_second, 1),
                    "key": created_key,
                }
            )
            return
        self.stdout.write(
            f"{summary.sent} readings in {summary.requests} requests, {summary.seconds:.2f} s "
            f"({summary.per_second:,.0f} readings/s): {summary.created} created, "
            f"{summary.duplicates} duplicates, {summary.errors} errors"
        )
        for reason, count in summary.error_reasons.most_common(5):
            self.stdout.write(f"  {count} x {reason}")
