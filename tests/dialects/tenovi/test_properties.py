"""hwi/hwi-devices/{id}/properties/ and {property_id}/."""

from pulsebridge.webhooks.models import WebhookEndpoint


def test_a_property_is_created_listed_read_changed_and_deleted(tenovi, gateway):
    cuff = tenovi.activate()
    base = f"hwi/hwi-devices/{cuff['id']}/properties/"
    created = tenovi.post(base, {"key": "room", "value": "12"})
    assert created.status_code == 201
    prop = created.json()
    assert set(prop) == {"id", "key", "value", "synced", "handle_property"}
    assert (prop["key"], prop["value"], prop["handle_property"]) == ("room", "12", False)
    assert tenovi.get(base).json() == [prop]
    assert tenovi.get(f"{base}{prop['id']}/").json() == prop
    patched = tenovi.patch(f"{base}{prop['id']}/", {"value": "14"}).json()
    assert patched == {**prop, "value": "14"}
    put = tenovi.put(f"{base}{prop['id']}/", {"key": "ward", "value": "B"}).json()
    assert put == {**prop, "key": "ward", "value": "B"}
    assert tenovi.delete(f"{base}{prop['id']}/").status_code == 204
    assert tenovi.get(base).json() == []
    assert tenovi.get(f"{base}{prop['id']}/").status_code == 404


def test_posting_a_key_the_device_has_changes_its_value(tenovi, gateway):
    cuff = tenovi.activate()
    base = f"hwi/hwi-devices/{cuff['id']}/properties/"
    first = tenovi.post(base, {"key": "room", "value": "12"}).json()
    again = tenovi.post(base, {"key": "room", "value": "13"})
    assert again.status_code == 200
    assert again.json() == {**first, "value": "13"}
    assert len(tenovi.get(base).json()) == 1


def test_renaming_a_property_to_a_key_the_device_has_is_refused(tenovi, gateway):
    cuff = tenovi.activate()
    base = f"hwi/hwi-devices/{cuff['id']}/properties/"
    tenovi.post(base, {"key": "room", "value": "12"})
    ward = tenovi.post(base, {"key": "ward", "value": "B"}).json()
    response = tenovi.patch(f"{base}{ward['id']}/", {"key": "room"})
    assert response.status_code == 400
    assert "room" in response.json()["key"][0]


def test_a_property_needs_a_key_and_its_value_may_be_left_out_or_null(tenovi, gateway):
    cuff = tenovi.activate()
    base = f"hwi/hwi-devices/{cuff['id']}/properties/"
    response = tenovi.post(base, {"value": "12"})
    assert response.status_code == 400
    assert response.json() == {"key": ["This field is required."]}
    assert tenovi.post(base, {"key": "room"}).json()["value"] == ""
    assert tenovi.post(base, {"key": "ward", "value": None}).json()["value"] == ""
    assert tenovi.post(base, {"key": None}).json() == {"key": ["This field may not be null."]}


def test_measurement_webhook_id_must_name_one_of_the_clients_webhooks(tenovi, alice, gateway):
    cuff = tenovi.activate()
    base = f"hwi/hwi-devices/{cuff['id']}/properties/"
    response = tenovi.post(
        base, {"key": "measurement_webhook_id", "value": "497f6eca-6276-4993-bfeb-53cbbbba6f08"}
    )
    assert response.status_code == 400
    assert "not the id of one of this client's webhooks" in response.json()["value"][0]
    endpoint = WebhookEndpoint.objects.create(
        company=alice, url="https://example.com/m", format="tenovi"
    )
    ok = tenovi.post(base, {"key": "measurement_webhook_id", "value": str(endpoint.pk)})
    assert ok.status_code == 201
    assert ok.json()["handle_property"] is True
    pylo = WebhookEndpoint.objects.create(company=alice, url="https://example.com/p")
    refused = tenovi.post(base, {"key": "measurement_webhook_id", "value": str(pylo.pk)})
    assert refused.status_code == 400  # a Pylo webhook is not one of its Tenovi webhooks


def test_properties_of_an_unknown_device_are_404(tenovi):
    response = tenovi.get("hwi/hwi-devices/497f6eca-6276-4993-bfeb-53cbbbba6f08/properties/")
    assert response.status_code == 404
