"""Calling the ``pulsebridge`` commands in-process, as an operator's script would."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command


@pytest.fixture
def run(db):
    """Run a command; its stdout as text (CommandError propagates)."""

    def run(*args: str) -> str:
        out, err = StringIO(), StringIO()
        call_command(*args, stdout=out, stderr=err)
        return out.getvalue()

    return run


@pytest.fixture
def run_json(run):
    """Run a command with ``--json``; stdout must be exactly one JSON object."""

    def run_json(*args: str) -> dict:
        output = run(*args, "--json")
        parsed = json.loads(output)
        assert isinstance(parsed, dict)
        return parsed

    return run_json
