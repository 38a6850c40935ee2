"""GET/PUT/PATCH/DELETE hwi/hwi-devices/ and hwi/unlink-gateway/."""

import pytest

from pulsebridge.devices.models import Device, DeviceModel, Enrolment
from pulsebridge.fulfillment.models import Order
from pulsebridge.fulfillment.services import deliver_order, ship_order

from .conftest import GATEWAY
from .test_activation import SHIPPING


def test_the_list_is_a_flat_array_in_activation_order(tenovi, gateway):
    first = tenovi.activate()
    second = tenovi.activate(name="Tenovi Scale", patient="P-2")
    body = tenovi.get("hwi/hwi-devices/").json()
    assert [d["id"] for d in body] == [first["id"], second["id"]]
    assert body[0] == tenovi.get(f"hwi/hwi-devices/{first['id']}/").json()


def test_page_switches_the_list_to_a_paginated_object(tenovi, gateway):
    ids = [tenovi.activate(name=name)["id"] for name in ("Tenovi BPM - L", "Tenovi Scale")]
    ids.append(tenovi.activate(name="Tenovi Pulse Ox")["id"])
    body = tenovi.get("hwi/hwi-devices/?page=1&page_size=2").json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 3
    assert [d["id"] for d in body["results"]] == ids[:2]
    assert body["previous"] is None
    assert body["next"].startswith("http://testserver/tenovi/clients/alice-care/hwi/hwi-devices/")
    assert "page=2" in body["next"]
    second = tenovi.get("hwi/hwi-devices/?page=2&page_size=2").json()
    assert [d["id"] for d in second["results"]] == ids[2:]
    assert second["next"] is None


def test_a_page_beyond_the_last_is_404(tenovi, gateway):
    tenovi.activate()
    assert tenovi.get("hwi/hwi-devices/?page=9").status_code == 404


@pytest.fixture
def many(alice):
    """1,001 HWI devices, written directly: the limits are about listing, not activating."""
    model = DeviceModel.objects.get(sku="TENOVI-SCALE")
    Enrolment.objects.bulk_create(
        [
            Enrolment(company=alice, model=model, status="Unknown Gateway ID", hardware_uuid=str(i))
            for i in range(1001)
        ]
    )


def test_an_unpaginated_list_stops_at_1000_items(tenovi, many):
    assert len(tenovi.get("hwi/hwi-devices/").json()) == 1000


def test_page_size_defaults_to_100_and_stops_at_1000(tenovi, many):
    assert len(tenovi.get("hwi/hwi-devices/?page=1").json()["results"]) == 100
    big = tenovi.get("hwi/hwi-devices/?page=1&page_size=5000").json()
    assert len(big["results"]) == 1000
    assert big["count"] == 1001


def test_the_list_filters_by_hardware_uuid_exactly_or_ignoring_case(tenovi, gateway):
    cuff = tenovi.activate()
    tenovi.activate(name="Tenovi Scale", hardware_uuid="AAAAAAAAAAAA")
    exact = tenovi.get(f"hwi/hwi-devices/?device__hardware_uuid={GATEWAY}").json()
    assert [d["id"] for d in exact] == [cuff["id"]]
    assert tenovi.get(f"hwi/hwi-devices/?device__hardware_uuid={GATEWAY.lower()}").json() == []
    iexact = tenovi.get(f"hwi/hwi-devices/?device__hardware_uuid__iexact={GATEWAY.lower()}").json()
    assert [d["id"] for d in iexact] == [cuff["id"]]


def test_the_list_filters_by_patient_property_and_search(tenovi, gateway):
    cuff = tenovi.activate(patient={"external_id": "P-1", "name": "Ada Lovelace"})
    scale = tenovi.activate(name="Tenovi Scale", patient="P-2")
    tenovi.post(f"hwi/hwi-devices/{scale['id']}/properties/", {"key": "room", "value": "12"})

    def ids(query):
        return [d["id"] for d in tenovi.get(f"hwi/hwi-devices/?{query}").json()]

    assert ids("patient__external_id=P-2") == [scale["id"]]
    assert ids("properties__key=room") == [scale["id"]]
    assert ids("properties__value=12") == [scale["id"]]
    assert ids("properties__value=13") == []
    assert ids("search=lovelace") == [cuff["id"]]
    assert ids("search=Scale") == [scale["id"]]


