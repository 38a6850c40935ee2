"""Fulfillment: place, get, list, cancel, update, as the document writes them."""

import copy

import pytest

# The document's example order, with its Python syntax errors corrected.
EXAMPLE_ORDER = {
    "order_requested_shipping_service": "standard",
    "order_notes_from_buyer": "Please send ASAP",
    "recipient_first_name": "John",
    "recipient_last_name": "Doe",
    "recipient_phone": "5551234567",
    "recipient_email": "jdoe@gmail.com",
    "recipient_company": "",
    "address1": "30 rockefeller center",
    "address2": "apt 5",
    "address3": "",
    "city": "New York",
    "state": "NY",
    "postal_code": "10041",
    "country_code": "US",
    "devices": [
        {"item_sku": "PY-802-LTE", "quantity": "2"},
        {"item_sku": "PY-300-LTE", "quantity": "1"},
    ],
    "require_signature": "no",
    "patient_identifier": "patientid123",
    "practice_identifier": "practiceid123",
    "billing_info": {
        "name": "ABC Company Health",
        "country": "US",
        "street1": "10 Rockefeller Plaza",
        "state": "NY",
        "postal_code": "10112",
        "city": "New York",
    },
    "inserts": ["Test-Insert-1", "Test-Insert-2"],
}

ORDER_FIELDS = [
    "address3", "last_name_recipient", "email_recipient", "devices", "first_name_recipient",
    "order_notes_from_buyer", "phone_recipient", "state", "postal_code", "date_placed", "city",
    "require_signature", "confirmation", "order_requested_shipping_service", "order_number",
    "company_recipient", "country_code", "address1", "patient_id", "practice_id", "address2",
    "date_order_processed", "order_status", "ship_date", "carrier_code", "service_code",
    "tracking_number",
]  # fmt: skip

REQUIRED = [
    "recipient_first_name", "recipient_last_name", "recipient_phone", "recipient_email",
    "address1", "city", "state", "postal_code", "country_code", "devices", "billing_info",
]  # fmt: skip


@pytest.fixture
def placed(pylo):
    response = pylo.post("/orders", EXAMPLE_ORDER)
    assert response.status_code == 200, response.content
    return response.json()["order_number"]


def test_placing_the_documents_example_order_answers_ok_and_a_number(pylo):
    response = pylo.post("/orders", EXAMPLE_ORDER)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "OK"
    assert len(body["order_number"]) == 36


def test_an_order_reads_back_with_every_documented_field(pylo, placed):
    order = pylo.get(f"/orders?number={placed}").json()
    assert list(order) == ORDER_FIELDS
    assert order["order_number"] == placed
    assert order["order_status"] == "awaiting_shipment"
    assert order["devices"] == [
        {"sku": "PY-802-LTE", "quantity": "2", "imeis": []},
        {"sku": "PY-300-LTE", "quantity": "1", "imeis": []},
    ]
    assert order["first_name_recipient"] == "John"
    assert order["address2"] == "apt 5"
    assert order["patient_id"] == "patientid123"
    assert order["require_signature"] == "no"
    assert order["confirmation"] == "none"
    assert order["order_requested_shipping_service"] == "standard"
    assert order["ship_date"] == ""
    assert len(order["date_placed"]) == len("2021-04-20 05:57:22")


def test_the_documents_curl_without_content_type_still_places_an_order(client, alice, make_key):
    import json

    key = make_key(alice, "pylo")
    response = client.post(
        "/pylo/orders",
        json.dumps(EXAMPLE_ORDER),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_API_KEY=key,
    )
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("field", REQUIRED)
def test_an_order_without_a_required_field_is_refused(pylo, field):
    from pulsebridge.fulfillment.models import Order

    body = copy.deepcopy(EXAMPLE_ORDER)
    del body[field]
    response = pylo.post("/orders", body)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"devices": []}, "devices"),
        ({"devices": [{"item_sku": "PY-999", "quantity": "1"}]}, "devices.0.item_sku"),
        ({"devices": [{"item_sku": "PY-802-LTE", "quantity": "zero"}]}, "devices.0.quantity"),
        # The field table says string: a JSON number is refused, not turned into one.
        ({"devices": [{"item_sku": "PY-802-LTE", "quantity": 2}]}, "devices.0.quantity"),
        ({"order_requested_shipping_service": "ups"}, "order_requested_shipping_service"),
        ({"require_signature": "maybe"}, "require_signature"),
        ({"country_code": "USA"}, "country_code"),
        ({"recipient_email": "not-an-email"}, "recipient_email"),
        ({"billing_info": {"name": "ABC"}}, "billing_info.street1"),
        ({"inserts": "Test-Insert-1"}, "inserts"),
    ],
)
def test_an_order_with_a_bad_value_is_refused_naming_the_field(pylo, change, field):
    body = {**copy.deepcopy(EXAMPLE_ORDER), **change}
    response = pylo.post("/orders", body)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert any(key.startswith(field) for key in errors), errors


