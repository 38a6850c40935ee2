"""POST hwi/hwi-devices/: the guide's three use cases, its field lists and its examples."""

from pulsebridge.devices.models import Device, Enrolment, Patient
from pulsebridge.fulfillment.models import Order

from .conftest import GATEWAY, IMEI

# The guide's example fields and the Swagger's, with the types the Swagger gives them
# (``None`` where it marks the field x-nullable). tests/dialects/tenovi/test_swagger.py checks
# every definition against the Swagger file itself.
TEXT_OR_NULL = (str, type(None))
HWI_DEVICE_FIELDS = {
    "id": str,
    "hwi_device_id": str,
    "status": str,
    "connected_on": TEXT_OR_NULL,
    "unlinked_on": TEXT_OR_NULL,
    "last_measurement": TEXT_OR_NULL,
    "patient_id": str,
    "patient_phone_number": str,
    "device": dict,
    "patient": dict,
}
DEVICE_FIELDS = {
    "id": str,
    "name": str,
    "hardware_uuid": str,
    "sensor_code": str,
    "sensor_id": str,
    "device_type": str,
    "model_number": str,
    "shared_hardware_uuid": bool,
    "created": str,
    "meta_data": dict,
    "fulfillment_request": dict,
}
FULFILLMENT_FIELDS = {
    "created": str,
    "shipping_status": str,
    "shipping_name": str,
    "shipping_address": str,
    "shipping_city": str,
    "shipping_state": str,
    "shipping_zip_code": str,
    "shipped_on_behalf_of": str,
    "shipping_tracking_link": TEXT_OR_NULL,
    "ship_gateway_only": bool,
    "require_signature": bool,
    "shipped_on": TEXT_OR_NULL,
    "delivered_on": TEXT_OR_NULL,
    "requested_by": TEXT_OR_NULL,
    "client_notes": str,
    "notify_emails": str,
    "fulfilled": bool,
    "client_will_fulfill": bool,
    "flagged_by_client": bool,
    "invalid_address": str,
    "duplicate_device_at_address": bool,
}
PATIENT_FIELDS = {
    "external_id": str,
    "name": str,
    "phone_number": str,
    "email": TEXT_OR_NULL,
    "physician": str,
    "clinic_name": str,
    "care_manager": str,
    "sms_opt_in": bool,
}
# The guide's "With a Fulfillment Request" example, made valid JSON, with a catalogue name.
SHIPPING = {
    "shipping_name": "Patient One",
    "shipping_address": "123 Street",
    "shipping_city": "Townsville",
    "shipping_state": "CA",
    "shipping_zip_code": "12345",
    "client_will_fulfill": False,
    "notify_emails": "test@email.com",
    "require_signature": False,
}
PATIENT = {
    "external_id": "12345678-1234-12345678",
    "phone_number": "123-456-7890",
    "physician": "Dr. Russell",
}


def test_a_device_given_on_site_with_a_known_gateway_is_delivered(tenovi, gateway):
    body = tenovi.activate(patient=PATIENT)
    assert body["status"] == "Delivered"
    assert body["device"]["hardware_uuid"] == GATEWAY
    assert body["device"]["sensor_code"] == "10"
    assert body["device"]["fulfillment_request"] is None
    assert body["patient_id"] == "12345678-1234-12345678"
    assert body["patient_phone_number"] == "123-456-7890"
    assert body["patient"]["physician"] == "Dr. Russell"
    # the cuff is paired with the gateway, so its readings are routed to this patient
    cuff = Device.objects.get(gateway=gateway)
    assert cuff.model.name == "Tenovi BPM - L"
    assert cuff.patient.external_id == "12345678-1234-12345678"


def test_the_hwi_device_has_every_documented_field_with_its_type(tenovi, gateway):
    tenovi.activate(patient={**PATIENT, "name": "Patient One", "email": "p1@example.com"})
    body = tenovi.activate(
        name="Tenovi Scale",
        patient={"external_id": "P-2", "name": "Two", "sms_opt_in": True},
        fulfillment_request=SHIPPING,
        hardware_uuid=GATEWAY,
    )
    assert set(body) == set(HWI_DEVICE_FIELDS)
    for name, kind in HWI_DEVICE_FIELDS.items():
        assert isinstance(body[name], kind), name
    assert set(body["device"]) == set(DEVICE_FIELDS)
    for name, kind in DEVICE_FIELDS.items():
        assert isinstance(body["device"][name], kind), name
    request = body["device"]["fulfillment_request"]
    assert set(request) == set(FULFILLMENT_FIELDS)
    for name, kind in FULFILLMENT_FIELDS.items():
        assert isinstance(request[name], kind), name
    assert set(body["patient"]) == set(PATIENT_FIELDS)
    for name, kind in PATIENT_FIELDS.items():
        assert isinstance(body["patient"][name], kind), name
    assert body["id"] == body["device"]["id"] == body["hwi_device_id"]
    # the Swagger marks them x-nullable date-times: null until they happen
    assert body["connected_on"] is body["unlinked_on"] is body["last_measurement"] is None
    assert body["device"]["model_number"] == "TENOVI-SCALE"
    assert body["device"]["shared_hardware_uuid"] is True  # the cuff uses the same gateway


