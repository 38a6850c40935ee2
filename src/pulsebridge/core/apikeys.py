"""API keys: ``pb_<dialect>_<lookup>_<secret>``.

The lookup id finds the row; the SHA-256 of the whole key is compared in constant time. A key
is high-entropy random data, so no slow hash is needed, and nothing depends on SECRET_KEY
(rotating it must not invalidate every key).

Each server process remembers the keys it has verified for ``API_KEY_CACHE_SECONDS`` (5 by
default; 0 turns it off), keyed by the digest of the whole key: a device posting every second
then costs no key look-up at all. A change to a key, its plan or its company made in this
process forgets them at once; one made elsewhere (the CLI, another worker) is seen within those
seconds, as an API gateway's key cache behaves."""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from pulsebridge.lib.ids import random_token

from .models import ApiKey, Company, UsagePlan

LOOKUP_LENGTH = 12
SECRET_LENGTH = 32
CACHE_LIMIT = 10_000  # keys remembered per process; past it the cache starts again

# digest of a whole key -> (monotonic expiry, the verified ApiKey with company and plan loaded).
# This process's own memory, never shared: see the module's docstring.
_verified: dict[str, tuple[float, ApiKey]] = {}


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
    presented = presented.strip()
    parts = presented.split("_")
    if len(parts) != 4 or parts[0] != "pb" or parts[1] != dialect:
        return None
    digest = _digest(presented)
    remembered = _verified.get(digest)
    if remembered is not None and remembered[0] > time.monotonic():
        return remembered[1]
    api_key = (
        ApiKey.objects.select_related("company", "plan")
        .filter(lookup=parts[2], dialect=dialect, revoked_at__isnull=True)
        .first()
    )
    if api_key is None or not hmac.compare_digest(api_key.key_hash, digest):
        return None
    seconds = settings.API_KEY_CACHE_SECONDS
    if seconds > 0:
        if len(_verified) >= CACHE_LIMIT:
            _verified.clear()
        _verified[digest] = (time.monotonic() + seconds, api_key)
    return api_key


def forget_verified_keys(**_) -> None:
    """Forget every key this process has verified (a key, plan or company changed)."""
    _verified.clear()


for _model in (ApiKey, UsagePlan, Company):
    post_save.connect(forget_verified_keys, sender=_model, dispatch_uid=f"apikeys-{_model}")
    post_delete.connect(forget_verified_keys, sender=_model, dispatch_uid=f"apikeys-del-{_model}")


def revoke_api_key(prefix: str) -> ApiKey:
    parts = prefix.split("_")
    lookup = parts[2] if len(parts) >= 3 and parts[0] == "pb" else prefix
    api_key = ApiKey.objects.get(lookup=lookup)
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    return api_key
