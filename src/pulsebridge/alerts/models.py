from __future__ import annotations

from django.db import models
from django.db.models import Q

from pulsebridge.core.models import Company, CompanyScopedManager
from pulsebridge.devices.models import Kind, Patient
from pulsebridge.lib.ids import uuid7


class Rule(models.Model):
    """A company's rule on one value of one kind of reading: a bound (```systolic >= 180```) or a
    trend (``weight`` risen by ``threshold`` within ``window_hours``). ``code`` names it; the
    defaults (``alerts.rules.DEFAULTS``) are written for a company the first time its rules are
    read, and are then the company's own to change."""

    class Check(models.TextChoices):
        AT_LEAST = "ge", ">="
        ABOVE = "gt", ">"
        AT_MOST = "le", "<="
        BELOW = "lt", "<"
        RISE = "rise", "risen by"

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    code = models.SlugField(max_length=64)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    metric = models.CharField(max_length=32, help_text="The key of the reading's canonical values.")
    comparison = models.CharField(max_length=8, choices=Check.choices)
    threshold = models.FloatField(
        help_text="In the value's canonical unit (mmHg, kg, mg/dL, %, °C)."
    )
    window_hours = models.PositiveIntegerField(null=True, blank=True, help_text="Trends only.")
    enabled = models.BooleanField(default=True)
    modified_at = models.DateTimeField(auto_now=True)

    objects = CompanyScopedManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "code"], name="alert_rule_code_uniq")
        ]

    def __str__(self) -> str:
        return self.code


class Override(models.Model):
    """One patient's own threshold or on/off for a rule (None: the rule's)."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="overrides")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="alert_overrides")
    threshold = models.FloatField(null=True, blank=True)
    enabled = models.BooleanField(null=True, blank=True)

    objects = CompanyScopedManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rule", "patient"], name="alert_override_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} for {self.patient_id}"


class Alert(models.Model):
    """A patient's readings breaking a rule. At most one is not resolved per rule and patient:
    later readings that still break the rule are added to it (``AlertReading``)."""

    class Status(models.TextChoices):
        OPEN = "open"
        ACKNOWLEDGED = "acknowledged"
        RESOLVED = "resolved"

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="alerts")
    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="alerts")
    # the reading that raised it (no foreign key: the readings table is partitioned)
    reading_id = models.UUIDField()
    measured_at = models.DateTimeField()
    value = models.FloatField(help_text="The value (a bound) or the rise (a trend) that broke it.")
    threshold = models.FloatField(help_text="The threshold in force for the patient then.")
    raised_at = models.DateTimeField()
    # measured long before it was received (a device uploading stored readings): nobody needs
    # paging for it
    late = models.BooleanField(default=False)
    readings = models.PositiveIntegerField(default=1, help_text="Breaking readings attached.")
    last_measured_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.CharField(max_length=200, blank=True, default="")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.CharField(max_length=200, blank=True, default="")
    note = models.TextField(blank=True, default="")

    objects = CompanyScopedManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "patient"],
                condition=~Q(status="resolved"),
                name="alert_one_open_per_rule_patient",
            )
        ]
        indexes = [
            models.Index(fields=["company", "status", "raised_at"], name="alert_company_status"),
            models.Index(fields=["patient", "raised_at"], name="alert_patient_time"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.patient_id} {self.status}"


class AlertReading(models.Model):
    """A reading that broke an alert's rule, the first one included."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="breaking")
    reading_id = models.UUIDField()
    measured_at = models.DateTimeField()
    value = models.FloatField()
    late = models.BooleanField(default=False)

    class Meta:
        ordering = ["measured_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["alert", "reading_id"], name="alert_reading_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.alert_id} {self.reading_id}"
