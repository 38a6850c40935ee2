"""schemathesis against each dialect's own OpenAPI schema, on a real server (`pulsebridge demo`
then `pulsebridge serve`), with the demo's real credentials (PING: a client-credentials token):
a bounded number of generated requests per operation, and no answer may be a server error,
have a status the schema does not declare, or a body that does not match its schema.

`make test-fuzz` runs it (``-m fuzz``); FUZZ_MAX_EXAMPLES bounds the requests per operation."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.fuzz, pytest.mark.live]

CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance"
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "10"))
# "coverage" (every boundary of every parameter) finds more and takes some ten minutes
PHASES = os.environ.get("FUZZ_PHASES", "examples,fuzzing")
# Deleting the PING application deletes its tokens, the run's own among them: every later
# request would be 401 (test_applications covers it)
EXCLUDED = {"ping": ["deleteApplication"]}
DEMO_COMPANY = "demo-clinic"  # operations/demo.py
REPORTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "fuzz"


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    from tests.console.live import live_server

    var_dir = tmp_path_factory.mktemp("fuzz-live")
    try:
        with live_server(var_dir) as server:
            yield server
    finally:  # the server's log, with the traceback of any 500, beside the reports
        REPORTS.mkdir(parents=True, exist_ok=True)
        if (var_dir / "serve.log").exists():
            shutil.copy(var_dir / "serve.log", REPORTS / "serve.log")


def ping_token(live) -> str:
    ping = live.saved["ping"]
    answer = httpx.post(
        f"{live.url}/ping/auth/token/",
        data={
            "grant_type": "client_credentials",
            "client_id": ping["client_id"],
            "client_secret": ping["client_secret"],
        },
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def api_key(live, dialect: str) -> str:
    """A key of the demo company for this run, allowed many requests per second (Tenovi's
    default is one: schemathesis would spend its time waiting)."""
    created = live.command(
        "apikey", "create", "--company", DEMO_COMPANY, "--dialect", dialect,
        "--rate-per-second", "1000", "--json",
    )  # fmt: skip
    return json.loads(created)["key"]


def headers(live, dialect: str) -> list[str]:
    if dialect == "ping":
        return [f"Authorization: Bearer {ping_token(live)}"]
    if dialect == "tenovi":
        return [f"Authorization: Api-Key {api_key(live, dialect)}"]
    return [f"x-api-key: {api_key(live, dialect)}"]


@pytest.mark.parametrize("dialect", ["pylo", "tenovi", "hayylo", "ping"])
def test_generated_requests_get_answers_their_schema_declares(live, dialect, tmp_path: Path):
    config = tmp_path / "schemathesis.toml"
    # Tenovi's paths name the company: its own, so that requests reach the operations
    config.write_text(f'[parameters]\n"path.client_domain" = "{DEMO_COMPANY}"\n')
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(config),
        "run",
        f"{live.url}/api/schema/{dialect}.json",
        "--url",
        f"{live.url}/{dialect}",
        "--checks",
        CHECKS,
        "--max-examples",
        str(MAX_EXAMPLES),
        "--phases",
        PHASES,
        "--seed",
        "1",
        "--workers",
        "2",
        "--request-timeout",
        "30",
        "--no-color",
        "--rate-limit",
        "auto",
    ]
    for operation_id in EXCLUDED.get(dialect, []):
        command += ["--exclude-operation-id", operation_id]
    for header in headers(live, dialect):
        command += ["--header", header]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=600, check=False, cwd=tmp_path
    )
    output = done.stdout + done.stderr
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / f"schemathesis-{dialect}.txt").write_text(output)
    assert done.returncode == 0, output[-20_000:]
