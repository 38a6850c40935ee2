from __future__ import annotations

import uuid
from urllib.parse import quote

from django.db import models

from pulsebridge.core.models import Company, CompanyScopedManager
from pulsebridge.devices.models import DeviceModel, Patient


class Order(models.Model):
    """What is shipped to whom. Pylo orders and Tenovi fulfilment requests are both Orders."""

    class Status(models.TextChoices):
        AWAITING_SHIPMENT = "awaiting_shipment"
        SHIPPED = "shipped"
        DELIVERED = "delivered"
        RETURNED = "returned"
        CANCELLED = "cancelled"

    class Service(models.TextChoices):
        STANDARD = "standard"
        TWO_DAY = "two-day"

    class Kind(models.TextChoices):
        # devices ordered as such, through the Pylo API or by an operator (Tenovi: a bulk order)
        BULK = "bulk"
        # ships the hardware of one HWI device (a Tenovi fulfilment request)
        FULFILLMENT = "fulfillment"
        # a replacement device or gateway for an HWI device
        REPLACEMENT = "replacement"

    class Stage(models.TextChoices):
        """Where an order awaiting shipment stands; set by the operator."""

        REQUESTED = "", "requested"
        READY_TO_SHIP = "ready_to_ship"
        ON_HOLD = "on_hold"
        CLIENT_ACTION_REQUIRED = "client_action_required"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="orders")
    number = models.CharField(max_length=64, unique=True)
    status = models.CharField(
        max_length=32, choices=Status.choices, default=Status.AWAITING_SHIPMENT
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.BULK)
    stage = models.CharField(max_length=32, choices=Stage.choices, blank=True, default="")
    client_will_fulfill = models.BooleanField(default=False)
    requested_service = models.CharField(max_length=16, blank=True, default="")
    notes_from_buyer = models.TextField(blank=True, default="")
    recipient_first_name = models.CharField(max_length=100, blank=True, default="")
    recipient_last_name = models.CharField(max_length=100, blank=True, default="")
    recipient_phone = models.CharField(max_length=50, blank=True, default="")
    recipient_email = models.CharField(max_length=254, blank=True, default="")
    recipient_company = models.CharField(max_length=200, blank=True, default="")
    address1 = models.CharField(max_length=200, blank=True, default="")
    address2 = models.CharField(max_length=200, blank=True, default="")
    address3 = models.CharField(max_length=200, blank=True, default="")
    city = models.CharField(max_length=100, blank=True, default="")
    state = models.CharField(max_length=100, blank=True, default="")
    postal_code = models.CharField(max_length=20, blank=True, default="")
    country_code = models.CharField(max_length=2, blank=True, default="")
    require_signature = models.BooleanField(default=False)
    confirmation = models.CharField(max_length=32, default="none")
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    practice_id = models.CharField(max_length=200, blank=True, default="")
    billing_info = models.JSONField(default=dict, blank=True)
    inserts = models.JSONField(default=list, blank=True)
    notify_emails = models.JSONField(default=list, blank=True)
    # Tenovi fulfilment request fields (a Pylo order leaves them at their defaults)
    shipping_name = models.CharField(max_length=200, blank=True, default="")
    ship_gateway_only = models.BooleanField(default=False)
    shipped_on_behalf_of = models.CharField(max_length=200, blank=True, default="")
    requested_by = models.CharField(max_length=200, blank=True, default="")
    flagged_by_client = models.BooleanField(default=False)
    placed_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    carrier_code = models.CharField(max_length=64, blank=True, default="")
    service_code = models.CharField(max_length=64, blank=True, default="")
    tracking_number = models.CharField(max_length=128, blank=True, default="")

    objects = CompanyScopedManager()

    class Meta:
        indexes = [
            models.Index(fields=["company", "placed_at", "id"], name="order_company_page"),
            # Tenovi's duplicate_device_at_address asks for other requests to one address
            models.Index(fields=["company", "postal_code"], name="order_company_postal_code"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def fulfilled(self) -> bool:
        """It left the warehouse: from here on it can no longer be cancelled."""
        return self.status in (self.Status.SHIPPED, self.Status.DELIVERED, self.Status.RETURNED)

    @property
    def tracking_link(self) -> str:
        """The carrier's tracking page for this shipment; empty until it ships."""
        if not self.tracking_number:
            return ""
        template = TRACKING_LINKS.get(self.carrier_code.strip().lower())
        return template.format(quote(self.tracking_number, safe="")) if template else ""


TRACKING_LINKS = {
    "usps": "https://tools.usps.com/go/TrackConfirmAction?tLabels={}",
    "ups": "https://www.ups.com/track?tracknum={}",
    "fedex": "https://www.fedex.com/fedextrack/?trknbr={}",
    "dhl": "https://www.dhl.com/en/express/tracking.html?AWB={}",
}


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    model = models.ForeignKey(DeviceModel, on_delete=models.PROTECT)
    quantity = models.PositiveIntegerField()
    imeis = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.model_id}"
