from __future__ import annotations

import uuid

from django.db import models

from pulsebridge.core.models import Company, CompanyScopedManager
from pulsebridge.lib.encryption import EncryptedTextField
from pulsebridge.lib.ids import uuid7


class EventType(models.TextChoices):
    DEVICE_MEASUREMENT = "DEVICE_MEASUREMENT"
    ORDER_STATUS_CHANGED = "ORDER_STATUS_CHANGED"
    DEVICE_BILLING_STATUS_CHANGED = "DEVICE_BILLING_STATUS_CHANGED"
    # a Tenovi HWI device (enrolment) changed status: Shipped, Delivered, Connected, Replaced...
    ENROLMENT_STATUS_CHANGED = "ENROLMENT_STATUS_CHANGED"
    # a patient's readings broke a threshold or trend rule (alerts app), and it was resolved
    ALERT_RAISED = "ALERT_RAISED"
    ALERT_RESOLVED = "ALERT_RESOLVED"


# Sent only to endpoints that list them: an endpoint that takes "every type" was written against
# a vendor's API, whose receivers know nothing of these events.
OPT_IN_EVENTS = frozenset({EventType.ALERT_RAISED, EventType.ALERT_RESOLVED})


class WebhookEndpoint(models.Model):
    class Format(models.TextChoices):
        PYLO = "pylo"
        TENOVI = "tenovi"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=2000)
    # read back to sign every delivery: encrypted at rest (lib/encryption.py)
    secret = EncryptedTextField(max_length=256, blank=True, default="")
    format = models.CharField(max_length=16, choices=Format.choices, default=Format.PYLO)
    event_types = models.JSONField(default=list, blank=True, help_text="Empty means every type.")
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)
    # Tenovi webhooks: every delivery carries the header ``auth_header: auth_key``; a measurement
    # webhook posts a reading's metrics as one array (``post_as_array``) or one POST each, and
    # receives the readings of devices not routed elsewhere only when ``enabled_by_default``.
    auth_header = models.CharField(max_length=200, blank=True, default="")
    auth_key = EncryptedTextField(max_length=1000, blank=True, default="")
    post_as_array = models.BooleanField(default=False)
    enabled_by_default = models.BooleanField(default=True)

    objects = CompanyScopedManager()

    def __str__(self) -> str:
        return f"{self.format} {self.url}"

    def wants(self, event_type: str) -> bool:
        if event_type in OPT_IN_EVENTS:
            return event_type in self.event_types
        return not self.event_types or event_type in self.event_types


class Event(models.Model):
    """Something that happened, written in the same transaction as the change itself."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    type = models.CharField(max_length=64, choices=EventType.choices)
    created_at = models.DateTimeField()
    subject_id = models.CharField(max_length=64, help_text="Id of the measurement, order, device.")
    data = models.JSONField(default=dict, blank=True)

    objects = CompanyScopedManager()

    def __str__(self) -> str:
        return f"{self.type} {self.subject_id}"


class Delivery(models.Model):
    """The outbox row: one event to one endpoint. The body is rendered once, at creation, so the
    bytes signed are the bytes sent on every attempt and replay."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    webhook_id = models.CharField(
        max_length=64, help_text="Standard Webhooks id: same on every retry."
    )
    body = models.TextField()
    headers = models.JSONField(default=dict, blank=True, help_text="Format-specific extra headers.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()
    # Which claim round holds the lease: a worker reads back exactly the rows it claimed, and a
    # result whose lease was taken over (or reset by a replay) does not overwrite the new state.
    claim_token = models.CharField(max_length=32, blank=True, default="")
    last_error = models.CharField(
        max_length=500, blank=True, default="", help_text="Why the last attempt failed."
    )

    objects = CompanyScopedManager()

    class Meta:
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due"),
            models.Index(fields=["company", "created_at"], name="delivery_company_time"),
            # The worker claims per endpoint (see dispatch._claim_postgresql), so that one endpoint's
            # backlog never has to be scanned to reach another's rows.
            models.Index(
                fields=["endpoint", "status", "next_attempt_at"], name="delivery_endpoint_due"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.webhook_id} -> {self.endpoint_id} ({self.status})"


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True, default="")
    response_excerpt = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%dT%H:%M:%S} {self.status_code or self.error}"


class Alert(models.Model):
    """Raised for the operator when a delivery fails for good."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    delivery = models.ForeignKey(Delivery, null=True, on_delete=models.SET_NULL)
    endpoint = models.ForeignKey(
        WebhookEndpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    message = models.TextField()
    # E-mails are rate-limited per endpoint (a dead receiver would otherwise send one per reading);
    # alerts not e-mailed are still stored and logged, and counted in the next e-mail.
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects = CompanyScopedManager()

    def __str__(self) -> str:
        return self.message[:80]
