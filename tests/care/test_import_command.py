"""``pulsebridge import list|show|run`` for operators; ``--json`` prints one JSON object."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from pulsebridge.care.services import receive_batch
from tests.care import examples


def run(*args):
    out = StringIO()
    call_command("import", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def run_json(*args):
    parsed = json.loads(run(*args, "--json"))
    assert isinstance(parsed, dict)
    return parsed


@pytest.fixture
def batch(alice):
    records = [examples.client(), examples.client(id="C2", dob="yesterday")]
    payload = json.dumps(examples.wrapper("client", records))
    return receive_batch(alice, "client", payload, 2)


def test_list_shows_a_companys_batches(batch):
    listing = run_json("list", "--company", "alice-care")
    assert listing["count"] == 1
    row = listing["batches"][0]
    assert (row["batchId"], row["status"], row["received"], row["company"]) == (
        str(batch.pk),
        "queued",
        2,
        "alice-care",
    )
    assert str(batch.pk) in run("list", "--company", "alice-care")


def test_list_of_another_company_shows_none_of_them(batch, charlie):
    assert run_json("list", "--company", "charlie-health") == {"count": 0, "batches": []}


def test_list_of_an_unknown_company_says_so(db):
    with pytest.raises(CommandError, match="no company"):
        run("list", "--company", "nobody")


def test_run_imports_a_queued_batch_and_show_reports_it(batch):
    ran = run_json("run", str(batch.pk))
    assert (ran["status"], ran["imported"], ran["failed"]) == ("done", 1, 1)
    shown = run_json("show", str(batch.pk))
    assert shown["errors"] == [
        {"index": 1, "id": "C2", "message": 'dob "yesterday" is not a date written YYYY-MM-DD'}
    ]
    assert shown["finishedAt"].endswith("Z")
    text = run("show", str(batch.pk))
    assert "1 imported, 1 failed" in text
    assert "#1 C2: dob" in text


def test_run_refuses_a_batch_that_is_done(batch):
    run("run", str(batch.pk))
    with pytest.raises(CommandError, match="already done"):
        run("run", str(batch.pk))


@pytest.mark.parametrize("batch_id", ["nope", "0195f3c4-0000-7000-8000-000000000000"])
def test_show_of_an_unknown_batch_says_so(db, batch_id):
    with pytest.raises(CommandError):
        run("show", batch_id)
