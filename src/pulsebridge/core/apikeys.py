"""API keys: ``pb_<dialect>_<lookup>_<secret>``.

The lookup id finds the row; the SHA-256 of the whole key is compared in constant time. A key
is high-entropy random data, so no slow hash is needed, and nothing depends on SECRET_KEY
(rotating it must not invalidate every key)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from .ids import random_token
from .models import ApiKey, Company, UsagePlan

LOOKUP_LENGTH = 12
SECRET_LENGTH = 32


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    key: str  # shown once, never stored


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(
    company: Company,
    dialect: str,
    *,
    rate_per_second: int | None = None,
    monthly_quota: int | None = None,
    with_plan: bool = True,
) -> IssuedKey:
    if dialect not in ApiKey.Dialect.values:
        raise ValueError(f"unknown dialect {dialect!r}; expected one of {ApiKey.Dialect.values}")
    plan = None
    if with_plan:
        if rate_per_second is None:
            rate_per_second = settings.DEFAULT_RATE_PER_SECOND.get(dialect)
        plan = UsagePlan.objects.create(
            name=f"{company.code}-{dialect}",
            rate_per_second=rate_per_second,
            monthly_quota=monthly_quota,
        )
    lookup = random_token(LOOKUP_LENGTH)
    key = f"pb_{dialect}_{lookup}_{random_token(SECRET_LENGTH)}"
    api_key = ApiKey.objects.create(
        company=company,
        dialect=dialect,
        lookup=lookup,
        key_hash=_digest(key),
        last4=key[-4:],
        plan=plan,
    )
    return IssuedKey(api_key=api_key, key=key)


def find_api_key(presented: str, dialect: str) -> ApiKey | None:
    """The live key of that dialect matching ``presented``, or None."""
    parts = presented.strip().split("_")
    if len(parts) != 4 or parts[0] != "pb" or parts[1] != dialect:
        return None
    api_key = (
        ApiKey.objects.select_related("company", "plan")
        .filter(lookup=parts[2], dialect=dialect, revoked_at__isnull=True)
        .first()
    )
    if api_key is None or not hmac.compare_digest(api_key.key_hash, _digest(presented.strip())):
        return None
    return api_key


def revoke_api_key(prefix: str) -> ApiKey:
    parts = prefix.split("_")
    lookup = parts[2] if len(parts) >= 3 and parts[0] == "pb" else prefix
    api_key = ApiKey.objects.get(lookup=lookup)
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    return api_key
