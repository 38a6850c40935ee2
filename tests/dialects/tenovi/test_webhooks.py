"""hwi/webhooks/ and what Tenovi webhooks receive: measurement items one by one or as an array,
routing by measurement_webhook_id, fulfilment and special-order bodies, the auth header."""

import json

import pytest

from pulsebridge.fulfillment.models import Order
from pulsebridge.fulfillment.services import LineRequest, OrderRequest, place_order, ship_order
from pulsebridge.webhooks.models import Delivery, WebhookEndpoint

from .conftest import GATEWAY, bp
from .test_activation import SHIPPING

WEBHOOK_FIELDS = {
    "id": str,
    "created": str,
    "modified": str,
    "endpoint": str,
    "auth_header": str,
    "auth_key": str,
    "event": str,
    "post_as_array": bool,
    "enabled_by_default": bool,
    "secret": str,
}
MEASUREMENT_ITEM = {
    "metric",
    "device_name",
    "hwi_device_id",
    "patient_id",
    "hardware_uuid",
    "sensor_code",
    "value_1",
    "value_2",
    "created",
    "timestamp",
    "timezone_offset",
    "estimated_timestamp",
    "filter_params",
}
FULFILLMENT_FIELDS = {
    "hwi_device_id",
    "patient_id",
    "hardware_uuid",
    "sensor_code",
    "device_name",
    "status",
    "tracking_link",
}


