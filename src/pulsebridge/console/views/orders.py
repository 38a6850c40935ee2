"""Screen 4: orders on a board by status, Pylo orders and Tenovi fulfilment requests together,
with the operator's actions: the same ``fulfillment.services`` functions as ``pulsebridge order
ship|deliver|return|cancel``."""

from __future__ import annotations

import re

from django.db.models import Count, Exists, OuterRef, Prefetch
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from pulsebridge.devices.models import Enrolment, Kind, Replacement
from pulsebridge.fulfillment.models import Order, OrderLine
from pulsebridge.fulfillment.services import cancel_order, deliver_order, return_order, ship_order

from ..access import screen
from ..actions import act
from .common import back, is_htmx, uuid_or_404

COLUMNS = [
    (Order.Status.AWAITING_SHIPMENT, "Awaiting shipment"),
    (Order.Status.SHIPPED, "Shipped"),
    (Order.Status.DELIVERED, "Delivered"),
    (Order.Status.CANCELLED, "Cancelled"),
    (Order.Status.RETURNED, "Returned"),
]
PER_COLUMN = 50
SEPARATORS = re.compile(r"[\s,;]+")


def _orders(company):
    return (
        Order.objects.for_company(company)
        .select_related("patient")
        .prefetch_related(Prefetch("lines", OrderLine.objects.select_related("model")))
        .annotate(
            from_tenovi=Exists(Enrolment.objects.filter(order=OuterRef("pk")))
            | Exists(Replacement.objects.filter(order=OuterRef("pk")))
        )
    )


def _card(order: Order) -> dict:
    lines = list(order.lines.all())
    return {
        "order": order,
        "lines": lines,
        "cellular": sum(
            ln.quantity
            for ln in lines
            if ln.model.connectivity == "cellular" and ln.model.kind != Kind.GATEWAY
        ),
        "gateways": sum(ln.quantity for ln in lines if ln.model.kind == Kind.GATEWAY),
    }


def _board(request) -> dict:
    company = request.seat.company
    totals = dict(
        Order.objects.for_company(company).values_list("status").annotate(n=Count("pk")).order_by()
    )
    columns = []
    for status, title in COLUMNS:
        orders = _orders(company).filter(status=status).order_by("-placed_at", "-pk")[:PER_COLUMN]
        columns.append(
            {
                "status": status,
                "title": title,
                "total": totals.get(status, 0),
                "cards": [_card(o) for o in orders],
            }
        )
    return {"columns": columns, "may_change": request.seat.may_change("orders")}


@screen("orders")
def orders(request):
    template = "console/_board.html" if is_htmx(request) else "console/orders.html"
    return render(request, template, _board(request))


def _order(request, order_id) -> Order:
    return get_object_or_404(
        Order.objects.for_company(request.seat.company).select_related("company", "patient"),
        pk=uuid_or_404(order_id),
    )


def _answer(request):
    if is_htmx(request):
        return render(request, "console/_board_action.html", _board(request))
    return back(request, reverse("console:orders"))


def _patient(order: Order) -> str:
    return order.patient.external_id if order.patient else ""


@require_POST
@screen("orders", change=True)
def ship(request, order_id):
    order = _order(request, order_id)
    imeis = [i for i in SEPARATORS.split(request.POST.get("imeis", "")) if i][:1000]
    gateways = [g for g in SEPARATORS.split(request.POST.get("gateways", "")) if g][:100]
    carrier = request.POST.get("carrier", "").strip()[:64]
    tracking = request.POST.get("tracking", "").strip()[:128]
    act(
        request,
        "order.ship",
        lambda: ship_order(order, imeis, gateways=gateways, carrier=carrier, tracking=tracking),
        target=order.number,
        patient=_patient(order),
        detail={"imeis": imeis, "gateways": gateways, "carrier": carrier, "tracking": tracking},
        success=f"Order {order.number} shipped.",
    )
    return _answer(request)


def _transition(action: str, service, verb: str):
    @require_POST
    @screen("orders", change=True)
    def view(request, order_id):
        order = _order(request, order_id)
        act(
            request,
            action,
            lambda: service(order),
            target=order.number,
            patient=_patient(order),
            success=f"Order {order.number} {verb}.",
        )
        return _answer(request)

    view.__name__ = action.replace(".", "_")
    return view


deliver = _transition("order.deliver", deliver_order, "delivered")
return_ = _transition("order.return", return_order, "returned")
cancel = _transition("order.cancel", cancel_order, "cancelled")
