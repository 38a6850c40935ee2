import pytest
from django.core.management.base import CommandError

from pulsebridge.devices.models import Device
from pulsebridge.fulfillment.models import Order
from pulsebridge.fulfillment.services import (
    LineRequest,
    OrderRequest,
    cancel_order,
    place_order,
)

IMEI_1 = "359423381882621"
IMEI_2 = "359423381882639"


@pytest.fixture
def order(alice):
    return place_order(
        alice,
        OrderRequest(
            lines=[LineRequest("PY-802-LTE", 1), LineRequest("PY-300-LTE", 1)],
            patient_id="P-1",
            practice_id="practice-9",
        ),
    )


def ship(run_json, order, *imeis, **flags):
    args = ["order", "ship", order.number]
    for imei in imeis:
        args += ["--imei", imei]
    for name, value in flags.items():
        args += [f"--{name}", value]
    return run_json(*args)


def test_shipping_attaches_the_imeis_to_the_orders_patient(run_json, order):
    shipped = ship(run_json, order, IMEI_1, IMEI_2, carrier="usps", tracking="9400111")
    assert shipped["status"] == "shipped"
    assert (shipped["carrier"], shipped["tracking"]) == ("usps", "9400111")
    assert shipped["shipped_at"].endswith("Z")
    assert [line["imeis"] for line in shipped["lines"]] == [[IMEI_1], [IMEI_2]]
    device = Device.objects.get(imei=IMEI_1)
    assert device.company == order.company
    assert device.order == order
    assert device.patient.external_id == "P-1"
    assert device.practice_id == "practice-9"


def test_shipping_uses_a_device_already_in_inventory_for_its_model(run_json, order, add_device):
    scale = add_device(order.company, "PY-300-LTE", imei=IMEI_2)
    shipped = ship(run_json, order, IMEI_2, IMEI_1)
    assert [line["imeis"] for line in shipped["lines"]] == [[IMEI_1], [IMEI_2]]
    scale.refresh_from_db()
    assert scale.order == order


def test_it_refuses_to_ship_a_cancelled_order(run, order):
    cancel_order(order)
    with pytest.raises(CommandError, match="cancelled; only an order awaiting shipment"):
        run("order", "ship", order.number, "--imei", IMEI_1, "--imei", IMEI_2)
    assert not Device.objects.exists()


def test_it_refuses_the_wrong_number_of_imeis(run, order):
    with pytest.raises(CommandError, match="has 2 devices; 1 IMEIs were given"):
        run("order", "ship", order.number, "--imei", IMEI_1)


def test_it_refuses_a_bad_imei_and_changes_nothing(run, order):
    with pytest.raises(CommandError, match="must be 15 digits"):
        run("order", "ship", order.number, "--imei", IMEI_1, "--imei", "12345")
    order.refresh_from_db()
    assert order.status == "awaiting_shipment"
    assert not Device.objects.exists()


def test_it_refuses_an_imei_of_another_company(run, order, charlie, add_device):
    add_device(charlie, "PY-802-LTE", imei=IMEI_1)
    with pytest.raises(CommandError, match="belongs to another company"):
        run("order", "ship", order.number, "--imei", IMEI_1, "--imei", IMEI_2)


def test_it_refuses_an_unknown_order(run):
    with pytest.raises(CommandError, match="no order with number 'nope'"):
        run("order", "ship", "nope", "--imei", IMEI_1)


def test_it_needs_at_least_one_imei(run, order):
    with pytest.raises(CommandError, match="--imei"):
        run("order", "ship", order.number)


def test_an_order_goes_from_shipped_to_delivered_to_returned(run, run_json, order):
    ship(run_json, order, IMEI_1, IMEI_2)
    assert run_json("order", "deliver", order.number)["status"] == "delivered"
    assert "returned" in run("order", "return", order.number)
    order.refresh_from_db()
    assert order.status == "returned"
    assert order.delivered_at is not None
    assert order.returned_at is not None


def test_it_refuses_to_deliver_an_order_not_shipped(run, order):
    with pytest.raises(CommandError, match="only a shipped order can be delivered"):
        run("order", "deliver", order.number)


def test_it_refuses_to_return_an_order_not_shipped(run, order):
    with pytest.raises(CommandError, match="only a shipped or delivered order can be returned"):
        run("order", "return", order.number)


def test_it_cancels_an_order_awaiting_shipment_but_not_a_shipped_one(run, run_json, order, alice):
    assert run_json("order", "cancel", order.number)["status"] == "cancelled"
    other = place_order(alice, OrderRequest(lines=[LineRequest("PY-802-LTE", 1)]))
    ship(run_json, other, IMEI_1)
    with pytest.raises(CommandError, match="only an order awaiting shipment can be cancelled"):
        run("order", "cancel", other.number)


def test_it_lists_only_the_companys_orders(run, run_json, order, charlie):
    theirs = place_order(charlie, OrderRequest(lines=[LineRequest("PY-802-LTE", 1)]))
    listed = run_json("order", "list", "--company", "alice-care")
    assert [o["number"] for o in listed["orders"]] == [order.number]
    assert listed["orders"][0]["lines"][0] == {"sku": "PY-802-LTE", "quantity": 1, "imeis": []}
    assert theirs.number not in run("order", "list", "--company", "alice-care")


def test_it_lists_orders_of_one_status(run_json, order, alice):
    cancelled = place_order(alice, OrderRequest(lines=[LineRequest("PY-802-LTE", 1)]))
    cancel_order(cancelled)
    listed = run_json("order", "list", "--company", "alice-care", "--status", "cancelled")
    assert [o["number"] for o in listed["orders"]] == [cancelled.number]
    assert Order.objects.count() == 2


def test_the_operator_says_where_an_order_awaiting_shipment_stands(run, run_json, order):
    assert run_json("order", "status", order.number, "on-hold")["stage"] == "on_hold"
    assert run_json("order", "status", order.number, "ready")["stage"] == "ready_to_ship"
    assert run_json("order", "status", order.number, "requested")["stage"] == "requested"
    shipped = ship(run_json, order, IMEI_1, IMEI_2)
    assert shipped["stage"] == "requested"  # a shipped order has no stage
    with pytest.raises(CommandError, match="only an order awaiting shipment"):
        run("order", "status", order.number, "on-hold")
    with pytest.raises(CommandError):
        run("order", "status", order.number, "lost")
