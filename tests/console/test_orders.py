import pytest

from pulsebridge.core.models import AuditEntry
from pulsebridge.fulfillment.models import Order
from pulsebridge.fulfillment.services import LineRequest, OrderRequest, place_order


@pytest.fixture
def order(alice):
    return place_order(
        alice,
        OrderRequest(
            lines=[LineRequest("PY-802-LTE", 1), LineRequest("PY-300-LTE", 1)], patient_id="P-3"
        ),
    )


def column_of(board: str, number: str) -> str:
    at = board.index(f'id="order-{number}"')
    return board[:at].rsplit('data-status="', 1)[1].split('"', 1)[0]


def test_the_board_shows_the_order_awaiting_shipment(operator, as_user, order):
    board = as_user(operator).get("/orders/").content.decode()
    assert column_of(board, order.number) == "awaiting_shipment"
    assert "1 \u00d7 PY-802-LTE" in board


def test_shipping_moves_the_order_and_is_audited(operator, as_user, alice, order):
    client = as_user(operator)
    board = client.post(
        f"/orders/{order.pk}/ship",
        {"imeis": "359000000000001\n359000000000002", "carrier": "usps", "tracking": "9400"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert column_of(board, order.number) == "shipped"
    assert f"Order {order.number} shipped." in board
    order.refresh_from_db()
    assert (order.status, order.carrier_code, order.tracking_number) == ("shipped", "usps", "9400")
    entry = AuditEntry.objects.get(action="order.ship")
    assert (entry.target, entry.patient, entry.actor) == (order.number, "P-3", "otto")
    client.post(f"/orders/{order.pk}/deliver")
    order.refresh_from_db()
    assert order.status == "delivered"
    client.post(f"/orders/{order.pk}/return")
    order.refresh_from_db()
    assert order.status == "returned"


def test_a_ship_the_domain_refuses_says_why_and_changes_nothing(operator, as_user, order):
    response = as_user(operator).post(
        f"/orders/{order.pk}/ship", {"imeis": "359000000000001"}, follow=True
    )
    assert response.status_code == 200
    assert "the order has 2 devices; 1 IMEIs were given" in response.content.decode()
    order.refresh_from_db()
    assert order.status == "awaiting_shipment"
    assert not AuditEntry.objects.filter(action="order.ship").exists()


def test_cancelling_an_order(operator, as_user, order):
    as_user(operator).post(f"/orders/{order.pk}/cancel")
    assert Order.objects.get(pk=order.pk).status == "cancelled"
    assert AuditEntry.objects.filter(action="order.cancel", target=order.number).exists()


def test_a_clinician_sees_the_board_but_may_not_ship(clinician, as_user, order):
    client = as_user(clinician)
    assert "Ship " not in client.get("/orders/").content.decode()
    assert client.post(f"/orders/{order.pk}/ship", {"imeis": "1"}).status_code == 403
