"""``hwi/hwi-bulk-orders/``: orders of devices as such, to the client's own address (placed
through the Pylo API or by an operator), with their contents and, once shipped, their manifest.
They are the core's Orders; fulfilment requests and replacements have endpoints of their own."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.response import Response

from pulsebridge.fulfillment.models import Order, OrderLine

from . import schema, wire
from .base import TenoviView, flag, parse_uuid, search_term

FULFILLED = [Order.Status.SHIPPED, Order.Status.DELIVERED, Order.Status.RETURNED]


def bulk_orders(company) -> QuerySet:
    return (
        Order.objects.for_company(company)
        .filter(kind=Order.Kind.BULK)
        .prefetch_related(Prefetch("lines", OrderLine.objects.select_related("model")))
        .order_by("placed_at", "id")
    )


class BulkOrdersView(TenoviView):
    """Always paginated, as the Swagger declares; ``fulfilled`` true or false."""

    @extend_schema(**schema.operation("hwi-bulk-orders_list"))
    def get(self, request, client_domain):
        rows = bulk_orders(self.company)
        fulfilled = flag(request.query_params, "fulfilled")
        if fulfilled is not None:
            done = Q(status__in=FULFILLED)
            rows = rows.filter(done) if fulfilled else rows.exclude(done)
        term = search_term(request.query_params)
        if term:
            rows = rows.filter(
                Q(number__icontains=term)
                | Q(shipping_name__icontains=term)
                | Q(recipient_last_name__icontains=term)
                | Q(tracking_number__icontains=term)
            )
        return self.paged(rows, wire.bulk_order)


class BulkOrderView(TenoviView):
    @extend_schema(**schema.operation("hwi-bulk-orders_read"))
    def get(self, request, client_domain, id):
        order = (
            bulk_orders(self.company).filter(pk=parse_uuid(id)).first() if parse_uuid(id) else None
        )
        if order is None:
            raise exceptions.NotFound()
        return Response(wire.bulk_order(order))
