"""Where a one-reading ingest request's CPU goes, in-process, with or without webhook endpoints.

``python -m bench.ingest_profile [N] [--endpoints E] [--rounds R] [--profile]`` posts N
one-reading requests (1000) to ``POST /ingest/v1/measurements`` through Django's test client,
R times (3), for a company of its own with E enabled Pylo webhook endpoints (0: P2's case; 2:
P4's), on the database ``DATABASE_URL`` names (a migrated database of your own, never the
bench's) and the cache ``REDIS_URL`` names. It prints the CPU of this process per request
(median and best of the rounds) and with ``--profile`` the 25 functions of ours with the most
cumulative time (cProfile over one more round, on a CPU clock). Compare two versions of the
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

    def post() -> None:
        n = sent[0]
        sent[0] += 1
        body = {
            "imei": imeis[n % DEVICES],
            "kind": "blood_pressure",
            "measured_at": (start + timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "values": {"systolic": 105 + n % 50, "diastolic": 60 + n % 30, "pulse": 55 + n % 40},
        }
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
    per_request = []
    for _ in range(args.rounds):
        cpu = time.process_time()
        for _ in range(args.n):
            post()
        per_request.append((time.process_time() - cpu) / args.n * 1000)
    print(
        f"{args.endpoints} endpoint(s): CPU per request {statistics.median(per_request):.2f} ms "
        f"(median of {args.rounds} rounds of {args.n}; best {min(per_request):.2f} ms)"
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


if __name__ == "__main__":
    main()
