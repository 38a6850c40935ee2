from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models


class Company(models.Model):
    """The tenant. Every other row belongs to exactly one company."""

    class WeightUnit(models.TextChoices):
        KG = "kg"
        LB = "lb"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.SlugField(
        max_length=64,
        unique=True,
        help_text="The company's slug: Tenovi client domain and Hayylo companyCode.",
    )
    name = models.CharField(max_length=200)
    instance_id = models.CharField(max_length=100, blank=True, default="")
    alert_email = models.EmailField(blank=True, default="")
    # how the console shows weights (stored in kg, as every reading's canonical value)
    weight_unit = models.CharField(max_length=2, choices=WeightUnit.choices, default=WeightUnit.KG)
    # the IANA zone the company's days are counted in (RPM billing days); checked against
    # zoneinfo by core.services.update_company
    time_zone = models.CharField(max_length=64, default="UTC")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "companies"

    def __str__(self) -> str:
        return self.code


class CompanyScopedQuerySet(models.QuerySet):
    def for_company(self, company: Company) -> CompanyScopedQuerySet:
        return self.filter(company=company)


CompanyScopedManager = models.Manager.from_queryset(CompanyScopedQuerySet)


class Membership(models.Model):
    """A user's place in one company. The role decides what the console lets them do:
    owner (everything: keys, users, audit), clinician (patients, readings, alerts), operator
    (devices, orders, webhooks, imports), viewer (reads only)."""

    class Role(models.TextChoices):
        OWNER = "owner"
        CLINICIAN = "clinician"
        OPERATOR = "operator"
        VIEWER = "viewer"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.VIEWER)

    objects = CompanyScopedManager()

    def __str__(self) -> str:
        return f"{self.user} @ {self.company}"


class UsagePlan(models.Model):
    """Limits attached to an API key. ``None`` means unlimited on that axis."""

    name = models.CharField(max_length=100)
    rate_per_second = models.PositiveIntegerField(null=True, blank=True)
    monthly_quota = models.PositiveBigIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.rate_per_second}/s, {self.monthly_quota}/month)"


class ApiKey(models.Model):
    class Dialect(models.TextChoices):
        PYLO = "pylo"
        TENOVI = "tenovi"
        HAYYLO = "hayylo"
        INGEST = "ingest"
        FHIR = "fhir", "FHIR"
        # the native API for care software: billing reports, time log, alert rules and alerts
        API = "api", "API"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="api_keys")
    dialect = models.CharField(max_length=16, choices=Dialect.choices)
    lookup = models.CharField(
        max_length=16, unique=True, validators=[RegexValidator(r"^[a-z0-9]+$")]
    )
    key_hash = models.CharField(max_length=64, help_text="SHA-256 of the whole key, hex.")
    last4 = models.CharField(max_length=4)
    plan = models.ForeignKey(UsagePlan, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = CompanyScopedManager()

    def __str__(self) -> str:
        return f"{self.prefix}_…{self.last4}"

    @property
    def prefix(self) -> str:
        return f"pb_{self.dialect}_{self.lookup}"


class UsageCounter(models.Model):
    """Requests counted per key per calendar month (UTC), for monthly quotas.

    Kept in the database, not the cache, so a month's count survives restarts and evictions."""

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="usage")
    period = models.CharField(max_length=7, help_text="YYYY-MM")
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["api_key", "period"], name="usage_key_period_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.api_key_id} {self.period}: {self.count}"


class AuditEntry(models.Model):
    """Who did what, when, to which object (and which patient's data it touched): every change
    made through the console and the operator commands, every read of a patient's data through
    the console, every lockout. Written by ``core.services.audit``, never changed afterwards."""

    company = models.ForeignKey(Company, null=True, on_delete=models.CASCADE)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.CharField(max_length=200)
    action = models.CharField(max_length=100)
    target = models.CharField(max_length=200, blank=True, default="")
    # the patient whose data was read or changed, as the company knows them (external id)
    patient = models.CharField(max_length=200, blank=True, default="", db_index=True)
    detail = models.JSONField(default=dict, blank=True)

    objects = CompanyScopedManager()

    class Meta:
        indexes = [models.Index(fields=["company", "at"], name="audit_company_time")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.target}"


class RateCounter(models.Model):
    """Requests per key per second, for the embedded install's per-second limits.

    One atomic ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` counts a request, so the limit
    holds across processes without the read-then-write race of a database cache's ``incr``.
    Rows live a few seconds; Redis replaces this table when ``REDIS_URL`` is set."""

    bucket = models.CharField(max_length=64, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.bucket}: {self.count}"
