from __future__ import annotations

import uuid

from django.db import models

from pulsebridge.core.models import Company, CompanyScopedManager, CompanyScopedQuerySet


class Kind(models.TextChoices):
    BLOOD_PRESSURE = "blood_pressure"
    WEIGHT = "weight"
    GLUCOSE = "glucose"
    PULSE_OXIMETRY = "pulse_oximetry"
    TEMPERATURE = "temperature"
    PEAK_FLOW = "peak_flow"
    PILLBOX = "pillbox"
    GATEWAY = "gateway"
    ASSET_TRACKER = "asset_tracker"


MEASUREMENT_KINDS = [
    Kind.BLOOD_PRESSURE,
    Kind.WEIGHT,
    Kind.GLUCOSE,
    Kind.PULSE_OXIMETRY,
    Kind.TEMPERATURE,
    Kind.PEAK_FLOW,
    Kind.PILLBOX,
]


class DeviceModel(models.Model):
    """A catalogue entry: what can be ordered, activated and measured."""

    class Connectivity(models.TextChoices):
        CELLULAR = "cellular"
        GATEWAY = "gateway"
        TRACKER = "tracker"

    sku = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    connectivity = models.CharField(max_length=16, choices=Connectivity.choices)
    sensor_code = models.CharField(max_length=8, blank=True, default="")
    pylo_device_type = models.CharField(max_length=100)

    class Meta:
        ordering = ["sku"]

    def __str__(self) -> str:
        return self.sku


