import json
import random
import socket
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from pulsebridge.core.apikeys import find_api_key
from pulsebridge.devices.models import Device
from pulsebridge.readings.models import Measurement

# The live server needs committed rows; the catalogue that transactional tests flush is put back
# by the _catalogue fixture in tests/conftest.py (serialized_rollback would restore content
# types that a previous flush already recreated, and collide with them).
live_database = pytest.mark.django_db(transaction=True)


def simulate(*args: str) -> dict:
    out = StringIO()
    call_command("simulate", *args, "--no-progress", "--json", stdout=out, stderr=StringIO())
    return json.loads(out.getvalue())


@pytest.mark.live
@live_database
def test_simulated_devices_post_readings_that_the_server_stores(live_server, alice):
    summary = simulate(
        "--company",
        "alice-care",
        "--devices",
        "4",
        "--days",
        "3",
        "--per-day",
        "2",
        "--batch-size",
        "7",
        "--url",
        live_server.url,
    )
    assert summary["devices"] == summary["devices_added"] == 4
    assert summary["errors"] == 0
    assert summary["created"] == summary["readings"] == Measurement.objects.count()
    assert 4 * 2 * 2 <= summary["readings"] <= 4 * 3 * 2
    assert summary["requests"] == -(-summary["readings"] // 7)
    devices = Device.objects.for_company(alice)
    assert {d.model.sku for d in devices} == {
        "PY-802-LTE",
        "PY-300-LTE",
        "PY-GL1-LTE",
        "PY-OX1-LTE",
    }
    assert all(d.billing_status == "active" for d in devices)
    assert find_api_key(summary["key"], "ingest").company == alice


@pytest.mark.live
@live_database
def test_the_same_run_again_is_all_duplicates(live_server, alice, make_key):
    key = make_key(alice, "ingest")
    args = [
        "--company",
        "alice-care",
        "--devices",
        "2",
        "--days",
        "2",
        "--seed",
        "7",
        "--url",
        live_server.url,
        "--key",
        key,
    ]
    first = simulate(*args)
    again = simulate(*args)
    assert again["devices_added"] == 0
    assert again["key"] is None
    assert (again["created"], again["duplicates"]) == (0, first["created"])
    assert Measurement.objects.count() == first["created"]


@pytest.mark.live
@live_database
def test_it_says_so_when_the_server_refuses_the_key(live_server, alice):
    with pytest.raises(CommandError, match="answered 401"):
        simulate(
            "--company",
            "alice-care",
            "--devices",
            "1",
            "--days",
            "1",
            "--url",
            live_server.url,
            "--key",
            "pb_ingest_nothere_wrong",
        )


@pytest.mark.live
@live_database
def test_it_says_so_when_the_server_does_not_know_the_devices(
    live_server, alice, charlie, make_key
):
    with pytest.raises(CommandError, match="does not know these devices"):
        simulate(
            "--company",
            "alice-care",
            "--devices",
            "1",
            "--days",
            "1",
            "--url",
            live_server.url,
            "--key",
            make_key(charlie, "ingest"),
        )


def test_it_says_so_when_no_server_listens(alice):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: connections are refused
        with pytest.raises(CommandError, match=r"cannot reach .*is `pulsebridge serve` running"):
            simulate(
                "--company",
                "alice-care",
                "--devices",
                "1",
                "--days",
                "1",
                "--url",
                f"http://127.0.0.1:{port}",
            )


def test_it_refuses_an_unknown_company(db):
    with pytest.raises(CommandError, match="no company with code 'nobody'"):
        simulate("--company", "nobody")


def test_it_refuses_a_key_that_is_not_an_ingest_key(alice):
    with pytest.raises(CommandError, match="must be an ingest key"):
        simulate("--company", "alice-care", "--key", "pb_pylo_abc_def")


def test_it_refuses_a_batch_larger_than_the_api_takes(alice):
    with pytest.raises(CommandError, match="at most 1000"):
        simulate("--company", "alice-care", "--batch-size", "1001")


def test_it_uses_the_companys_devices_before_adding_new_ones(alice, add_device):
    from pulsebridge.operations.simulate import ensure_devices

    mine = add_device(alice, "PY-OX1-LTE")
    devices, added = ensure_devices(alice, 3, random.Random(1))
    assert devices[0] == mine
    assert added == 2
    assert Device.objects.for_company(alice).count() == 3
