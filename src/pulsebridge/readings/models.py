from __future__ import annotations

from django.db import models

from pulsebridge.core.models import Company, CompanyScopedManager
from pulsebridge.devices.models import Device, Kind, Patient
from pulsebridge.lib.ids import uuid7


class Measurement(models.Model):
    """One reading of one device, values in canonical units (see MAPPINGS.md).

    ``values`` holds the canonical numbers (mmHg, kg, mg/dL, %, /min, °C, L/min); ``unit`` is the
    unit the device sent, so a dialect can answer in the sender's unit where it wants to.
    ``dedupe_key`` is the sender's own id when it gave one, else a digest of device, kind,
    measured_at and device user: the same reading sent twice is stored once.

    On PostgreSQL the table is partitioned by month of ``measured_at`` (``lib.partitions``):
    nothing refers to a reading by foreign key, and its uniqueness includes the time."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    # No single-column indexes on the foreign keys: each is the prefix of a composite index
    # below, and every index costs on every insert of the largest table.
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+", db_index=False)
    device = models.ForeignKey(
        Device, on_delete=models.CASCADE, related_name="measurements", db_index=False
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    measured_at = models.DateTimeField()
    received_at = models.DateTimeField()
    values = models.JSONField()
    unit = models.CharField(max_length=16, blank=True, default="")
    battery = models.PositiveSmallIntegerField(null=True, blank=True)
    signal = models.PositiveSmallIntegerField(null=True, blank=True)
    device_user = models.CharField(max_length=32, default="1")
    radio = models.CharField(max_length=64, blank=True, default="")
    network = models.CharField(max_length=128, blank=True, default="")
    tower_latitude = models.CharField(max_length=32, blank=True, default="")
    tower_longitude = models.CharField(max_length=32, blank=True, default="")
    sender_id = models.CharField(max_length=128, blank=True, default="")
    dedupe_key = models.CharField(max_length=160)
    # who the device belonged to when it measured: later re-assignment does not rewrite history
    patient = models.ForeignKey(
        Patient,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="measurements",
        db_index=False,
    )
    practice_id = models.CharField(max_length=200, blank=True, default="")
    tenant_id = models.CharField(max_length=200, blank=True, default="")

    objects = CompanyScopedManager()

    class Meta:
        constraints = [
            # with the time: on PostgreSQL the table is partitioned by month of measured_at, and
            # a partitioned table's unique constraints must hold the partition key
            models.UniqueConstraint(
                fields=["device", "dedupe_key", "measured_at"], name="measurement_dedupe_uniq"
            )
        ]
        indexes = [
            models.Index(fields=["company", "measured_at", "id"], name="meas_company_time"),
            models.Index(fields=["device", "measured_at", "id"], name="meas_device_time"),
            models.Index(fields=["patient", "measured_at", "id"], name="meas_patient_time"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.device_id} {self.measured_at:%Y-%m-%dT%H:%M:%SZ}"
