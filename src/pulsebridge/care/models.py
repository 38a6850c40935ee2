"""Care data pushed in bulk by a company's own systems: clients, their family contacts, care
workers, visits and client documents, and the import batches that brought them.

Every row carries the sender's own identifier (``external_id``), unique within its company:
imports are upserts by that id, so resending a batch changes nothing."""

from __future__ import annotations

from django.db import models

from pulsebridge.core.models import Company, CompanyScopedManager
from pulsebridge.devices.models import Patient
from pulsebridge.lib.ids import uuid7


class ImportBatch(models.Model):
    """One bulk request, kept as received and imported later by the background worker."""

    class SchemaType(models.TextChoices):
        CLIENT = "client"
        FAMILY = "family"
        WORKER = "worker"
        SCHEDULE = "schedule"
        CLIENT_DOCUMENT = "clientDocument"

    class Status(models.TextChoices):
        QUEUED = "queued"
        PROCESSING = "processing"
        DONE = "done"
        FAILED = "failed"

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="import_batches")
    api_key = models.ForeignKey(
        "core.ApiKey",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="import_batches",
        help_text="The key the batch was sent with.",
    )
    schema_type = models.CharField(max_length=32, choices=SchemaType.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    payload = models.TextField(help_text="The request body, exactly as received (UTF-8).")
    received = models.PositiveIntegerField(help_text="Number of records in the batch.")
    imported = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(
        default=list, blank=True, help_text="One {index, id, message} per record not imported."
    )
    failure = models.TextField(
        blank=True, default="", help_text="Why the whole import failed (status failed)."
    )
    received_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = CompanyScopedManager()

    class Meta:
        verbose_name_plural = "import batches"
        indexes = [models.Index(fields=["company", "received_at"], name="care_batch_company_time")]

    def __str__(self) -> str:
        return f"{self.schema_type} batch {self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class ExternalRecord(models.Model):
    """What every imported row has: its company, the sender's id, and when it changed."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    external_id = models.CharField(max_length=200, help_text="The sender's own id.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CompanyScopedManager()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.external_id


def _unique_external_id(name: str) -> models.UniqueConstraint:
    return models.UniqueConstraint(fields=["company", "external_id"], name=name)


class CareClient(ExternalRecord):
    """A person receiving care. The same person as the company's Patient with the same id: a
    client ``CLIENT_ID_001`` is the patient whose ``external_id`` is ``CLIENT_ID_001``."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, related_name="care_client")
    first_name = models.CharField(max_length=100, blank=True, default="")
    last_name = models.CharField(max_length=100, blank=True, default="")
    phone = models.CharField(max_length=30, blank=True, default="", help_text="Home phone.")
    phone2 = models.CharField(max_length=30, blank=True, default="", help_text="Mobile.")
    email = models.CharField(max_length=254, blank=True, default="")
    address = models.CharField(max_length=200, blank=True, default="")
    suburb = models.CharField(max_length=100, blank=True, default="")
    post_code = models.CharField(max_length=20, blank=True, default="")
    state = models.CharField(max_length=50, blank=True, default="")
    gender = models.CharField(max_length=50, blank=True, default="")
    dob = models.DateField(null=True, blank=True)
    team = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        constraints = [_unique_external_id("care_client_company_external_id_uniq")]


class FamilyContact(ExternalRecord):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    client = models.ForeignKey(CareClient, on_delete=models.CASCADE, related_name="family")
    full_name = models.CharField(max_length=200, blank=True, default="")
    mobile = models.CharField(max_length=30, blank=True, default="")
    phone1 = models.CharField(max_length=30, blank=True, default="", help_text="Deprecated.")
    phone2 = models.CharField(max_length=30, blank=True, default="", help_text="Home phone.")
    email = models.CharField(max_length=254, blank=True, default="")

    class Meta:
        constraints = [_unique_external_id("care_family_company_external_id_uniq")]


class Worker(ExternalRecord):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    first_name = models.CharField(max_length=100, blank=True, default="")
    last_name = models.CharField(max_length=100, blank=True, default="")
    phone = models.CharField(max_length=30, blank=True, default="")
    email = models.CharField(max_length=254, blank=True, default="")
    gender = models.CharField(max_length=50, blank=True, default="")
    dob = models.DateField(null=True, blank=True)
    team = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        constraints = [_unique_external_id("care_worker_company_external_id_uniq")]


class Visit(ExternalRecord):
    """One scheduled visit of a worker to a client (a Hayylo ``schedule`` record)."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled"
        CANCELLED = "cancelled"

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    client = models.ForeignKey(CareClient, on_delete=models.CASCADE, related_name="visits")
    worker = models.ForeignKey(
        Worker,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="visits",
        help_text="Empty while the visit is not allocated to a worker.",
    )
    duration_minutes = models.PositiveIntegerField()
    start_date = models.DateField()
    start_time = models.TimeField()
    preferred_start_date = models.DateField(null=True, blank=True)
    preferred_start_time = models.TimeField(null=True, blank=True)
    preferred_end_time = models.TimeField(null=True, blank=True)
    service_type = models.CharField(max_length=200, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [_unique_external_id("care_visit_company_external_id_uniq")]


class ClientDocument(ExternalRecord):
    """A file shared with a client (care plan, ...), kept in Django's default storage."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    client = models.ForeignKey(CareClient, on_delete=models.CASCADE, related_name="documents")
    file_type = models.CharField(max_length=100, blank=True, default="")
    title = models.CharField(max_length=200)
    extension = models.CharField(max_length=10)
    client_visible = models.BooleanField(default=False)
    worker_visible = models.BooleanField(default=False)
    file = models.FileField(max_length=300)
    size = models.PositiveBigIntegerField(help_text="Bytes, decoded.")
    sha256 = models.CharField(max_length=64, help_text="Of the decoded bytes, hex.")

    class Meta:
        constraints = [_unique_external_id("care_document_company_external_id_uniq")]
