"""``pulsebridge order ship|deliver|return|cancel|status|list``: the operator's side of
fulfilment."""

from __future__ import annotations

from django.core.management.base import CommandError

from pulsebridge.core.services import company_by_code as get_company
from pulsebridge.fulfillment.models import Order
from pulsebridge.fulfillment.services import (
    cancel_order,
    deliver_order,
    return_order,
    set_stage,
    ship_order,
)
from pulsebridge.lib.commands import SubcommandCommand, add_json_flag, iso
from pulsebridge.operations.output import order_json

# The operator's words for an order's stage while it awaits shipment.
STAGES = {
    "requested": Order.Stage.REQUESTED,
    "ready": Order.Stage.READY_TO_SHIP,
    "on-hold": Order.Stage.ON_HOLD,
    "needs-action": Order.Stage.CLIENT_ACTION_REQUIRED,
}


def get_order(number: str) -> Order:
    order = Order.objects.select_related("company", "patient").filter(number=number.strip()).first()
    if order is None:
        raise CommandError(f"no order with number {number!r}")
    return order


class Command(SubcommandCommand):
    help = "Ship, deliver, return, cancel and list orders."

    def add_subcommands(self, subparsers) -> None:
        ship = subparsers.add_parser(
            "ship", help="attach the IMEIs shipped and mark the order shipped"
        )
        ship.add_argument("number", metavar="ORDER_NUMBER")
        ship.add_argument(
            "--imei",
            action="append",
            default=[],
            dest="imeis",
            metavar="IMEI",
            help="one per cellular device shipped; repeat the flag",
        )
        ship.add_argument(
            "--gateway",
            action="append",
            default=[],
            dest="gateways",
            metavar="ID",
            help="the 12-hex-digit id of each gateway shipped; repeat the flag",
        )
        ship.add_argument("--carrier", default="", metavar="CODE", help="e.g. usps, ups, fedex")
        ship.add_argument("--tracking", default="", metavar="NUMBER")
        add_json_flag(ship)

        for name, text in (
            ("deliver", "mark a shipped order delivered"),
            ("return", "mark a shipped or delivered order returned"),
            ("cancel", "cancel an order still awaiting shipment"),
        ):
            sub = subparsers.add_parser(name, help=text)
            sub.add_argument("number", metavar="ORDER_NUMBER")
            add_json_flag(sub)

        stage = subparsers.add_parser(
            "status",
            help="say where an order awaiting shipment stands (Tenovi: Ready to Ship, On Hold, "
            "Client Action Required)",
        )
        stage.add_argument("number", metavar="ORDER_NUMBER")
        stage.add_argument("stage", choices=list(STAGES), metavar="STATUS", help=", ".join(STAGES))
        add_json_flag(stage)

        listing = subparsers.add_parser("list", help="list a company's orders")
        listing.add_argument("--company", required=True, metavar="CODE")
        listing.add_argument("--status", choices=Order.Status.values)
        add_json_flag(listing)

    def _done(self, order: Order, json: bool, verb: str) -> None:
        order = Order.objects.select_related("company", "patient").get(pk=order.pk)
        if json:
            self.emit_json(order_json(order))
        else:
            self.stdout.write(f"order {order.number} {verb}: {order.status}")

    def handle_ship(self, *, number, imeis, gateways, carrier, tracking, json, **_):
        order = get_order(number)
        lines = list(order.lines.select_related("model"))
        cellular = sum(
            ln.quantity
            for ln in lines
            if ln.model.connectivity == "cellular" and ln.model.kind != "gateway"
        )
        boxes = sum(ln.quantity for ln in lines if ln.model.kind == "gateway")
        if cellular and not imeis:
            raise CommandError(
                f"the order has {cellular} cellular device(s): give --imei IMEI for each"
            )
        if boxes and not gateways:
            raise CommandError(f"the order has {boxes} gateway(s): give --gateway ID for each")
        order = ship_order(
            order,
            imeis,
            gateways=gateways,
            carrier=carrier.strip(),
            tracking=tracking.strip(),
        )
        self._done(order, json, "shipped")

    def handle_deliver(self, *, number, json, **_):
        self._done(deliver_order(get_order(number)), json, "delivered")

    def handle_return(self, *, number, json, **_):
        self._done(return_order(get_order(number)), json, "returned")

    def handle_cancel(self, *, number, json, **_):
        self._done(cancel_order(get_order(number)), json, "cancelled")

    def handle_status(self, *, number, stage, json, **_):
        self._done(set_stage(get_order(number), STAGES[stage]), json, f"now {stage}")

    def handle_list(self, *, company, status, json, **_):
        company = get_company(company)
        orders = Order.objects.for_company(company).select_related("company", "patient")
        if status:
            orders = orders.filter(status=status)
        orders = list(orders.order_by("placed_at", "id"))
        if json:
            self.emit_json(
                {
                    "company": company.code,
                    "count": len(orders),
                    "orders": [order_json(o) for o in orders],
                }
            )
            return
        if not orders:
            self.stdout.write(f"{company.code} has no orders")
            return
        for o in orders:
            lines = ", ".join(
                f"{ln.quantity} x {ln.model.sku}" for ln in o.lines.select_related("model")
            )
            self.stdout.write(f"{o.number}  {o.status:<17} {iso(o.placed_at)}  {lines}")
