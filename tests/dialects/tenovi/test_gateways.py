"""hwi/hwi-gateways/, hwi/gateway-info/{id}/ and hwi/hardware-uuid-logs/: the client's real
gateways and the history of its HWI devices' hardware ids."""

from pulsebridge.fulfillment.models import Order
from pulsebridge.fulfillment.services import ship_order

from .conftest import GATEWAY, bp
from .test_activation import SHIPPING

OTHER = "AAAAAAAAAAAA"


def test_a_gateway_shows_its_latest_reading_and_check_in(
    tenovi, gateway, reading, add_device, alice
):
    add_device(alice, "TENOVI-GW", serial=OTHER)
    tenovi.activate()
    reading({**bp("2025-03-02T08:00:00Z"), "signal": 42})
    reading(bp("2025-03-01T08:00:00Z"))  # older, received later
    body = tenovi.get("hwi/hwi-gateways/").json()
    assert body["count"] == 2
    by_id = {g["gateway_uuid"]: g for g in body["results"]}
    assert by_id[GATEWAY]["last_measurement"] == "2025-03-02T08:00:00.000000Z"
    assert by_id[GATEWAY]["last_signal_strength"] == 42
    assert by_id[OTHER]["last_measurement"] is None
    assert by_id[OTHER]["last_signal_strength"] == 0  # an integer, not null: it never reported
    assert by_id[GATEWAY]["shipped_on"] is None  # registered, not shipped by us
    one = tenovi.get(f"hwi/hwi-gateways/{GATEWAY.lower()}/").json()  # gateway_uuid__iexact
    assert one == by_id[GATEWAY]


def test_gateways_filter_and_order(tenovi, gateway, reading, add_device, alice):
    add_device(alice, "TENOVI-GW", serial=OTHER)
    tenovi.activate()
    reading(bp())

    def ids(query):
        return [
            g["gateway_uuid"] for g in tenovi.get(f"hwi/hwi-gateways/?{query}").json()["results"]
        ]

    assert ids("") == [OTHER, GATEWAY]  # -assigned_on: the newest first
    assert ids("ordering=assigned_on") == [GATEWAY, OTHER]
    assert ids("ordering=-last_measurement") == [GATEWAY, OTHER]  # never measured: last
    assert ids("last_measurement__isnull=true") == [OTHER]
    assert ids("last_measurement__isnull=false") == [GATEWAY]
    assert ids("shipped_on__isnull=false") == []
    assert ids("search=aaaa") == [OTHER]
    bad = tenovi.get("hwi/hwi-gateways/?ordering=serial")
    assert bad.status_code == 400
    assert "ordering" in bad.json()
    assert tenovi.get("hwi/hwi-gateways/?shipped_on__isnull=maybe").status_code == 400


def test_a_gateway_we_shipped_says_when(tenovi):
    tenovi.activate(hardware_uuid=None, fulfillment_request=SHIPPING)
    ship_order(Order.objects.get(), [], gateways=[GATEWAY])
    [one] = tenovi.get("hwi/hwi-gateways/?shipped_on__isnull=false").json()["results"]
    assert one["gateway_uuid"] == GATEWAY
    assert one["shipped_on"].endswith("Z")


def test_gateway_info_lists_the_devices_paired_with_it(tenovi, gateway, reading):
    tenovi.activate()
    tenovi.activate(name="Tenovi Scale")
    reading(bp())
    body = tenovi.get(f"hwi/gateway-info/{GATEWAY}/").json()
    assert (body["gateway_uuid"], body["provisioned"], body["properties"]) == (GATEWAY, True, [])
    assert body["last_checkin_time"].endswith("Z")
    paired = {d["sensor_code"]: d for d in body["whitelisted_devices"]}
    assert set(paired) == {"10", "13"}
    assert paired["10"]["whitelist_status"] == "CO"  # it has reported: confirmed
    assert paired["13"]["whitelist_status"] == "RE"


def test_an_unknown_or_another_clients_gateway_is_404(tenovi, charlie_tenovi, gateway):
    assert tenovi.get("hwi/hwi-gateways/FFFFFFFFFFFF/").status_code == 404
    assert tenovi.get("hwi/gateway-info/FFFFFFFFFFFF/").status_code == 404
    assert charlie_tenovi.get(f"hwi/gateway-info/{GATEWAY}/").status_code == 404
    assert charlie_tenovi.get("hwi/hwi-gateways/").json()["count"] == 0


def test_every_change_of_a_hardware_uuid_is_logged(tenovi, gateway, add_device, alice):
    add_device(alice, "TENOVI-GW", serial=OTHER)
    cuff = tenovi.activate()
    scale = tenovi.activate(name="Tenovi Scale")
    tenovi.get(f"hwi/unlink-gateway/{cuff['id']}/")
    tenovi.patch(f"hwi/hwi-devices/{cuff['id']}/", {"device": {"hardware_uuid": OTHER}})
    logs = tenovi.get(f"hwi/hardware-uuid-logs/?object_id={cuff['id']}").json()
    assert [(log["old_hardware_uuid"], log["new_hardware_uuid"]) for log in logs] == [
        (None, GATEWAY),
        (GATEWAY, None),
        (None, OTHER),
    ]
    assert {log["object_id"] for log in logs} == {cuff["id"]}
    assert logs[0]["device_name"] == "Tenovi BPM - L"
    every = tenovi.get("hwi/hardware-uuid-logs/").json()
    assert {log["object_id"] for log in every} == {cuff["id"], scale["id"]}
    found = tenovi.get(f"hwi/hardware-uuid-logs/?search={OTHER.lower()}").json()
    assert [log["new_hardware_uuid"] for log in found] == [OTHER]
    assert tenovi.get("hwi/hardware-uuid-logs/?object_id=nope").status_code == 400


def test_a_replacement_gateway_is_logged_for_every_device_it_takes_over(tenovi, gateway):
    cuff = tenovi.activate()
    scale = tenovi.activate(name="Tenovi Scale")
    tenovi.post(
        "hwi/hwi-replacements/",
        {"hwi_device_id": cuff["id"], "device_types": [{"name": "Gateway"}]},
    )
    ship_order(Order.objects.get(), [], gateways=[OTHER])
    for hwi in (cuff, scale):
        [*_, last] = tenovi.get(f"hwi/hardware-uuid-logs/?object_id={hwi['id']}").json()
        assert (last["old_hardware_uuid"], last["new_hardware_uuid"], last["changer"]) == (
            GATEWAY,
            OTHER,
            "replacement",
        )


def test_charlie_sees_none_of_alices_logs(tenovi, charlie_tenovi, gateway):
    tenovi.activate()
    assert charlie_tenovi.get("hwi/hardware-uuid-logs/").json() == []
