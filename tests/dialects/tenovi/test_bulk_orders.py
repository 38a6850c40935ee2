"""hwi/hwi-bulk-orders/: orders of devices as such (the Pylo API's, an operator's), with their
contents and, once shipped, their manifest; fulfilment requests and replacements are not."""

from pulsebridge.fulfillment.models import Order
from pulsebridge.fulfillment.services import LineRequest, OrderRequest, place_order, ship_order

from .test_activation import SHIPPING

IMEIS = ["359423381882621", "359423381882639"]


def bulk(alice, **fields):
    return place_order(
        alice,
        OrderRequest(
            lines=[LineRequest("PY-802-LTE", 2)],
            recipient_first_name="North",
            recipient_last_name="Clinic",
            address1="1 Road",
            city="Townsville",
            state="CA",
            postal_code="12345",
            notify_emails=["ops@example.com"],
            **fields,
        ),
    )


def test_a_bulk_order_shows_its_contents_and_once_shipped_its_manifest(tenovi, alice):
    order = bulk(alice)
    [pending] = tenovi.get("hwi/hwi-bulk-orders/").json()["results"]
    assert (pending["id"], pending["order_number"]) == (str(order.pk), order.number)
    assert (pending["shipping_name"], pending["shipping_status"]) == ("North Clinic", "RQ")
    assert pending["contents"] == [{"name": "Pylo BP (cellular)", "quantity": 2, "kit_id": 0}]
    assert pending["manifest"] == []
    assert (pending["fulfilled"], pending["shipping_tracking_link"]) == (False, None)
    ship_order(order, IMEIS, carrier="ups", tracking="1Z999")
    shipped = tenovi.get(f"hwi/hwi-bulk-orders/{order.pk}/").json()
    assert (shipped["shipping_status"], shipped["fulfilled"]) == ("SH", True)
    assert shipped["shipping_tracking_link"] == "https://www.ups.com/track?tracknum=1Z999"
    assert shipped["notify_emails"] == "ops@example.com"
    assert shipped["manifest"] == [
        {
            "order_section": "Loose Items",
            "kitted_items": [],
            "loose_items": [{"imei": i, "device_type": "Pylo BP (cellular)"} for i in IMEIS],
        }
    ]


def test_requests_and_replacements_are_not_bulk_orders(tenovi, gateway):
    cuff = tenovi.activate()
    tenovi.activate(name="Tenovi Scale", hardware_uuid=None, fulfillment_request=SHIPPING)
    tenovi.post(
        "hwi/hwi-replacements/",
        {"hwi_device_id": cuff["id"], "device_types": [{"name": "Gateway"}]},
    )
    assert Order.objects.count() == 2
    assert tenovi.get("hwi/hwi-bulk-orders/").json() == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }


def test_bulk_orders_filter_by_fulfilled_and_search(tenovi, alice):
    shipped = ship_order(bulk(alice), IMEIS)
    waiting = bulk(alice)

    def numbers(query):
        return [
            o["order_number"] for o in tenovi.get(f"hwi/hwi-bulk-orders/?{query}").json()["results"]
        ]

    assert numbers("fulfilled=true") == [shipped.number]
    assert numbers("fulfilled=False") == [waiting.number]
    assert numbers(f"search={waiting.number[:8]}") == [waiting.number]
    assert tenovi.get("hwi/hwi-bulk-orders/?fulfilled=perhaps").status_code == 400


def test_an_unknown_or_another_clients_bulk_order_is_404(tenovi, charlie_tenovi, alice):
    order = bulk(alice)
    assert charlie_tenovi.get(f"hwi/hwi-bulk-orders/{order.pk}/").status_code == 404
    assert charlie_tenovi.get("hwi/hwi-bulk-orders/").json()["count"] == 0
    assert tenovi.get("hwi/hwi-bulk-orders/not-an-id/").status_code == 404
