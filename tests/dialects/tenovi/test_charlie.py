"""Charlie's company sees none of Alice's HWI devices: every object of hers is 404 to him."""

from pulsebridge.devices.models import Enrolment

from .conftest import bp


def test_charlie_sees_none_of_alices_devices(tenovi, charlie_tenovi, gateway, reading):
    cuff = tenovi.activate(patient="P-1")
    reading(bp())
    prop = tenovi.post(f"hwi/hwi-devices/{cuff['id']}/properties/", {"key": "k", "value": "v"})
    replacement = tenovi.post(
        "hwi/hwi-replacements/",
        {"hwi_device_id": cuff["id"], "device_types": [{"name": "Gateway"}]},
    ).json()
    assert charlie_tenovi.get("hwi/hwi-devices/").json() == []
    assert charlie_tenovi.get("hwi/hwi-replacements/").json() == []
    for path in (
        f"hwi/hwi-devices/{cuff['id']}/",
        f"hwi/hwi-devices/{cuff['id']}/properties/",
        f"hwi/hwi-devices/{cuff['id']}/properties/{prop.json()['id']}/",
        f"hwi/hwi-devices/{cuff['id']}/measurements/",
        "hwi/patients/P-1/measurements/",
        f"hwi/unlink-gateway/{cuff['id']}/",
        f"hwi/hwi-replacements/{replacement['id']}/",
    ):
        assert charlie_tenovi.get(path).status_code == 404, path
    assert charlie_tenovi.patch(f"hwi/hwi-devices/{cuff['id']}/", {}).status_code == 404
    assert charlie_tenovi.delete(f"hwi/hwi-devices/{cuff['id']}/").status_code == 404
    assert charlie_tenovi.delete(f"hwi/hwi-replacements/{replacement['id']}/").status_code == 404
    refused = charlie_tenovi.post(
        "hwi/hwi-replacements/",
        {"hwi_device_id": cuff["id"], "device_types": [{"name": "Gateway"}]},
    )
    assert refused.status_code == 400
    assert Enrolment.objects.get(pk=cuff["id"]).status == "Connected"  # untouched


def test_charlie_cannot_activate_on_alices_gateway(charlie_tenovi, gateway):
    body = charlie_tenovi.activate()
    assert body["status"] == "Unknown Gateway ID"


def test_charlies_key_on_alices_domain_is_404(charlie_tenovi, alice):
    assert charlie_tenovi.get("hwi/hwi-devices/", domain=alice.code).status_code == 404
    response = charlie_tenovi.post(
        "hwi/hwi-devices/", {"device": {"name": "Tenovi Scale"}}, domain=alice.code
    )
    assert response.status_code == 404
