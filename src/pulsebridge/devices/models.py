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
    address = models.CharField(max_length=255, blank=True, default="")
    city = models.CharField(max_length=255, blank=True, default="")
    state = models.CharField(max_length=255, blank=True, default="")
    zip_code = models.CharField(max_length=255, blank=True, default="")
    confirm_address = models.BooleanField(
        default=False, help_text="The company vouches for the address (Tenovi confirm_address)."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # When the company's details of the patient last changed (FHIR meta.lastUpdated); set by
    # save() and by each service that changes them with update().
    updated_at = models.DateTimeField(auto_now=True)
    removed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Removed by the company: it serves no device and is not listed, but readings "
        "taken for it keep it; naming its id again brings it back.",
    )

    objects = CompanyScopedManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["company", "external_id"], name="patient_company_external_id_uniq"
            )
        ]
        indexes = [
            models.Index(fields=["company", "updated_at", "id"], name="patient_company_updated")
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
    # When what the device is (model, serial, IMEI, status, patient) last changed (FHIR
    # meta.lastUpdated); not moved by readings, positions or faults, which are not part of it.
    updated_at = models.DateTimeField(auto_now=True)

    objects = models.Manager.from_queryset(DeviceQuerySet)()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["serial"], name="device_serial_uniq"),
        ]
        indexes = [
            models.Index(fields=["company", "created_at", "id"], name="device_company_page"),
            models.Index(fields=["company", "updated_at", "id"], name="device_company_updated"),
        ]

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


class Assignment(models.Model):
    """Which patient and practice a device serves, for which HWI device (enrolment) and through
    which hardware id (gateway id or IMEI), from ``since`` until ``until`` (open: still now).

    The one record of it. Its open row is mirrored on the Device (``patient``, ``practice_id``)
    and on the Enrolment it names (``patient``, ``device``, ``hardware_uuid``) for the hot paths,
    and only ``devices.assignments`` writes any of them, whichever dialect asks. A reading belongs
    to the row in force when it was received: its HWI device, and the patient stored with it."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="assignments")
    enrolment = models.ForeignKey(
        Enrolment, null=True, blank=True, on_delete=models.SET_NULL, related_name="assignments"
    )
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.SET_NULL, related_name="assignments"
    )
    practice_id = models.CharField(max_length=200, blank=True, default="")
    hardware_uuid = models.CharField(max_length=64, null=True, blank=True)
    since = models.DateTimeField()
    until = models.DateTimeField(null=True, blank=True)

    objects = CompanyScopedManager()

    class Meta:
        indexes = [
            models.Index(fields=["device", "since"], name="assignment_device_time"),
            models.Index(fields=["enrolment", "since"], name="assignment_enrolment_time"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["device"],
                condition=models.Q(until__isnull=True),
                name="assignment_one_open_per_device",
            )
        ]

    def __str__(self) -> str:
        return f"{self.device_id} -> {self.patient_id} since {self.since:%Y-%m-%dT%H:%M:%SZ}"


class HardwareUuidLog(models.Model):
    """A change of an HWI device's ``hardware_uuid`` (Tenovi ``hardware-uuid-logs``). Kept after
    the HWI device is deleted, so it names the device by id, not by a foreign key."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    enrolment_id = models.UUIDField(db_index=True)
    device_name = models.CharField(max_length=255, blank=True, default="")
    old_hardware_uuid = models.CharField(max_length=64, null=True, blank=True)
    new_hardware_uuid = models.CharField(max_length=64, null=True, blank=True)
    changer = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CompanyScopedManager()

    class Meta:
        indexes = [models.Index(fields=["company", "created_at"], name="hardware_log_company_time")]

    def __str__(self) -> str:
        return f"{self.enrolment_id}: {self.old_hardware_uuid} -> {self.new_hardware_uuid}"


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
    # the HWI device's id, kept when the HWI device is deleted (Tenovi's hwi_device_id stays)
    hwi_device_id = models.UUIDField(null=True)
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