def test_an_unknown_hwi_device_is_404(tenovi):
    response = tenovi.get("hwi/hwi-devices/497f6eca-6276-4993-bfeb-53cbbbba6f08/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert tenovi.get("hwi/hwi-devices/not-a-uuid/").status_code == 404


def test_patch_changes_the_patient_of_the_device_and_its_hardware(tenovi, gateway):
    cuff = tenovi.activate(patient="P-1")
    response = tenovi.patch(
        f"hwi/hwi-devices/{cuff['id']}/",
        {"patient": {"external_id": "P-9", "name": "Nine"}, "device": {"sensor_id": "2"}},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["patient_id"] == "P-9"
    assert body["patient"]["name"] == "Nine"
    assert body["device"]["sensor_id"] == "2"
    assert body["status"] == "Delivered"
    assert Device.objects.get(gateway=gateway).patient.external_id == "P-9"


def test_put_of_what_was_read_changes_nothing(tenovi, gateway):
    cuff = tenovi.activate(patient={"external_id": "P-1", "name": "One"})
    response = tenovi.put(f"hwi/hwi-devices/{cuff['id']}/", cuff)
    assert response.status_code == 200
    assert response.json() == cuff


def test_put_needs_the_device_name(tenovi, gateway):
    cuff = tenovi.activate()
    response = tenovi.put(f"hwi/hwi-devices/{cuff['id']}/", {"patient": {"external_id": "X"}})
    assert response.status_code == 400
    assert response.json() == {"device": ["This field is required."]}


def test_patch_with_a_gateway_activates_a_device_that_was_unknown(tenovi, alice, add_device):
    waiting = tenovi.activate(hardware_uuid="FFFFFFFFFFFF")
    add_device(alice, "TENOVI-GW", serial=GATEWAY)
    body = tenovi.patch(
        f"hwi/hwi-devices/{waiting['id']}/", {"device": {"hardware_uuid": GATEWAY}}
    ).json()
    assert body["status"] == "Delivered"
    assert body["device"]["hardware_uuid"] == GATEWAY


def test_patch_with_a_null_hardware_uuid_unlinks(tenovi, gateway):
    cuff = tenovi.activate()
    body = tenovi.patch(f"hwi/hwi-devices/{cuff['id']}/", {"device": {"hardware_uuid": None}})
    assert body.json()["status"] == "Unlinked"


def test_patch_changes_the_shipping_address_before_shipping(tenovi):
    body = tenovi.activate(hardware_uuid=None, fulfillment_request=SHIPPING)
    changed = tenovi.patch(
        f"hwi/hwi-devices/{body['id']}/",
        {"device": {"fulfillment_request": {"shipping_address": "9 Other Road"}}},
    ).json()
    assert changed["device"]["fulfillment_request"]["shipping_address"] == "9 Other Road"
    assert Order.objects.get().address1 == "9 Other Road"


def test_the_shipping_address_cannot_change_once_shipped(tenovi):
    body = tenovi.activate(hardware_uuid=None, fulfillment_request=SHIPPING)
    ship_order(Order.objects.get(), [], gateways=[GATEWAY])
    response = tenovi.patch(
        f"hwi/hwi-devices/{body['id']}/",
        {"device": {"fulfillment_request": {"shipping_address": "9 Other Road"}}},
    )
    assert response.status_code == 400
    assert "fulfilled" in str(response.json())


def test_the_device_type_changes_only_while_nothing_is_shipped(tenovi, gateway):
    pending = tenovi.activate(hardware_uuid=None, fulfillment_request=SHIPPING)
    body = tenovi.patch(
        f"hwi/hwi-devices/{pending['id']}/", {"device": {"name": "Tenovi BPM - S"}}
    ).json()
    assert body["device"]["name"] == "Tenovi BPM - S"
    assert "TENOVI-BPM-S" in [line.model.sku for line in Order.objects.get().lines.all()]
    on_site = tenovi.activate(name="Tenovi Scale")
    response = tenovi.patch(
        f"hwi/hwi-devices/{on_site['id']}/", {"device": {"name": "Tenovi Pulse Ox"}}
    )
    assert response.status_code == 400
    assert "cannot change" in response.json()["device"]["name"][0]


def test_deleting_a_device_given_on_site_removes_it(tenovi, gateway):
    cuff = tenovi.activate()
    response = tenovi.delete(f"hwi/hwi-devices/{cuff['id']}/")
    assert response.status_code == 204
    assert response.content == b""
    assert tenovi.get(f"hwi/hwi-devices/{cuff['id']}/").status_code == 404
    sensor = Device.objects.get(gateway=gateway)
    assert sensor.patient is None  # the unit stays in inventory, no longer the patient's


def test_deleting_a_device_with_a_pending_request_cancels_the_order(tenovi):
    body = tenovi.activate(hardware_uuid=None, fulfillment_request=SHIPPING)
    assert tenovi.delete(f"hwi/hwi-devices/{body['id']}/").status_code == 204
    assert Order.objects.get().status == "cancelled"
    assert not Enrolment.objects.exists()


def test_a_device_whose_request_was_fulfilled_cannot_be_deleted_only_unlinked(tenovi):
    body = tenovi.activate(hardware_uuid=None, fulfillment_request=SHIPPING)
    deliver_order(ship_order(Order.objects.get(), [], gateways=[GATEWAY]))
    response = tenovi.delete(f"hwi/hwi-devices/{body['id']}/")
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "fulfilled" in detail
    assert f"hwi/unlink-gateway/{body['id']}/" in detail
    unlinked = tenovi.get(f"hwi/unlink-gateway/{body['id']}/")
    assert unlinked.status_code == 200
    assert unlinked.json()["status"] == "Unlinked"
    assert unlinked.json()["device"]["hardware_uuid"] is None
    assert unlinked.json()["unlinked_on"].endswith("Z")


def test_unlinking_always_succeeds(tenovi, gateway):
    cuff = tenovi.activate()
    for _ in range(2):
        response = tenovi.get(f"hwi/unlink-gateway/{cuff['id']}/")
        assert response.status_code == 200
        assert response.json()["status"] == "Unlinked"
    pending = tenovi.activate(name="Tenovi Scale", hardware_uuid=None, fulfillment_request=SHIPPING)
    assert tenovi.get(f"hwi/unlink-gateway/{pending['id']}/").json()["status"] == "Unlinked"


def test_an_unlinked_gateway_slot_can_be_activated_again(tenovi, gateway):
    first = tenovi.activate()
    tenovi.get(f"hwi/unlink-gateway/{first['id']}/")
    second = tenovi.activate(patient="P-2")
    assert second["status"] == "Delivered"
    assert Device.objects.get(gateway=gateway).patient.external_id == "P-2"


def test_unlink_gateway_answers_only_get(tenovi, gateway):
    cuff = tenovi.activate()
    assert tenovi.post(f"hwi/unlink-gateway/{cuff['id']}/", {}).status_code == 405


def test_a_delete_refused_for_an_unlinked_device_says_it_is_unlinked(tenovi):
    body = tenovi.activate(hardware_uuid=None, fulfillment_request=SHIPPING)
    ship_order(Order.objects.get(), [], gateways=[GATEWAY])
    tenovi.get(f"hwi/unlink-gateway/{body['id']}/")
    response = tenovi.delete(f"hwi/hwi-devices/{body['id']}/")
    assert response.status_code == 400
    assert "already unlinked" in response.json()["detail"]
    assert "unlink-gateway" not in response.json()["detail"]  # no advice to do it again


def test_null_notify_emails_and_shipped_on_behalf_of_are_no_values(tenovi):
    request = {**SHIPPING, "notify_emails": None, "shipped_on_behalf_of": None}
    body = tenovi.activate(hardware_uuid=None, fulfillment_request=request)
    assert body["device"]["fulfillment_request"]["notify_emails"] == ""
    assert body["device"]["fulfillment_request"]["shipped_on_behalf_of"] == ""
    assert Order.objects.get().notify_emails == []


def test_a_cuff_keeps_its_identity_across_a_gateway_replacement(
    tenovi, gateway, client, alice, make_key
):
    from tests.dialects.pylo.conftest import PyloClient

    pylo = PyloClient(client, make_key(alice, "pylo"))
    cuff = tenovi.activate(patient="P-1")
    before = [
        d for d in pylo.get("/devices").json()["devices"] if d["device_type"] == "Tenovi BPM - L"
    ]
    tenovi.post(
        "hwi/hwi-replacements/",
        {"hwi_device_id": cuff["id"], "device_types": [{"name": "Gateway"}]},
    )
    ship_order(Order.objects.get(), [], gateways=["FED091A643FF"])
    after = [
        d for d in pylo.get("/devices").json()["devices"] if d["device_type"] == "Tenovi BPM - L"
    ]
    assert [d["device_id"] for d in after] == [d["device_id"] for d in before]  # one row, the same
    assert after[0]["patient_id"] == "P-1"
    assert Device.objects.get(serial=after[0]["device_id"]).gateway.serial == "FED091A643FF"
