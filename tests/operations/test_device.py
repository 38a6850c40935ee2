import pytest
from django.core.management.base import CommandError

from pulsebridge.devices.models import Device


def test_it_adds_a_device_and_prints_it_as_json(run_json, alice):
    device = run_json(
        "device",
        "add",
        "--company",
        "alice-care",
        "--sku",
        "PY-802-LTE",
        "--imei",
        "359423381882621",
        "--sim",
        "89012600000000000001",
        "--mac",
        "00:1A:2B:3C:4D:5E",
    )
    stored = Device.objects.get(imei="359423381882621")
    assert device["id"] == str(stored.pk)
    assert device["serial"] == "359423381882621"  # the IMEI when no serial is given
    assert device["sim"] == "89012600000000000001"
    assert device["mac"] == "00:1A:2B:3C:4D:5E"
    assert (device["sku"], device["kind"]) == ("PY-802-LTE", "blood_pressure")
    assert device["billing_status"] == "preactive"
    assert device["company"] == "alice-care"


def test_it_adds_a_gateway_by_its_serial(run_json, alice):
    device = run_json(
        "device", "add", "--company", "alice-care", "--sku", "TENOVI-GW", "--serial", "abcdef012345"
    )
    assert device["serial"] == "ABCDEF012345"
    assert device["imei"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sku", "PY-802-LTE", "--imei", "12345"], "must be 15 digits"),
        (["--sku", "PY-802-LTE"], "cellular device: give its --imei"),
        (["--sku", "NO-SUCH-SKU", "--imei", "359423381882621"], "unknown SKU"),
        (["--sku", "TENOVI-GW", "--serial", "nothex"], "12-hex-digit gateway id"),
        (["--sku", "PY-802-LTE", "--imei", "359423381882621", "--sim", "12ab"], "not an ICCID"),
        (["--sku", "PY-802-LTE", "--imei", "359423381882621", "--mac", "zz"], "not a MAC"),
    ],
)
def test_it_refuses_a_device_it_cannot_add(run, alice, args, message):
    with pytest.raises(CommandError, match=message):
        run("device", "add", "--company", "alice-care", *args)
    assert not Device.objects.exists()


def test_it_refuses_an_imei_already_registered_even_in_another_company(run, alice, charlie):
    run(
        "device",
        "add",
        "--company",
        "charlie-health",
        "--sku",
        "PY-300-LTE",
        "--imei",
        "359423381882621",
    )
    with pytest.raises(CommandError, match="already registered"):
        run(
            "device",
            "add",
            "--company",
            "alice-care",
            "--sku",
            "PY-802-LTE",
            "--imei",
            "359423381882621",
        )


def test_it_refuses_an_unknown_company(run):
    with pytest.raises(CommandError, match="no company with code 'nobody'"):
        run("device", "add", "--company", "nobody", "--sku", "PY-802-LTE", "--imei", "1" * 15)


def test_it_lists_only_the_companys_devices(run, run_json, alice, charlie, add_device):
    mine = add_device(alice, "PY-300-LTE")
    theirs = add_device(charlie, "PY-802-LTE")
    listed = run_json("device", "list", "--company", "alice-care")
    assert [d["serial"] for d in listed["devices"]] == [mine.serial]
    text = run("device", "list", "--company", "alice-care")
    assert mine.serial in text
    assert theirs.serial not in text


def test_suspending_a_device_shows_in_pylo_and_is_announced(
    run, run_json, alice, add_device, client, make_key
):
    import json

    from pulsebridge.webhooks.models import Delivery, WebhookEndpoint
    from tests.dialects.pylo.conftest import PyloClient

    hook = WebhookEndpoint.objects.create(company=alice, url="https://example.com/p", secret="s")
    device = add_device(alice, imei="359423381882621")
    assert run_json("device", "suspend", "359423381882621")["billing_status"] == "suspended"
    pylo = PyloClient(client, make_key(alice, "pylo"))
    assert pylo.get("/devices?imei=359423381882621").json()["billing_status"] == "suspended"
    [sent] = [json.loads(d.body) for d in Delivery.objects.filter(endpoint=hook)]
    assert sent["event"] == "DEVICE_BILLING_STATUS_CHANGED"
    assert json.loads(sent["data"])["billing_status"] == "suspended"
    # a suspended device still measures, and stays suspended
    from pulsebridge.ingest.readings import record_items as record_measurements

    record_measurements(
        alice,
        [
            {
                "kind": "blood_pressure",
                "imei": device.imei,
                "measured_at": "2025-03-01T08:00:00Z",
                "values": {"systolic": 120, "diastolic": 80},
            }
        ],
    )
    assert Device.objects.get(pk=device.pk).billing_status == "suspended"
    assert run("device", "resume", device.serial).strip() == f"device {device.serial} is active"


def test_a_device_never_measured_resumes_preactive(run, alice, add_device):
    add_device(alice, imei="359423381882621")
    run("device", "suspend", "359423381882621")
    assert "preactive" in run("device", "resume", "359423381882621")
    with pytest.raises(CommandError, match="not suspended"):
        run("device", "resume", "359423381882621")
    with pytest.raises(CommandError, match="no device"):
        run("device", "suspend", "000000000000000")