@pytest.fixture(autouse=True)
def _receivers_on_127_0_0_1(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True


def hook(tenovi, event="MEASUREMENT", url="http://127.0.0.1:9/tenovi", **fields):
    response = tenovi.post(
        "hwi/webhooks/",
        {
            # as the Swagger says: auth_header is the header's value, auth_key its name
            "endpoint": url,
            "auth_header": "k-123",
            "auth_key": "X-Auth",
            "event": event,
            **fields,
        },
    )
    assert response.status_code == 201, response.content
    return response.json()


def bodies(endpoint_id):
    rows = Delivery.objects.filter(endpoint_id=endpoint_id).order_by("created_at", "id")
    return [json.loads(d.body) for d in rows]


def test_a_webhook_is_created_listed_read_changed_and_deleted(tenovi):
    created = hook(tenovi, post_as_array=True)
    assert set(created) == set(WEBHOOK_FIELDS)
    for name, kind in WEBHOOK_FIELDS.items():
        assert isinstance(created[name], kind), name
    assert created["endpoint"] == "http://127.0.0.1:9/tenovi"
    assert (created["auth_header"], created["auth_key"]) == ("k-123", "X-Auth")
    assert (created["event"], created["post_as_array"], created["enabled_by_default"]) == (
        "MEASUREMENT",
        True,
        True,
    )
    assert tenovi.get("hwi/webhooks/").json() == [created]
    url = f"hwi/webhooks/{created['id']}/"
    assert tenovi.get(url).json() == created
    patched = tenovi.patch(url, {"event": "FULFILLMENT", "enabled_by_default": False}).json()
    assert (patched["event"], patched["enabled_by_default"]) == ("FULFILLMENT", False)
    assert patched["auth_header"] == "k-123"
    put = tenovi.put(url, {"endpoint": "http://127.0.0.1:9/other"}).json()
    assert put["endpoint"] == "http://127.0.0.1:9/other"
    assert tenovi.delete(url).status_code == 204
    assert tenovi.get("hwi/webhooks/").json() == []


def test_the_event_defaults_to_measurement(tenovi):
    response = tenovi.post("hwi/webhooks/", {"endpoint": "http://127.0.0.1:9/m"})
    assert response.status_code == 201
    assert response.json()["event"] == "MEASUREMENT"
    assert response.json()["auth_header"] == ""


def test_a_webhook_needs_a_public_url_and_a_proper_header_name(tenovi, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    bad_url = tenovi.post("hwi/webhooks/", {"endpoint": "http://127.0.0.1:9/hook"})
    assert bad_url.status_code == 400
    assert "endpoint" in bad_url.json()
    not_a_url = tenovi.post("hwi/webhooks/", {"endpoint": "nope"})
    assert not_a_url.json() == {"endpoint": ["Enter a valid URL."]}
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    bad_header = tenovi.post(
        "hwi/webhooks/",
        {"endpoint": "http://127.0.0.1:9/h", "auth_key": "Bad Header:", "auth_header": "x"},
    )
    assert bad_header.status_code == 400
    assert "auth_key" in bad_header.json()
    reserved = tenovi.post(
        "hwi/webhooks/",
        {"endpoint": "http://127.0.0.1:9/h", "auth_key": "webhook-signature", "auth_header": "x"},
    )
    assert "set by Pulsebridge" in reserved.json()["auth_key"][0]
    bad_event = tenovi.post("hwi/webhooks/", {"endpoint": "http://127.0.0.1:9/h", "event": "X"})
    assert "event" in bad_event.json()


def test_the_companys_pylo_webhooks_are_not_tenovi_webhooks(tenovi, alice):
    WebhookEndpoint.objects.create(company=alice, url="https://example.com/pylo", secret="s")
    assert tenovi.get("hwi/webhooks/").json() == []


def test_charlie_sees_none_of_alices_webhooks(tenovi, charlie_tenovi):
    created = hook(tenovi)
    assert charlie_tenovi.get("hwi/webhooks/").json() == []
    assert charlie_tenovi.get(f"hwi/webhooks/{created['id']}/").status_code == 404
    assert charlie_tenovi.delete(f"hwi/webhooks/{created['id']}/").status_code == 404


def test_each_metric_of_a_reading_is_its_own_post_with_the_auth_header(tenovi, gateway, reading):
    endpoint = hook(tenovi)
    cuff = tenovi.activate(patient="P-1")
    reading(bp())
    deliveries = list(Delivery.objects.filter(endpoint_id=endpoint["id"]).order_by("id"))
    items = [json.loads(d.body) for d in deliveries]
    # separate deliveries: the outbox does not promise their order
    assert sorted(i["metric"] for i in items) == ["battery_percentage", "blood_pressure", "pulse"]
    for item in items:
        assert set(item) == MEASUREMENT_ITEM
        assert item["hwi_device_id"] == cuff["id"]
        assert item["patient_id"] == "P-1"
        assert item["hardware_uuid"] == GATEWAY
    assert {d.headers["X-Auth"] for d in deliveries} == {"k-123"}
    assert len({d.webhook_id for d in deliveries}) == 3  # each POST de-duplicates on its own


def test_post_as_array_sends_a_readings_metrics_in_one_post(tenovi, gateway, reading):
    endpoint = hook(tenovi, post_as_array=True)
    tenovi.activate()
    reading(bp())
    [body] = bodies(endpoint["id"])
    assert isinstance(body, list)
    assert [i["metric"] for i in body] == ["blood_pressure", "pulse", "battery_percentage"]
    assert {i["timestamp"] for i in body} == {"2025-03-01T08:00:00.000000Z"}


def test_measurement_webhook_id_routes_a_devices_readings_to_one_webhook(tenovi, gateway, reading):
    first = hook(tenovi, url="http://127.0.0.1:9/first", post_as_array=True)
    second = hook(tenovi, url="http://127.0.0.1:9/second", post_as_array=True)
    cuff = tenovi.activate()
    tenovi.activate(name="Tenovi Scale")
    tenovi.post(
        f"hwi/hwi-devices/{cuff['id']}/properties/",
        {"key": "measurement_webhook_id", "value": second["id"]},
    )
    reading(bp())
    reading(
        {
            "kind": "weight",
            "measured_at": "2025-03-01T08:00:00Z",
            "values": {"weight": 80, "unit": "kg"},
            "gateway_id": GATEWAY,
            "sensor_code": "13",
        }
    )
    assert [b[0]["metric"] for b in bodies(first["id"])] == ["weight"]
    assert [b[0]["metric"] for b in bodies(second["id"])] == ["blood_pressure", "weight"]


def test_a_webhook_not_enabled_by_default_gets_only_devices_routed_to_it(tenovi, gateway, reading):
    routed = hook(tenovi, enabled_by_default=False, post_as_array=True)
    cuff = tenovi.activate()
    tenovi.activate(name="Tenovi Scale")
    reading(
        {
            "kind": "weight",
            "measured_at": "2025-03-01T08:00:00Z",
            "values": {"weight": 80, "unit": "kg"},
            "gateway_id": GATEWAY,
            "sensor_code": "13",
        }
    )
    assert bodies(routed["id"]) == []
    tenovi.post(
        f"hwi/hwi-devices/{cuff['id']}/properties/",
        {"key": "measurement_webhook_id", "value": routed["id"]},
    )
    reading(bp())
    assert [b[0]["metric"] for b in bodies(routed["id"])] == ["blood_pressure"]


def test_routing_does_not_take_readings_from_the_pylo_webhooks(tenovi, alice, gateway, reading):
    pylo = WebhookEndpoint.objects.create(company=alice, url="https://example.com/p", secret="s")
    tenovi_hook = hook(tenovi)
    cuff = tenovi.activate()
    tenovi.post(
        f"hwi/hwi-devices/{cuff['id']}/properties/",
        {"key": "measurement_webhook_id", "value": tenovi_hook["id"]},
    )
    reading(bp())
    [pylo_body] = [b for b in bodies(pylo.pk) if b["event"] == "DEVICE_MEASUREMENT"]
    assert json.loads(pylo_body["data"])["DeviceType"] == "Tenovi BPM - L"


def test_a_reading_of_a_device_that_is_no_hwi_device_reaches_no_tenovi_webhook(
    tenovi, alice, add_device, reading
):
    endpoint = hook(tenovi, post_as_array=True)
    pylo = WebhookEndpoint.objects.create(company=alice, url="https://example.com/p", secret="s")
    add_device(alice, "PY-802-LTE", imei="356000000000001")
    reading(bp(imei="356000000000001"))
    assert bodies(endpoint["id"]) == []  # Tenovi shows HWI devices only
    assert "DEVICE_MEASUREMENT" in [b["event"] for b in bodies(pylo.pk)]  # Pylo's do get it


def test_fulfillment_webhooks_follow_the_hwi_devices_status(tenovi, reading):
    endpoint = hook(tenovi, event="FULFILLMENT")
    measurements = hook(tenovi, event="MEASUREMENT")
    cuff = tenovi.activate(hardware_uuid=None, patient="P-1", fulfillment_request=SHIPPING)
    ship_order(Order.objects.get(), [], gateways=[GATEWAY], carrier="usps", tracking="9400")
    reading(bp())
    sent = bodies(endpoint["id"])
    assert [b["status"] for b in sent] == ["Dropshipped", "Connected"]
    first = sent[0]
    assert set(first) == FULFILLMENT_FIELDS
    assert first["hwi_device_id"] == cuff["id"]
    assert (first["patient_id"], first["hardware_uuid"], first["sensor_code"]) == (
        "P-1",
        GATEWAY,
        "10",
    )
    assert first["device_name"] == "Tenovi BPM - L"
    assert first["tracking_link"] == "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400"
    assert len(bodies(measurements["id"])) == 3  # the reading's metrics, not the statuses


def test_a_replacement_webhook_names_the_old_unit_as_device_id(tenovi, gateway):
    endpoint = hook(tenovi, event="FULFILLMENT")
    cuff = tenovi.activate()
    tenovi.post(
        "hwi/hwi-replacements/",
        {"hwi_device_id": cuff["id"], "device_types": [{"name": "Gateway"}]},
    )
    ship_order(Order.objects.get(), [], gateways=["FED091A643FF"])
    [body] = bodies(endpoint["id"])
    assert body["status"] == "Replaced"
    assert (body["hardware_uuid"], body["device_id"]) == ("FED091A643FF", GATEWAY)


def test_special_order_webhooks_tell_orders_that_ship_no_hwi_device(tenovi, alice):
    endpoint = hook(tenovi, event="SPECIAL_ORDER")
    tenovi.activate(hardware_uuid=None, fulfillment_request=SHIPPING)  # told by FULFILLMENT
    order = place_order(alice, OrderRequest(lines=[LineRequest("PY-802-LTE", 2)]))
    ship_order(order, ["359423381882621", "359423381882639"])
    sent = bodies(endpoint["id"])
    assert [b["status"] for b in sent] == ["Pending", "Shipped"]
    shipped = sent[1]
    assert (shipped["order_type"], shipped["order_number"]) == ("BU", order.number)
    assert shipped["contents"] == [{"name": "Pylo BP (cellular)", "quantity": 2, "kit_id": 0}]
    assert shipped["manifest"] == {
        "gateway_ids": [],
        "imeis": ["359423381882621", "359423381882639"],
    }
    assert shipped["created_on"].endswith("Z")


def test_a_replacement_is_a_special_order_of_type_re(tenovi, gateway):
    endpoint = hook(tenovi, event="SPECIAL_ORDER")
    cuff = tenovi.activate()
    tenovi.post(
        "hwi/hwi-replacements/",
        {"hwi_device_id": cuff["id"], "device_types": [{"name": "Gateway"}]},
    )
    [pending] = bodies(endpoint["id"])
    assert (pending["order_type"], pending["status"]) == ("RE", "Pending")
    assert (pending["client_device_id"], pending["hardware_uuid"]) == (cuff["id"], GATEWAY)


@pytest.mark.live
def test_a_delivery_reaches_the_receiver_with_the_auth_header(tenovi, gateway, reading):
    from pulsebridge.webhooks.dispatch import deliver_due
    from tests.webhooks.conftest import Receiver

    receiver = Receiver().start()
    try:
        hook(tenovi, url=receiver.url, post_as_array=True)
        tenovi.activate()
        reading(bp())
        deliver_due()
        [request] = receiver.wait_for(1)
    finally:
        receiver.stop()
    assert request.headers["x-auth"] == "k-123"
    assert request.headers["webhook-id"].startswith("msg_")
    assert [i["metric"] for i in request.json()] == [
        "blood_pressure",
        "pulse",
        "battery_percentage",
    ]


def test_a_measurement_webhook_writes_when_it_was_taken_as_created(tenovi, gateway, reading):
    """As Tenovi's reference says its webhook does "for backwards compatibility"."""
    endpoint = hook(tenovi, post_as_array=True)
    cuff = tenovi.activate()
    reading(bp("2025-03-01T08:00:00Z"))
    [body] = bodies(endpoint["id"])
    assert {(i["created"], i["timestamp"]) for i in body} == {(TAKEN, TAKEN)}
    listed = tenovi.get(f"hwi/hwi-devices/{cuff['id']}/measurements/").json()
    assert {i["created"] for i in listed} != {TAKEN}  # the endpoint's created: when received


TAKEN = "2025-03-01T08:00:00.000000Z"


def test_a_cancelled_fulfilment_request_sends_no_special_order(tenovi, client, alice, make_key):
    from tests.dialects.pylo.conftest import PyloClient

    special = hook(tenovi, event="SPECIAL_ORDER")
    deleted = tenovi.activate(hardware_uuid=None, fulfillment_request=SHIPPING)
    assert tenovi.delete(f"hwi/hwi-devices/{deleted['id']}/").status_code == 204
    tenovi.activate(name="Tenovi Scale", hardware_uuid=None, fulfillment_request=SHIPPING)
    pending = Order.objects.get(status="awaiting_shipment")
    pylo = PyloClient(client, make_key(alice, "pylo"))
    assert pylo.put(f"/orders/{pending.number}/cancel").status_code == 200
    assert Order.objects.filter(status="cancelled").count() == 2
    assert bodies(special["id"]) == []  # those belong to bulk orders and replacements only


def test_a_replaced_webhook_carries_the_replacements_tracking_link(tenovi, gateway):
    endpoint = hook(tenovi, event="FULFILLMENT")
    cuff = tenovi.activate()
    tenovi.post(
        "hwi/hwi-replacements/",
        {"hwi_device_id": cuff["id"], "device_types": [{"name": "Gateway"}]},
    )
    ship_order(Order.objects.get(), [], gateways=["FED091A643FF"], carrier="ups", tracking="1Z9")
    [body] = bodies(endpoint["id"])
    assert body["status"] == "Replaced"
    assert body["tracking_link"] == "https://www.ups.com/track?tracknum=1Z9"


def test_the_operators_statuses_are_told_by_fulfillment_webhooks(tenovi, run):
    endpoint = hook(tenovi, event="FULFILLMENT")
    hwi = tenovi.activate(hardware_uuid=None, fulfillment_request=SHIPPING)
    number = Order.objects.get().number
    for stage in ("ready", "on-hold", "needs-action", "requested"):
        run("order", "status", number, stage)
    assert [b["status"] for b in bodies(endpoint["id"])] == [
        "Ready to Ship",
        "On Hold",
        "Client Action Required",
        "Dropship Requested",
    ]
    run("order", "status", number, "on-hold")
    body = tenovi.get(f"hwi/hwi-devices/{hwi['id']}/").json()
    assert body["status"] == "On Hold"
    assert body["device"]["fulfillment_request"]["shipping_status"] == "OH"
