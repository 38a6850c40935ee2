from __future__ import annotations

from django.conf import settings
from django.db import models

from pulsebridge.core.models import Company, CompanyScopedManager
from pulsebridge.devices.models import Patient
from pulsebridge.lib.ids import uuid7


class Setup(models.Model):
    """The day an operator set a patient's device up (CPT 99453): it starts an episode of
    monitoring, and its 30-day periods. A patient without one starts at their first reading."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="billing_setups")
    setup_on = models.DateField()
    recorded_by = models.CharField(max_length=200)
    recorded_at = models.DateTimeField()

    objects = CompanyScopedManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient", "setup_on"], name="billing_setup_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.patient_id} set up {self.setup_on}"


class TimeEntry(models.Model):
    """Minutes a clinician spent on a patient's remote monitoring (CPT 99457, 99458)."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="time_entries")
    # who: a console user when entered there, else the name the API or the CLI gave
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    clinician = models.CharField(max_length=200)
    performed_at = models.DateTimeField()
    minutes = models.PositiveIntegerField()
    note = models.TextField(blank=True, default="")
    created_at = models.DateTimeField()

    objects = CompanyScopedManager()

    class Meta:
        indexes = [
            models.Index(fields=["company", "performed_at"], name="time_company_when"),
            models.Index(fields=["patient", "performed_at"], name="time_patient_when"),
        ]

    def __str__(self) -> str:
        return f"{self.clinician}: {self.minutes} min on {self.patient_id}"