def test_orders_are_listed_with_count_and_cursor(pylo, placed):
    second = pylo.post("/orders", EXAMPLE_ORDER).json()["order_number"]
    body = pylo.get("/orders").json()
    assert set(body) == {"count", "orders", "page_info"}
    assert [o["order_number"] for o in body["orders"]] == [placed, second]
    assert body["count"] == 2
    assert body["page_info"]["cursor_token"] is None


def test_an_order_awaiting_shipment_can_be_cancelled(pylo, placed):
    response = pylo.put(f"/orders/{placed}/cancel")
    assert response.status_code == 200
    assert response.json() == {"status": "OK", "cancelled order number": placed}
    assert pylo.get(f"/orders?number={placed}").json()["order_status"] == "cancelled"
    again = pylo.put(f"/orders/{placed}/cancel")
    assert again.status_code == 400


def test_a_shipped_order_cannot_be_cancelled(pylo, placed):
    from pulsebridge.fulfillment.models import Order
    from pulsebridge.fulfillment.services import ship_order

    ship_order(
        Order.objects.get(number=placed),
        ["356000000000101", "356000000000102", "356000000000103"],
        carrier="ups_walleted",
        tracking="1Zabcdefg",
    )
    response = pylo.put(f"/orders/{placed}/cancel")
    assert response.status_code == 400
    assert "shipped" in response.json()["message"]
    order = pylo.get(f"/orders?number={placed}").json()
    assert order["order_status"] == "shipped"
    assert order["tracking_number"] == "1Zabcdefg"
    assert order["carrier_code"] == "ups_walleted"
    assert len(order["ship_date"]) == 10
    assert sorted(i for d in order["devices"] for i in d["imeis"]) == [
        "356000000000101",
        "356000000000102",
        "356000000000103",
    ]
    devices = pylo.get("/devices").json()["devices"]
    assert {d["order_number"] for d in devices} == {placed}
    assert {d["patient_id"] for d in devices} == {"patientid123"}


def test_an_order_can_be_given_another_patient_and_practice(pylo, placed):
    response = pylo.patch(
        "/orders", {"order_number": placed, "patient_id": "p-9", "practice_id": "pr-9"}
    )
    assert response.status_code == 200
    assert response.json() == {"status": "OK", "updated order number": placed}
    order = pylo.get(f"/orders?number={placed}").json()
    assert (order["patient_id"], order["practice_id"]) == ("p-9", "pr-9")


def test_an_order_can_be_updated_with_put_as_the_documents_python_sample_does(pylo, placed):
    response = pylo.put("/orders", {"order_number": placed, "patient_id": "p-7"})
    assert response.status_code == 200
    assert response.json() == {"status": "OK", "updated order number": placed}
    assert pylo.get(f"/orders?number={placed}").json()["patient_id"] == "p-7"


def test_an_update_without_an_order_number_is_refused(pylo):
    response = pylo.patch("/orders", {"patient_id": "p-9"})
    assert response.status_code == 400
    assert "order_number" in response.json()["errors"]


def test_charlie_cannot_see_cancel_or_update_alices_order(charlie_pylo, placed):
    assert charlie_pylo.get(f"/orders?number={placed}").status_code == 404
    assert charlie_pylo.get("/orders").json()["orders"] == []
    assert charlie_pylo.put(f"/orders/{placed}/cancel").status_code == 404
    assert (
        charlie_pylo.patch("/orders", {"order_number": placed, "patient_id": "x"}).status_code
        == 404
    )
