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
