"""Usage-plan limits that hold across processes.

Requests per second are counted in Redis when ``REDIS_URL`` is set (``INCR`` is atomic), else in
the ``RateCounter`` table with one atomic upsert.

Requests per month are recorded in the ``UsageCounter`` table, so that a month's count survives
restarts and cache evictions. Without Redis each request counts itself there. With Redis the
month is counted there too, and written to the table every ``RECORD_EVERY`` requests and at the
quota: an update and a commit per request on one row per key (every request of a key waits for
the one before it) cost a large share of a one-reading request's throughput (bench P2,
docs/performance.md). If Redis loses the
count, it starts again from the table: at most ``RECORD_EVERY`` requests go uncounted."""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from .models import ApiKey, RateCounter, UsageCounter

BUCKET_LIFETIME = timedelta(seconds=5)
RECORD_EVERY = 100
MONTH_SECONDS = 32 * 24 * 3600  # a month's counter outlives its month, then goes by itself


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
        bucket = f"rl:{api_key.lookup}:{int(time.time())}"
        if count_in_second(bucket) > plan.rate_per_second:
            return Refusal("per_second", 1)
    if plan.monthly_quota is not None:
        now = datetime.now(UTC)
        period = now.strftime("%Y-%m")
        if settings.REDIS_URL:
            if not _count_month_in_cache(api_key, period, plan.monthly_quota):
                return Refusal("monthly", _seconds_to_next_month(now))
            return None
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


def _count_month_in_cache(api_key: ApiKey, period: str, quota: int) -> bool:
    """Count one request of ``period`` in the cache; False (and not counted) past the quota."""
    key = f"usage:{api_key.lookup}:{period}"
    try:
        used = cache.incr(key)
    except ValueError:  # a new month, or Redis restarted or evicted it: start from the record
        recorded = (
            UsageCounter.objects.filter(api_key=api_key, period=period)
            .values_list("count", flat=True)
            .first()
        )
        cache.add(key, recorded or 0, timeout=MONTH_SECONDS)
        try:
            used = cache.incr(key)
        except ValueError:  # evicted again at once: count on the record alone
            used = (recorded or 0) + 1
    if used > quota:  # the record says the quota is reached: it was written at ``used == quota``
        cache.decr(key)  # a refused request is not counted, as in the table
        return False
    if used % RECORD_EVERY == 0 or used == quota:
        _record_month(api_key, period, used)
    return True


def _record_month(api_key: ApiKey, period: str, used: int) -> None:
    """Write ``used`` to the month's record, unless it holds more already (processes write
    their counts in any order)."""
    rows = UsageCounter.objects.filter(api_key=api_key, period=period)
    if not rows.update(count=Greatest(F("count"), used)):
        _, created = UsageCounter.objects.get_or_create(
            api_key=api_key, period=period, defaults={"count": used}
        )
        if not created:
            rows.update(count=Greatest(F("count"), used))


def count_in_second(bucket: str) -> int:
    """Count one request in ``bucket``; the number counted so far, this one included."""
    if settings.REDIS_URL:
        # One round trip but for the second's first request, which opens the bucket.
        try:
            return cache.incr(bucket)
        except ValueError:
            pass
        if cache.add(bucket, 1, timeout=BUCKET_LIFETIME.seconds):
            return 1
        try:
            return cache.incr(bucket)  # another request opened it first
        except ValueError:  # and it was evicted since: count this request as the first
            cache.set(bucket, 1, timeout=BUCKET_LIFETIME.seconds)
            return 1
    table = connection.ops.quote_name(RateCounter._meta.db_table)
    expires = timezone.now() + BUCKET_LIFETIME
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (bucket, count, expires_at) VALUES (%s, 1, %s) "  # noqa: S608
            f"ON CONFLICT (bucket) DO UPDATE SET count = {table}.count + 1 RETURNING count",
            [bucket, connection.ops.adapt_datetimefield_value(expires)],
        )
        used = cursor.fetchone()[0]
    if random.random() < 0.01:  # sweep expired buckets now and then, not on every request
        RateCounter.objects.filter(expires_at__lt=timezone.now()).delete()
    return used


def usage_this_month(api_keys: list[ApiKey], *, now: datetime | None = None) -> dict[Any, int]:
    """Requests counted this calendar month (UTC) per key id, for keys whose plan has a monthly
    quota (only those are counted). With Redis, the count there when it is ahead of the record
    (the record is written every ``RECORD_EVERY`` requests)."""
    period = (now or datetime.now(UTC)).strftime("%Y-%m")
    counted = [k for k in api_keys if k.plan is not None and k.plan.monthly_quota is not None]
    used = dict(
        UsageCounter.objects.filter(api_key__in=counted, period=period).values_list(
            "api_key_id", "count"
        )
    )
    if settings.REDIS_URL and counted:
        cached = cache.get_many([f"usage:{k.lookup}:{period}" for k in counted])
        for k in counted:
            value = cached.get(f"usage:{k.lookup}:{period}")
            if value is not None and int(value) > used.get(k.pk, 0):
                used[k.pk] = int(value)
    return {k.pk: used.get(k.pk, 0) for k in counted}