class Patient(models.Model):
    """The company's person being monitored. ``external_id`` is the company's own identifier
    (Pylo ``patient_id``, Tenovi ``external_id``, Hayylo client ``id``)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="patients")
    external_id = models.CharField(max_length=200)
    name = models.CharField(max_length=200, blank=True, default="")
    phone_number = models.CharField(max_length=50, blank=True, default="")
    email = models.CharField(max_length=254, blank=True, default="")
    physician = models.CharField(max_length=200, blank=True, default="")
    clinic_name = models.CharField(max_length=200, blank=True, default="")
    care_manager = models.CharField(max_length=200, blank=True, default="")
    sms_opt_in = models.BooleanField(default=False)
    practice_id = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CompanyScopedManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["company", "external_id"], name="patient_company_external_id_uniq"
            )
        ]

    def __str__(self) -> str:
        return self.external_id


class DeviceQuerySet(CompanyScopedQuerySet):
    def with_wire_relations(self) -> DeviceQuerySet:
        return self.select_related("model", "patient", "order")


class Device(models.Model):
    """One physical unit."""

    class BillingStatus(models.TextChoices):
        PREACTIVE = "preactive"
        ACTIVE = "active"
        SUSPENDED = "suspended"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="devices")
    model = models.ForeignKey(DeviceModel, on_delete=models.PROTECT, related_name="devices")
    serial = models.CharField(max_length=64, help_text="The device id (serial number).")
    imei = models.CharField(max_length=20, null=True, blank=True, unique=True)
    sim_iccid = models.CharField(max_length=22, blank=True, default="")
    mac = models.CharField(max_length=17, null=True, blank=True, unique=True)
    gateway = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="sensors"
    )
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.SET_NULL, related_name="devices"
    )
    practice_id = models.CharField(max_length=200, blank=True, default="")
    tenant_id = models.CharField(max_length=200, blank=True, default="")
    billing_status = models.CharField(
        max_length=16, choices=BillingStatus.choices, default=BillingStatus.PREACTIVE
    )
    first_measurement_at = models.DateTimeField(null=True, blank=True)
    last_measurement_at = models.DateTimeField(null=True, blank=True)
    order = models.ForeignKey(
        "fulfillment.Order",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="devices",
    )
    fault = models.BooleanField(default=False)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = models.Manager.from_queryset(DeviceQuerySet)()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["serial"], name="device_serial_uniq"),
        ]
        indexes = [models.Index(fields=["company", "created_at", "id"], name="device_company_page")]

    def __str__(self) -> str:
        return self.serial


class Enrolment(models.Model):
    """A device type requested or activated for a patient: the Tenovi "HWI device".

    It exists before any hardware is known (while a shipment is pending), carries the status the
    Tenovi API shows, and is bound to a Device once the hardware is known: the cellular unit
    itself, or for a gateway-connected type the sensor Device paired with the company's gateway
    (readings are routed by gateway id + sensor code, see readings.services)."""

    class Status(models.TextChoices):
        PENDING_SHIPMENT = "Pending Shipment"
        DROPSHIP_REQUESTED = "Dropship Requested"
        READY_TO_SHIP = "Ready to Ship"
        ON_HOLD = "On Hold"
        SHIPPED = "Shipped"
        DROPSHIPPED = "Dropshipped"
        DELIVERED = "Delivered"
        RETURNED = "Returned"
        CONNECTED = "Connected"
        REPLACED = "Replaced"
        UNLINKED = "Unlinked"
        CLIENT_ACTION_REQUIRED = "Client Action Required"
        UNKNOWN_GATEWAY_ID = "Unknown Gateway ID"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="enrolments")
    model = models.ForeignKey(DeviceModel, on_delete=models.PROTECT, related_name="enrolments")
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.SET_NULL, related_name="enrolments"
    )
    status = models.CharField(max_length=32, choices=Status.choices)
    hardware_uuid = models.CharField(
        max_length=64,
        null=True,
        blank=True,
        help_text="Gateway id or IMEI: the known unit's own spelling, else as the client gave it.",
    )
    device = models.ForeignKey(
        Device,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="enrolments",
        help_text="The hardware bound now: the cellular unit or the sensor paired with a gateway.",
    )
    gateway = models.ForeignKey(
        Device, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    order = models.ForeignKey(
        "fulfillment.Order",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="enrolments",
        help_text="The fulfilment request that ships this device, if any.",
    )
    sensor_id = models.CharField(max_length=64, blank=True, default="")
    meta_data = models.JSONField(default=dict, blank=True)
    connected_on = models.DateTimeField(null=True, blank=True)
    unlinked_on = models.DateTimeField(null=True, blank=True)
    last_measurement = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)

    objects = CompanyScopedManager()

    class Meta:
        indexes = [
            models.Index(fields=["company", "created_at", "id"], name="enrolment_company_page"),
            models.Index(fields=["company", "hardware_uuid"], name="enrolment_hardware"),
        ]

    def __str__(self) -> str:
        return f"{self.model_id} {self.status}"


class EnrolmentBinding(models.Model):
    """Which hardware an enrolment was bound to, and when: an enrolment keeps its readings
    across a replacement, and a unit re-used for another patient does not bring its old ones."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="bindings")
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="+")
    bound_at = models.DateTimeField()
    unbound_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["device", "bound_at"], name="binding_device_time")]

    def __str__(self) -> str:
        return f"{self.enrolment_id} <- {self.device_id}"


class EnrolmentProperty(models.Model):
    """A key/value property of an HWI device (``measurement_webhook_id`` routes its readings)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="properties")
    key = models.CharField(max_length=100)
    value = models.CharField(max_length=1000, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "key"], name="enrolment_property_key_uniq")
        ]
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


class Replacement(models.Model):
    """A replacement device and/or gateway requested for an HWI device; shipped as an Order.

    When the order ships, the enrolment (and, for a gateway, every enrolment on the old gateway)
    is bound to the new unit and its status becomes Replaced."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="replacements")
    enrolment = models.ForeignKey(
        Enrolment, null=True, on_delete=models.SET_NULL, related_name="replacements"
    )
    replace_device = models.BooleanField(default=False)
    replace_gateway = models.BooleanField(default=False)
    old_hardware_uuid = models.CharField(max_length=64, blank=True, default="")
    new_hardware_uuid = models.CharField(max_length=64, blank=True, default="")
    order = models.OneToOneField(
        "fulfillment.Order", on_delete=models.PROTECT, related_name="replacement"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CompanyScopedManager()

    class Meta:
        indexes = [
            models.Index(fields=["company", "created_at", "id"], name="replacement_company_page")
        ]

    def __str__(self) -> str:
        return f"replacement {self.pk}"