def test_an_unknown_gateway_id_gives_status_unknown_gateway_id(tenovi):
    body = tenovi.activate(hardware_uuid="123456789100")
    assert body["status"] == "Unknown Gateway ID"
    assert body["device"]["hardware_uuid"] == "123456789100"
    assert not Device.objects.filter(gateway__isnull=False).exists()


def test_a_gateway_of_another_client_is_unknown_too(tenovi, charlie, add_device):
    add_device(charlie, "TENOVI-GW", serial=GATEWAY)
    assert tenovi.activate()["status"] == "Unknown Gateway ID"


def test_registering_the_gateway_later_delivers_the_waiting_device(tenovi, alice, add_device):
    waiting = tenovi.activate(hardware_uuid=GATEWAY.lower())
    assert waiting["status"] == "Unknown Gateway ID"
    add_device(alice, "TENOVI-GW", serial=GATEWAY)
    body = tenovi.get(f"hwi/hwi-devices/{waiting['id']}/").json()
    assert body["status"] == "Delivered"
    assert body["device"]["hardware_uuid"] == GATEWAY


def test_a_cellular_device_given_on_site_is_found_by_its_imei(tenovi, alice, add_device):
    unit = add_device(alice, "TENOVI-CELL-BPM-L", imei=IMEI)
    body = tenovi.activate(name="Tenovi Cellular BPM - L", hardware_uuid=IMEI)
    assert body["status"] == "Delivered"
    assert body["device"]["hardware_uuid"] == IMEI
    assert body["device"]["sensor_code"] == ""
    unit.refresh_from_db()
    assert unit.patient.external_id == "P-1"


def test_an_imei_of_another_device_type_is_refused(tenovi, alice, add_device):
    add_device(alice, "TENOVI-CELL-SCALE", imei=IMEI)
    response = tenovi.post(
        "hwi/hwi-devices/",
        {"device": {"name": "Tenovi Cellular BPM - L", "hardware_uuid": IMEI}},
    )
    assert response.status_code == 400
    assert "Tenovi Cellular Scale" in response.json()["detail"]


def test_a_device_shipped_by_the_client_is_pending_shipment(tenovi):
    body = tenovi.activate(
        hardware_uuid=None,
        patient=PATIENT,
        fulfillment_request={**SHIPPING, "client_will_fulfill": True},
    )
    assert body["status"] == "Pending Shipment"
    assert body["device"]["hardware_uuid"] is None
    request = body["device"]["fulfillment_request"]
    assert request["client_will_fulfill"] is True
    assert request["shipping_status"] == "PE"
    assert request["fulfilled"] is False
    assert request["notify_emails"] == "test@email.com"
    order = Order.objects.get()
    assert order.client_will_fulfill
    assert sorted(line.model.sku for line in order.lines.all()) == ["TENOVI-BPM-L", "TENOVI-GW"]


def test_a_device_we_ship_is_dropship_requested_with_a_gateway(tenovi):
    body = tenovi.activate(hardware_uuid=None, patient=PATIENT, fulfillment_request=SHIPPING)
    assert body["status"] == "Dropship Requested"
    # PE: the Swagger's codes for a device's request have no RQ, whoever ships it
    assert body["device"]["fulfillment_request"]["shipping_status"] == "PE"
    order = Order.objects.get()
    assert not order.client_will_fulfill
    assert order.shipping_name == "Patient One"
    assert (order.recipient_first_name, order.recipient_last_name) == ("Patient", "One")
    assert (order.address1, order.city, order.state, order.postal_code) == (
        "123 Street",
        "Townsville",
        "CA",
        "12345",
    )
    assert order.notify_emails == ["test@email.com"]
    assert order.patient.external_id == PATIENT["external_id"]
    assert sorted(line.model.sku for line in order.lines.all()) == ["TENOVI-BPM-L", "TENOVI-GW"]


def test_ship_gateway_only_ships_the_gateway_alone(tenovi):
    body = tenovi.activate(
        hardware_uuid=None, fulfillment_request={**SHIPPING, "ship_gateway_only": True}
    )
    assert body["device"]["fulfillment_request"]["ship_gateway_only"] is True
    assert [line.model.sku for line in Order.objects.get().lines.all()] == ["TENOVI-GW"]


def test_a_second_device_for_a_patient_with_a_gateway_ships_no_second_gateway(tenovi, gateway):
    tenovi.activate()
    body = tenovi.activate(name="Tenovi Scale", fulfillment_request=SHIPPING)
    assert body["status"] == "Dropship Requested"
    assert body["device"]["hardware_uuid"] == GATEWAY
    assert [line.model.sku for line in Order.objects.get().lines.all()] == ["TENOVI-SCALE"]


def test_a_fulfillment_request_with_an_unknown_gateway_is_refused(tenovi):
    response = tenovi.post(
        "hwi/hwi-devices/",
        {
            "device": {
                "name": "Tenovi Scale",
                "hardware_uuid": "FFFFFFFFFFFF",
                "fulfillment_request": SHIPPING,
            }
        },
    )
    assert response.status_code == 400
    assert "not a gateway of this client" in response.json()["device"]["hardware_uuid"][0]
    assert not Order.objects.exists()


