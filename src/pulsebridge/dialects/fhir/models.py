from __future__ import annotations

import uuid

from django.db import models

from pulsebridge.core.models import Company, CompanyScopedManager


class ExportJob(models.Model):
    """One FHIR Bulk Data export: what was asked, by whom, how far the worker got.

    It lives in the FHIR dialect because everything about it is the Bulk Data protocol
    (resource types, ``_since``, NDJSON files, the status manifest): the domain has no notion
    of it. ``progress`` is the checkpoint the worker resumes from after a restart: per resource
    type, the files written so far and the place in the order after their last row."""

    class Status(models.TextChoices):
        ACCEPTED = "accepted"
        IN_PROGRESS = "in-progress"
        COMPLETED = "completed"
        FAILED = "failed"
        CANCELLED = "cancelled"

    class Level(models.TextChoices):
        SYSTEM = "system"
        PATIENT = "patient"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    owner = models.CharField(max_length=200, help_text="The credentials that may read it.")
    level = models.CharField(max_length=16, choices=Level.choices)
    types = models.JSONField(help_text="Resource types, in the order they are written.")
    since = models.DateTimeField(null=True, blank=True)
    request_url = models.TextField()
    transaction_time = models.DateTimeField(help_text="Nothing received after it is included.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACCEPTED)
    progress = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True, default="")
    lease_token = models.CharField(max_length=32, blank=True, default="")
    lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = CompanyScopedManager()

    class Meta:
        indexes = [
            models.Index(fields=["company", "created_at"], name="fhir_export_company_time"),
            models.Index(fields=["created_at"], name="fhir_export_created"),
        ]

    def __str__(self) -> str:
        return f"export {self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.COMPLETED, self.Status.FAILED, self.Status.CANCELLED)
