"""One patient per device, whichever dialect changed it: the patient (and the practice) of a
device changed through each dialect that can change it, then read through every dialect,
every webhook format and the readings. All agree; a reading taken before the change stays with
the patient it was taken for."""

from __future__ import annotations

import json

import pytest

from pulsebridge.devices.models import Assignment, Device
from pulsebridge.fulfillment.models import Order
from pulsebridge.fulfillment.services import ship_order
from pulsebridge.ingest.readings import record_items as record_measurements
from pulsebridge.readings.models import Measurement
from pulsebridge.webhooks.models import Delivery, WebhookEndpoint
from tests.dialects.pylo.conftest import PyloClient
from tests.dialects.tenovi.conftest import GATEWAY, TenoviClient, bp

NEW_GATEWAY = "FED091A643FF"
SENSOR = f"{GATEWAY}-10"  # the cuff paired with the gateway: its Pylo device_id
SHIPPING = {
    "shipping_name": "Ada Lovelace",
    "shipping_address": "1 Road",
    "shipping_city": "Townsville",
    "shipping_state": "CA",
    "shipping_zip_code": "12345",
}


@pytest.fixture
def clients(client, alice, make_key, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    tenovi = TenoviClient(client, make_key(alice, "tenovi", rate_per_second=10_000), alice.code)
    pylo = PyloClient(client, make_key(alice, "pylo"))
    return tenovi, pylo


@pytest.fixture
def cuff(clients, alice):
    """Ada's cuff (P-1, practice PR-1), shipped by us with a gateway; its webhooks in both
    formats; one reading taken and received before anything changes."""
    tenovi, pylo = clients
    hooks = {
        event: tenovi.post(
            "hwi/webhooks/",
            {"endpoint": f"http://127.0.0.1:9/{event}", "event": event, "post_as_array": True},
        ).json()["id"]
        for event in ("MEASUREMENT", "FULFILLMENT")
    }
    hooks["pylo"] = str(
        WebhookEndpoint.objects.create(company=alice, url="http://127.0.0.1:9/pylo", secret="s").pk
    )
    hwi = tenovi.activate(hardware_uuid=None, patient="P-1", fulfillment_request=SHIPPING)
    order = Order.objects.get()
    ship_order(order, [], gateways=[GATEWAY])
    assert pylo.put(f"/devices?id={SENSOR}", {"practice_id": "PR-1"}).status_code == 200
    [before] = record_measurements(alice, [bp("2025-03-01T08:00:00Z")])
    return {"hwi": hwi["id"], "order": order.number, "hooks": hooks, "before": before.id}


def change_through_pylo_devices(tenovi, pylo, cuff):
    response = pylo.put(f"/devices?id={SENSOR}", {"patient_id": "P-2", "practice_id": "PR-2"})
    assert response.status_code == 200, response.content
    return "P-2", "PR-2"


def change_through_pylo_orders(tenovi, pylo, cuff):
    body = {"order_number": cuff["order"], "patient_id": "P-2", "practice_id": "PR-2"}
    assert pylo.patch("/orders", body).status_code == 200
    return "P-2", "PR-2"


def change_through_tenovi_patch(tenovi, pylo, cuff):
    body = {"patient": {"external_id": "P-2", "name": "Grace Hopper"}}
    assert tenovi.patch(f"hwi/hwi-devices/{cuff['hwi']}/", body).status_code == 200
    return "P-2", "PR-1"  # Tenovi has no practice: the device keeps its own


def change_through_tenovi_put(tenovi, pylo, cuff):
    read = tenovi.get(f"hwi/hwi-devices/{cuff['hwi']}/").json()
    body = {**read, "patient": {"external_id": "P-2"}, "patient_id": "P-2"}
    assert tenovi.put(f"hwi/hwi-devices/{cuff['hwi']}/", body).status_code == 200
    return "P-2", "PR-1"


def change_through_tenovi_patient_removal(tenovi, pylo, cuff):
    assert tenovi.delete("hwi/hwi-patients/p-1/").status_code == 204
    return None, "PR-1"


CHANGES = [
    change_through_pylo_devices,
    change_through_pylo_orders,
    change_through_tenovi_patch,
    change_through_tenovi_put,
    change_through_tenovi_patient_removal,
]


def bodies(endpoint_id) -> list:
    rows = Delivery.objects.filter(endpoint_id=endpoint_id).order_by("created_at", "id")
    return [json.loads(d.body) for d in rows]


def pylo_readings(endpoint_id) -> dict[str, dict]:
    """The Pylo webhook's readings, by id."""
    out = {}
    for body in bodies(endpoint_id):
        if body["event"] == "DEVICE_MEASUREMENT":
            data = json.loads(body["data"])
            out[data["Id"]] = data
    return out


@pytest.mark.parametrize("change", CHANGES, ids=lambda f: f.__name__.removeprefix("change_"))
def test_every_dialect_agrees_on_the_patient_after_a_change(clients, cuff, alice, change):
    tenovi, pylo = clients
    patient, practice = change(tenovi, pylo, cuff)
    [after] = record_measurements(alice, [bp("2025-03-02T08:00:00Z")])
    before, after = cuff["before"], after.id
    shown = patient or ""

    # Pylo: the device, its gateway, the readings by patient, the webhook
    for serial in (SENSOR, GATEWAY):
        device = pylo.get(f"/devices?id={serial}").json()
        assert device["patient_id"] == shown, serial
    assert pylo.get(f"/devices?id={SENSOR}").json()["practice_id"] == practice
    assert _ids(pylo.post("/readings", {"patient_id": "P-1"})) == [before]
    if patient:
        assert _ids(pylo.post("/readings", {"patient_id": patient})) == [after]
    readings = {
        m["Id"]: m for m in pylo.post("/readings", {"device_id": SENSOR}).json()["measurements"]
    }
    assert (readings[before]["PatientId"], readings[before]["PracticeId"]) == ("P-1", "PR-1")
    assert (readings[after]["PatientId"], readings[after]["PracticeId"]) == (shown, practice)
    webhook = pylo_readings(cuff["hooks"]["pylo"])
    assert (webhook[before]["PatientId"], webhook[after]["PatientId"]) == ("P-1", shown)

    # Tenovi: the HWI device, its filters, the measurement endpoints, both webhooks
    hwi = tenovi.get(f"hwi/hwi-devices/{cuff['hwi']}/").json()
    assert hwi["patient_id"] == shown
    assert (hwi["patient"] or {}).get("external_id") == patient
    assert _hwi_ids(tenovi, "patient__external_id=P-1") == []
    if patient:
        assert _hwi_ids(tenovi, f"patient__external_id={patient}") == [cuff["hwi"]]
    items = tenovi.get("hwi/patients/P-1/measurements/").json()
    assert {(i["timestamp"], i["hwi_device_id"]) for i in items} == {
        ("2025-03-01T08:00:00.000000Z", cuff["hwi"])
    }
    if patient:
        items = tenovi.get(f"hwi/patients/{patient}/measurements/").json()
        assert {i["timestamp"] for i in items} == {"2025-03-02T08:00:00.000000Z"}
    items = tenovi.get(f"hwi/hwi-devices/{cuff['hwi']}/measurements/?metric__name=pulse").json()
    assert [(i["timestamp"][:10], i["patient_id"]) for i in items] == [
        ("2025-03-02", shown),
        ("2025-03-01", "P-1"),
    ]
    sent = bodies(cuff["hooks"]["MEASUREMENT"])
    assert [(b[0]["timestamp"][:10], b[0]["patient_id"]) for b in sent] == [
        ("2025-03-01", "P-1"),
        ("2025-03-02", shown),
    ]

    # the readings themselves, and the record of who the device served since when
    stored = dict(Measurement.objects.values_list("pk", "patient__external_id"))
    assert (stored[_uuid(before)], stored[_uuid(after)]) == ("P-1", patient)
    sensor = Device.objects.get(serial=SENSOR)
    history = list(
        Assignment.objects.filter(device=sensor)
        .order_by("since")
        .values_list("patient__external_id", "practice_id", "until")
    )
    assert history[-2][:2] == ("P-1", "PR-1")
    assert history[-2][2] is not None
    assert history[-1] == (patient, practice, None)

    # a FULFILLMENT webhook after the change: the gateway replaced, the same cuff goes on
    replacement = {"hwi_device_id": cuff["hwi"], "device_types": [{"name": "Gateway"}]}
    assert tenovi.post("hwi/hwi-replacements/", replacement).status_code == 201
    ship_order(Order.objects.get(kind="replacement"), [], gateways=[NEW_GATEWAY])
    replaced = bodies(cuff["hooks"]["FULFILLMENT"])[-1]
    assert (replaced["status"], replaced["patient_id"]) == ("Replaced", shown)
    assert pylo.get(f"/devices?id={SENSOR}").json()["patient_id"] == shown
    assert pylo.get(f"/devices?id={NEW_GATEWAY}").json()["patient_id"] == shown


def _ids(response) -> list[str]:
    return [m["Id"] for m in response.json()["measurements"]]


def _hwi_ids(tenovi, query: str) -> list[str]:
    return [d["id"] for d in tenovi.get(f"hwi/hwi-devices/?{query}").json()]


def _uuid(text: str):
    import uuid

    return uuid.UUID(text)
