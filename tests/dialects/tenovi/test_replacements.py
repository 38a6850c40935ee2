"""hwi/hwi-replacements/: request, list, read and withdraw replacements; shipping one rebinds."""

from pulsebridge.devices.models import Enrolment
from pulsebridge.fulfillment.models import Order
from pulsebridge.fulfillment.services import ship_order
from pulsebridge.webhooks.models import Event

from .conftest import GATEWAY, IMEI, bp

NEW_GATEWAY = "FED091A643FF"
NEW_IMEI = "359423381882639"
ADDRESS = {
    "shipping_name": "Dr. Ian Russell",
    "shipping_address": "18023 Sky Park Circle",
    "shipping_city": "Irvine",
    "shipping_state": "CA",
    "shipping_zip_code": "92614",
    "notify_emails": "user@tenovi.com, anotheruser@tenovi.com",
}


def replace(tenovi, hwi_device_id, *names, **fields):
    body = {"device_types": [{"name": n} for n in names], "hwi_device_id": hwi_device_id}
    return tenovi.post("hwi/hwi-replacements/", {**body, **fields})


def test_the_guides_dropship_replacement_of_device_and_gateway(tenovi, gateway):
    cuff = tenovi.activate()
    response = replace(tenovi, cuff["id"], "Tenovi BPM - L", "Gateway", **ADDRESS)
    assert response.status_code == 201
    body = response.json()
    assert body["hwi_device_id"] == cuff["id"]
    assert body["device_types"] == [{"name": "Tenovi BPM - L"}, {"name": "Gateway"}]
    assert body["status"] == "Pending"
    assert body["old_hardware_uuid"] == GATEWAY
    assert body["new_hardware_uuid"] is None
    assert body["shipping_name"] == "Dr. Ian Russell"
    assert body["notify_emails"] == "user@tenovi.com,anotheruser@tenovi.com"
    assert body["order_number"] == Order.objects.get().number
    assert tenovi.get("hwi/hwi-replacements/").json() == [body]
    assert tenovi.get(f"hwi/hwi-replacements/{body['id']}/").json() == body
    order = Order.objects.get()
    assert sorted(ln.model.sku for ln in order.lines.all()) == ["TENOVI-BPM-L", "TENOVI-GW"]
    assert not order.client_will_fulfill


def test_a_replacement_from_the_clients_stock_needs_no_address(tenovi, gateway):
    cuff = tenovi.activate()
    body = replace(tenovi, cuff["id"], "Tenovi BPM - L").json()
    assert body["client_will_fulfill"] is True
    assert body["shipping_status"] == "PE"


def test_shipping_a_gateway_replacement_moves_every_device_on_the_old_gateway(
    tenovi, gateway, reading
):
    cuff = tenovi.activate()
    scale = tenovi.activate(name="Tenovi Scale")
    reading(bp("2025-03-01T08:00:00Z"))
    replacement = replace(tenovi, cuff["id"], "Gateway", **ADDRESS).json()
    ship_order(Order.objects.get(), [], gateways=[NEW_GATEWAY])
    for hwi in (cuff, scale):
        body = tenovi.get(f"hwi/hwi-devices/{hwi['id']}/").json()
        assert body["status"] == "Replaced"
        assert body["device"]["hardware_uuid"] == NEW_GATEWAY
    after = tenovi.get(f"hwi/hwi-replacements/{replacement['id']}/").json()
    assert after["status"] == "Shipped"
    assert after["new_hardware_uuid"] == NEW_GATEWAY
    # readings through the new gateway reach the same HWI device, and the old ones stay
    reading(bp("2025-03-02T08:00:00Z", gateway_id=NEW_GATEWAY, sensor_code="10"))
    items = tenovi.get(f"hwi/hwi-devices/{cuff['id']}/measurements/?metric__name=pulse").json()
    assert [(i["timestamp"], i["hardware_uuid"]) for i in items] == [
        ("2025-03-02T08:00:00.000000Z", NEW_GATEWAY),
        ("2025-03-01T08:00:00.000000Z", GATEWAY),
    ]
    announced = Event.objects.filter(type="ENROLMENT_STATUS_CHANGED")
    assert {e.subject_id for e in announced} >= {cuff["id"], scale["id"]}


def test_shipping_a_cellular_replacement_binds_the_new_imei(tenovi, alice, add_device):
    add_device(alice, "TENOVI-CELL-BPM-L", imei=IMEI)
    cuff = tenovi.activate(name="Tenovi Cellular BPM - L", hardware_uuid=IMEI)
    replace(tenovi, cuff["id"], "Tenovi Cellular BPM - L", **ADDRESS)
    ship_order(Order.objects.get(), [NEW_IMEI])
    body = tenovi.get(f"hwi/hwi-devices/{cuff['id']}/").json()
    assert (body["status"], body["device"]["hardware_uuid"]) == ("Replaced", NEW_IMEI)


def test_only_the_devices_own_type_or_its_gateway_can_be_replaced(tenovi, gateway):
    cuff = tenovi.activate()
    response = replace(tenovi, cuff["id"], "Tenovi Scale")
    assert response.status_code == 400
    assert "cannot replace" in response.json()["device_types"]["0"]["name"][0]


def test_a_replacement_for_an_unknown_device_is_a_bad_request(tenovi):
    response = replace(tenovi, "497f6eca-6276-4993-bfeb-53cbbbba6f08", "Gateway")
    assert response.status_code == 400
    assert "hwi_device_id" in response.json()


def test_a_pending_replacement_can_be_withdrawn_a_shipped_one_cannot(tenovi, gateway):
    cuff = tenovi.activate()
    pending = replace(tenovi, cuff["id"], "Tenovi BPM - L").json()
    assert tenovi.delete(f"hwi/hwi-replacements/{pending['id']}/").status_code == 204
    assert tenovi.get("hwi/hwi-replacements/").json() == []
    assert Order.objects.get().status == "cancelled"
    shipped = replace(tenovi, cuff["id"], "Gateway", **ADDRESS).json()
    ship_order(Order.objects.get(status="awaiting_shipment"), [], gateways=[NEW_GATEWAY])
    response = tenovi.delete(f"hwi/hwi-replacements/{shipped['id']}/")
    assert response.status_code == 400
    assert "shipped" in response.json()["detail"]
    assert Enrolment.objects.get(pk=cuff["id"]).status == "Replaced"
