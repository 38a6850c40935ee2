"""Where a one-reading ingest request's CPU goes, in-process, with or without webhook endpoints.

``python -m bench.ingest_profile [N] [--endpoints E] [--rounds R] [--batch B] [--resend]
[--profile]`` posts N one-reading requests (1000) to ``POST /ingest/v1/measurements`` through
Django's test client, R times (3), for a company of its own with E enabled Pylo webhook
endpoints (0: P2's case; 2: P4's), on the database ``DATABASE_URL`` names (a migrated database
of your own, never the bench's) and the cache ``REDIS_URL`` names. ``--batch``: B readings per
request instead of one; ``--resend``: each round's requests are sent once untimed and then
again, timed, every reading a duplicate (a gateway resending what it got no answer for). It
prints the CPU of this process per request (median and best of the rounds) and with
``--profile`` the 25 functions of ours with the most cumulative time (cProfile over one more
round, on a CPU clock). Compare two versions of the
code in the same sitting, alternately (``PYTHONPATH=<other src>``): on a shared machine one run
of each says little. docs/performance.md ("Figures from the code") has the figures."""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import secrets
import statistics
import time
from datetime import UTC, datetime, timedelta

DEVICES = 50


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.ingest_profile", description=__doc__)
    p.add_argument("n", nargs="?", type=int, default=1000)
    p.add_argument("--endpoints", type=int, default=0)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--resend", action="store_true")
    p.add_argument("--profile", action="store_true")
    args = p.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pulsebridge.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client, override_settings

    from pulsebridge.core.apikeys import create_api_key
    from pulsebridge.core.services import create_company
    from pulsebridge.devices.services import add_device, assign_device
    from pulsebridge.webhooks.services import create_endpoint

    call_command("migrate", verbosity=0)
    tag = secrets.token_hex(3)
    company = create_company(code=f"ingest-profile-{tag}", name="Ingest profile")
    key = create_api_key(company, "ingest", rate_per_second=1_000_000).key
    base = int(tag, 16) * 100
    imeis = []
    for i in range(DEVICES):
        imei = f"{(base + i) % 10**15:015d}"
        device = add_device(company, "PY-802-LTE", imei=imei)
        assign_device(device, patient_id=f"IP-{tag}-{i}", practice_id="PR")
        imeis.append(imei)
    with override_settings(WEBHOOK_ALLOW_PRIVATE_NETWORKS=True):
        for i in range(args.endpoints):  # nothing listens: the worker is not running
            create_endpoint(company, f"http://127.0.0.1:9/{i}", "profile-secret", "pylo", [])
    client = Client()
    start = datetime(2021, 1, 1, tzinfo=UTC)
    sent = [0]

    def reading(n: int) -> dict:
        return {
            "imei": imeis[n % DEVICES],
            "kind": "blood_pressure",
            "measured_at": (start + timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "values": {"systolic": 105 + n % 50, "diastolic": 60 + n % 30, "pulse": 55 + n % 40},
        }

    def post(n: int | None = None) -> None:
        if n is None:
            n = sent[0]
            sent[0] += 1
        first = n * args.batch
        readings = [reading(first + i) for i in range(args.batch)]
        body = readings[0] if args.batch == 1 else readings
        response = client.post(
            "/ingest/v1/measurements",
            json.dumps(body),
            content_type="application/json",
            HTTP_X_API_KEY=key,
        )
        if response.status_code != 200:
            raise SystemExit(f"{response.status_code}: {response.content[:300]!r}")

    for _ in range(100):  # warm: caches, prepared statements
        post()
    per_request = _rounds(post, sent, args)
    what = f"{args.batch} reading(s) per request" + (", every one resent" if args.resend else "")
    print(
        f"{args.endpoints} endpoint(s), {what}: CPU per request "
        f"{statistics.median(per_request):.2f} ms (median of {args.rounds} rounds of {args.n}; "
        f"best {min(per_request):.2f} ms)"
    )
    if args.profile:
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for _ in range(args.n):
            post()
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats("pulsebridge/", 25)
        print(out.getvalue())


def _rounds(post, sent: list[int], args: argparse.Namespace) -> list[float]:
    """The CPU per request of each round, in ms; with ``--resend`` of the round's second
    sending."""
    per_request = []
    for _ in range(args.rounds):
        first = sent[0]
        if args.resend:
            for _ in range(args.n):
                post()
        cpu = time.process_time()
        for i in range(args.n):
            post(first + i if args.resend else None)
        per_request.append((time.process_time() - cpu) / args.n * 1000)
    return per_request


if __name__ == "__main__":
    main()
