"""Where a PING client-credentials token's CPU goes, in-process.

``python -m bench.tokens_profile [N] [--rounds R] [--profile]`` posts N token requests (400) as
the bench's P9 does (a JSON body) through Django's test client, R times (5), on the database
``DATABASE_URL`` names (a migrated database of your own, never the bench's) and the cache
``REDIS_URL`` names (none: the database cache). It prints the CPU of this process per token
(median and best of the rounds), its PostgreSQL backend's (PostgreSQL only, from ``/proc``), the
SQL statements and cache calls of one token, and with ``--profile`` the share of the request's
time in each part of the endpoint (cProfile over one more round; the profiler inflates
Python-heavy parts more than C ones, so read the shares, and the ms as the shares of the
unprofiled CPU). Compare two versions of the code in the same sitting
(``PYTHONPATH=<other src>``). docs/performance.md (P9) has the figures."""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import time
from pathlib import Path

COMPANY = "tokens-profile"
CLK_TCK = os.sysconf("SC_CLK_TCK")

# (part, functions as (path ending, name)): the sum of their cumulative times (none calls another);
# old and new names both listed, so that two versions of the code can be put side by side.
PARTS = [
    ("whole request (test client)", [("django/test/client.py", "request")]),
    ("middleware and handler", [("django/core/handlers/base.py", "get_response")]),
    ("token view", [("pulsebridge/dialects/ping/oauth.py", "post")]),
    ("  JSON body to form, text checks", [("pulsebridge/dialects/ping/oauth.py", "_read_json_as_form"),
                                           ("pulsebridge/dialects/ping/oauth.py", "_refuse_bad_text")]),
    ("  lockout: may it try", [("pulsebridge/core/lockout.py", "check"),
                               ("pulsebridge/core/lockout.py", "wait_seconds")]),
    ("  lockout: success", [("pulsebridge/core/lockout.py", "succeeded")]),
    ("  toolkit view", [("oauth2_provider/views/base.py", "authorization_flow_token_response"),
                        ("pulsebridge/dialects/ping/oauth.py", "authorization_flow_token_response")]),
    ("    oauthlib endpoint", [("oauth2_provider/oauth2_backends.py", "create_token_response")]),
    ("      request parsing (toolkit, oauthlib)", [("oauth2_provider/oauth2_backends.py", "_extract_params"),
                                                    ("oauthlib/common.py", "__init__")]),
    ("      client look-up (with the dummy check)", [("pulsebridge/dialects/ping/oauth.py", "_load_application")]),
    ("      secret check (HMAC)", [("pulsebridge/dialects/ping/oauth.py", "_check_secret")]),
    ("      token generation", [("oauthlib/common.py", "generate_token")]),
    ("      scopes", [("oauthlib/oauth2/rfc6749/grant_types/base.py", "validate_scopes")]),
    ("      save (owner, INSERT, transaction)", [("oauth2_provider/oauth2_validators.py", "save_bearer_token"),
                                                  ("pulsebridge/dialects/ping/oauth.py", "save_bearer_token")]),
    ("        owner fetched apart", [("django/db/models/fields/related_descriptors.py", "get_object")]),
    ("signals sent", [("django/dispatch/dispatcher.py", "send")]),
]  # fmt: skip


def _setup():
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pulsebridge.settings")
    django.setup()
    from django.core.management import call_command

    call_command("createcachetable", verbosity=0)  # the lockout counters without Redis


def _application() -> tuple[str, str]:
    from django.contrib.auth import get_user_model

    from pulsebridge.core.models import Company, Membership
    from pulsebridge.tracking.applications import Application, create_application

    User = get_user_model()
    Application.objects.filter(user__username=COMPANY).delete()
    User.objects.filter(username=COMPANY).delete()
    Company.objects.filter(code=COMPANY).delete()
    company = Company.objects.create(code=COMPANY, name="Tokens profile")
    user = User.objects.create_user(COMPANY, password=None)
    Membership.objects.create(user=user, company=company)
    application, secret = create_application(user, name=COMPANY, grant_type="client-credentials")
    return application.client_id, secret


def _backend_cpu() -> float | None:
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # the database runs on another host
        return None
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def _one_token(post) -> tuple[list[str], list[str]]:
    """The SQL statements and cache calls of one token request."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    calls: list[str] = []
    names = ("get", "get_many", "set", "add", "incr", "delete", "delete_many")
    for name in names:
        method = getattr(cache, name)
        setattr(cache, name, lambda *a, _n=name, _m=method, **k: calls.append(_n) or _m(*a, **k))
    try:
        with CaptureQueriesContext(connection) as queries:
            post()
    finally:
        for name in names:
            delattr(cache, name)
    return [q["sql"][:90] for q in queries.captured_queries], calls


def _parts(stats: pstats.Stats, n: int, cpu_ms: float) -> None:
    found: dict[tuple[str, str], float] = {}
    for (path, _line, name), (_cc, _nc, _tt, cumulative, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        key = (path, name)
        found[key] = found.get(key, 0.0) + cumulative
    whole = None
    print(f"\n{'part':44s} {'share':>6s} {'~ms':>6s}")
    for part, functions in PARTS:
        total = 0.0
        for ending, name in functions:
            total += sum(t for (p, f), t in found.items() if p.endswith(ending) and f == name)
        if whole is None:
            whole = total or 1.0
        share = total / whole
        print(f"{part:44s} {share * 100:5.1f}% {share * cpu_ms:6.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.tokens_profile")
    parser.add_argument("n", nargs="?", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    _setup()
    from django.test import Client

    client_id, secret = _application()
    body = json.dumps(
        {"client_id": client_id, "client_secret": secret, "grant_type": "client_credentials"}
    )
    client = Client(REMOTE_ADDR="10.9.9.9")

    def post():
        response = client.post("/ping/auth/token/", body, content_type="application/json")
        assert response.status_code == 200, response.content
        return response

    for _ in range(50):  # warm: imports, the connection, prepared statements
        post()
    ours, theirs = [], []
    for _ in range(args.rounds):
        backend, started = _backend_cpu(), time.process_time()
        for _ in range(args.n):
            post()
        ours.append((time.process_time() - started) / args.n * 1000)
        after = _backend_cpu()
        if backend is not None and after is not None:
            theirs.append((after - backend) / args.n * 1000)
    median = statistics.median(ours)
    print(f"CPU per token, this process: median {median:.3f} ms, best {min(ours):.3f} ms")
    if theirs:
        print(f"CPU per token, its PostgreSQL backend: median {statistics.median(theirs):.3f} ms")
    statements, calls = _one_token(post)
    print(f"one token: {len(statements)} SQL statements, cache calls {calls}")
    for sql in statements:
        print(f"  {sql}")
    if args.profile:
        profile = cProfile.Profile(time.process_time)
        profile.enable()
        for _ in range(args.n):
            post()
        profile.disable()
        _parts(pstats.Stats(profile), args.n, median)


if __name__ == "__main__":
    main()
