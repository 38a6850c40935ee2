"""GET/PUT /devices against the document's field tables and examples."""

DEVICE_FIELDS = {
    "device_imei": str,
    "device_sim": str,
    "device_id": str,
    "device_type": str,
    "patient_id": str,
    "practice_id": str,
    "billing_status": str,
    "first_measurement_timestamp": str,
    "last_measurement_timestamp": str,
    "order_number": str,
}


def test_the_device_list_has_every_documented_field_with_its_type(pylo, alice, add_device):
    add_device(alice, "PY-802-LTE", imei="356000000000001", sim="8901000000000000001")
    body = pylo.get("/devices").json()
    assert set(body) == {"count", "devices", "page_info"}
    assert body["count"] == 1
    device = body["devices"][0]
    assert set(device) == set(DEVICE_FIELDS)
    for name, kind in DEVICE_FIELDS.items():
        assert isinstance(device[name], kind), name
    assert device["device_imei"] == "356000000000001"
    assert device["device_sim"] == "8901000000000000001"
    assert device["device_type"] == "PyloBp"
    assert device["billing_status"] == "preactive"
    assert device["first_measurement_timestamp"] == ""
    assert body["page_info"] == {"cursor_token": None}


def test_a_device_is_found_by_id_or_by_imei(pylo, alice, add_device):
    device = add_device(alice, "PY-300-LTE", imei="356000000000002")
    by_id = pylo.get(f"/devices?id={device.serial}").json()
    by_imei = pylo.get("/devices?imei=356000000000002").json()
    assert by_id == by_imei
    assert by_id["device_type"] == "PyloWt"


def test_naming_a_device_both_ways_is_a_bad_request(pylo, alice, add_device):
    device = add_device(alice)
    response = pylo.get(f"/devices?id={device.serial}&imei={device.imei}")
    assert response.status_code == 400
    assert "exactly one" in response.json()["message"]


def test_an_unknown_device_is_404(pylo):
    response = pylo.get("/devices?imei=000000000000000")
    assert response.status_code == 404
    assert "message" in response.json()


def test_updating_a_device_maps_it_to_a_patient_and_practice(pylo, alice, add_device):
    device = add_device(alice)
    response = pylo.put(
        f"/devices?id={device.serial}",
        {"patient_id": "patient_id123", "practice_id": "practice_id123"},
    )
    assert response.status_code == 200
    assert response.json() == {
        "status": "OK",
        "patient_id": "patient_id123",
        "practice_id": "practice_id123",
    }
    listed = pylo.get(f"/devices?imei={device.imei}").json()
    assert listed["patient_id"] == "patient_id123"
    assert listed["practice_id"] == "practice_id123"


def test_an_update_needs_at_least_one_field(pylo, alice, add_device):
    device = add_device(alice)
    response = pylo.put(f"/devices?imei={device.imei}", {})
    assert response.status_code == 400
    assert "at least one" in response.json()["message"]


def test_an_update_with_a_non_string_patient_id_is_refused(pylo, alice, add_device):
    device = add_device(alice)
    response = pylo.put(f"/devices?imei={device.imei}", {"patient_id": 12})
    assert response.status_code == 400
    assert response.json()["errors"]["patient_id"]
    device.refresh_from_db()
    assert device.patient is None


def test_charlie_sees_none_of_alices_devices(charlie_pylo, alice, add_device):
    device = add_device(alice)
    assert charlie_pylo.get("/devices").json()["devices"] == []
    assert charlie_pylo.get(f"/devices?imei={device.imei}").status_code == 404
    assert charlie_pylo.put(f"/devices?imei={device.imei}", {"patient_id": "x"}).status_code == 404


def test_devices_page_by_a_thousand_with_a_cursor(pylo, alice, add_device):
    from pulsebridge.devices.models import Device, DeviceModel

    model = DeviceModel.objects.get(sku="PY-802-LTE")
    Device.objects.bulk_create(
        [Device(company=alice, model=model, serial=f"SN{i:05d}") for i in range(1005)]
    )
    first = pylo.get("/devices").json()
    assert first["count"] == 1000
    token = first["page_info"]["cursor_token"]
    assert token
    second = pylo.get(f"/devices?cursor={token}").json()
    assert second["count"] == 5
    assert second["page_info"]["cursor_token"] is None
    same = pylo.get(f"/devices?cursor_token={token}").json()
    assert same == second
    seen = {d["device_id"] for d in first["devices"] + second["devices"]}
    assert len(seen) == 1005


def test_bob_with_his_own_key_sees_the_same_devices_as_alice(
    client, alice, bob, make_key, add_device
):
    add_device(alice)
    alices = client.get("/pylo/devices", HTTP_X_API_KEY=make_key(alice, "pylo")).json()
    bobs = client.get(
        "/pylo/devices", HTTP_X_API_KEY=make_key(bob.membership.company, "pylo")
    ).json()
    assert alices == bobs
    assert alices["count"] == 1