def test_a_cellular_device_cannot_ship_its_gateway_only(tenovi):
    response = tenovi.post(
        "hwi/hwi-devices/",
        {
            "device": {
                "name": "Tenovi Cellular Scale",
                "hardware_uuid": None,
                "fulfillment_request": {**SHIPPING, "ship_gateway_only": True},
            }
        },
    )
    assert response.status_code == 400
    errors = response.json()["device"]["fulfillment_request"]["ship_gateway_only"]
    assert "no gateway" in errors[0]


def test_a_dropship_needs_an_address(tenovi):
    response = tenovi.post(
        "hwi/hwi-devices/",
        {"device": {"name": "Tenovi Scale", "fulfillment_request": {"shipping_name": "X"}}},
    )
    assert response.status_code == 400
    assert "shipping_address" in response.json()["device"]["fulfillment_request"]


def test_the_device_name_must_match_a_device_type_exactly(tenovi, gateway):
    # The guide's own example says "Tenovi BPM", which is not one of the device types.
    response = tenovi.post(
        "hwi/hwi-devices/", {"device": {"name": "Tenovi BPM", "hardware_uuid": GATEWAY}}
    )
    assert response.status_code == 400
    message = response.json()["device"]["name"][0]
    assert "'Tenovi BPM' is not a device type" in message
    assert "Tenovi BPM - L" in message
    assert not Enrolment.objects.exists()


def test_the_guides_en_dash_is_accepted_in_device_names(tenovi, gateway):
    body = tenovi.activate(name="Tenovi BPM \u2013 S")
    assert body["device"]["name"] == "Tenovi BPM - S"


def test_a_patient_needs_an_external_id(tenovi, gateway):
    response = tenovi.post(
        "hwi/hwi-devices/",
        {"device": {"name": "Tenovi Scale", "hardware_uuid": GATEWAY}, "patient": {"name": "X"}},
    )
    assert response.status_code == 400
    assert response.json() == {"patient": {"external_id": ["This field is required."]}}


def test_the_patient_is_optional(tenovi, gateway):
    body = tenovi.activate(patient=None)
    assert body["patient"] is None
    assert body["patient_id"] == body["patient_phone_number"] == ""  # strings, not x-nullable


def test_neither_hardware_nor_fulfillment_request_is_a_bad_request(tenovi):
    response = tenovi.post("hwi/hwi-devices/", {"device": {"name": "Tenovi Scale"}})
    assert response.status_code == 400
    assert "fulfillment_request" in response.json()["device"]["hardware_uuid"][0]


def test_a_body_that_is_not_an_object_is_a_bad_request(tenovi):
    response = tenovi.post("hwi/hwi-devices/", [1, 2])
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_a_second_cuff_on_the_same_gateway_is_refused(tenovi, gateway):
    first = tenovi.activate()
    response = tenovi.post(
        "hwi/hwi-devices/", {"device": {"name": "Omron BPM", "hardware_uuid": GATEWAY}}
    )
    assert response.status_code == 400
    assert first["id"] in response.json()["detail"]


def test_changing_a_patients_name_through_one_device_changes_it_for_all(tenovi, gateway):
    one = tenovi.activate(patient={"external_id": "P-7", "name": "Old Name"})
    tenovi.activate(name="Tenovi Scale", patient={"external_id": "P-7"})
    tenovi.activate(
        name="Tenovi Pulse Ox",
        patient={"external_id": "P-7", "name": "New Name", "phone_number": "555-0100"},
    )
    again = tenovi.get(f"hwi/hwi-devices/{one['id']}/").json()
    assert again["patient"]["name"] == "New Name"
    assert again["patient_phone_number"] == "555-0100"
    assert Patient.objects.get().name == "New Name"


def test_root_patient_id_and_phone_are_read_when_no_patient_object_is_sent(tenovi, gateway):
    body = tenovi.activate(patient=None, patient_id="P-42", patient_phone_number="555-0142")
    assert body["patient_id"] == "P-42"
    assert body["patient"]["phone_number"] == "555-0142"


def test_a_second_request_of_one_type_to_one_address_is_flagged(tenovi):
    first = tenovi.activate(hardware_uuid=None, fulfillment_request=SHIPPING)
    other_type = tenovi.activate(
        name="Tenovi Scale", hardware_uuid=None, fulfillment_request=SHIPPING
    )
    second = tenovi.activate(hardware_uuid=None, patient="P-2", fulfillment_request=SHIPPING)

    def flagged(hwi):
        body = tenovi.get(f"hwi/hwi-devices/{hwi['id']}/").json()
        return body["device"]["fulfillment_request"]["duplicate_device_at_address"]

    assert (flagged(first), flagged(second), flagged(other_type)) == (True, True, False)
    tenovi.delete(f"hwi/hwi-devices/{second['id']}/")  # its order cancelled: no longer a duplicate
    assert flagged(first) is False
