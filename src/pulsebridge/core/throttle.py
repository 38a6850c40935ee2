"""Usage-plan limits that hold across processes.

Requests per second are counted in Django's shared cache (the database cache of the embedded
install, Redis when configured); requests per month are counted in the database so that a
month's count survives restarts and cache evictions."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.cache import cache
from django.db.models import F

from .models import ApiKey, UsageCounter


@dataclass(frozen=True)
class Refusal:
    limit: str  # "per_second" or "monthly"
    retry_after: int  # seconds

    @property
    def message(self) -> str:
        if self.limit == "monthly":
            return "Limit Exceeded: the monthly request quota of this API key is used up."
        return "Too Many Requests: the per-second rate limit of this API key is exceeded."


def _seconds_to_next_month(now: datetime) -> int:
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    start = datetime(year, month, 1, tzinfo=UTC)
    return max(1, math.ceil((start - now).total_seconds()))


def check_and_count(api_key: ApiKey) -> Refusal | None:
    """Count one request against the key's plan; a Refusal if a limit is exceeded."""
    plan = api_key.plan
    if plan is None:
        return None
    if plan.rate_per_second:
        second = int(time.time())
        bucket = f"rl:{api_key.lookup}:{second}"
        cache.add(bucket, 0, timeout=5)
        try:
            used = cache.incr(bucket)
        except ValueError:  # evicted between add and incr: count this request as the first
            cache.set(bucket, 1, timeout=5)
            used = 1
        if used > plan.rate_per_second:
            return Refusal("per_second", 1)
    if plan.monthly_quota is not None:
        now = datetime.now(UTC)
        period = now.strftime("%Y-%m")
        counted = UsageCounter.objects.filter(
            api_key=api_key, period=period, count__lt=plan.monthly_quota
        ).update(count=F("count") + 1)
        if not counted:
            row, _ = UsageCounter.objects.get_or_create(
                api_key=api_key, period=period, defaults={"count": 0}
            )
            if row.count >= plan.monthly_quota:
                return Refusal("monthly", _seconds_to_next_month(now))
            UsageCounter.objects.filter(pk=row.pk).update(count=F("count") + 1)
    return None
