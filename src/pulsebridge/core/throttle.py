"""Usage-plan limits that hold across processes.

Requests per second hold over any one-second interval, not per calendar second (which let twice
the limit through across a boundary). With ``REDIS_URL`` set, a sliding log: the times of the
requests let through in the last second, in a sorted set per key, trimmed, counted and added to
by one Lua script (one atomic round trip, timed by the Redis server's clock, so hosts whose clocks
differ share one window). Without Redis, a sliding window over ten 100 ms buckets of the
``RateCounter`` table, counted and read by one atomic upsert: it holds over any second to within
one bucket's requests.

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
import uuid
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
        wait = wait_for_second(f"rl:{api_key.lookup}", plan.rate_per_second)
        if wait:
            return Refusal("per_second", wait)
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


# KEYS[1]: the key's sorted set; ARGV: the window and the limit (microseconds, requests), and a
# member unique to this request. Answers 0 (let through, recorded) or the seconds to wait.
_SLIDING_LOG = """
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000000 + tonumber(now[2])
local window, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
    redis.call('ZADD', KEYS[1], now, ARGV[3])
    redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
    return 0
end
local oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
return math.max(1, math.ceil((oldest + window - now) / 1000000))
"""
WINDOW_SECONDS = 1
SLICES = 10  # buckets of the window in the table: the limit holds to within one of them
_scripts: dict[int, Any] = {}  # redis client id -> the registered script (EVALSHA)


def wait_for_second(name: str, limit: int, *, window: float = WINDOW_SECONDS) -> int:
    """Count one request of ``name`` against ``limit`` per ``window`` seconds (the table: per
    second); 0 if it may pass, else the seconds until it could (with Redis a refused request is
    not counted)."""
    if settings.REDIS_URL:
        client = cache.client.get_client(write=True)  # type: ignore[attr-defined]
        script = _scripts.get(id(client))
        if script is None:
            script = _scripts[id(client)] = client.register_script(_SLIDING_LOG)
        return int(
            script(
                keys=[cache.make_key(name)],
                args=[int(window * 1_000_000), limit, uuid.uuid4().hex],
                client=client,
            )
        )
    return 0 if count_in_window(name) <= limit else 1


def count_in_window(name: str, *, now: float | None = None) -> int:
    """Count one request of ``name`` in the table; the requests of the last second, this one
    included: its 100 ms bucket and the nine before it, counted and read in one statement."""
    slice_number = int((time.time() if now is None else now) * SLICES)
    bucket = f"{name}:{slice_number}"
    earlier = [f"{name}:{slice_number - i}" for i in range(1, SLICES)]
    table = connection.ops.quote_name(RateCounter._meta.db_table)
    expires = timezone.now() + BUCKET_LIFETIME
    marks = ", ".join(["%s"] * len(earlier))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (bucket, count, expires_at) VALUES (%s, 1, %s) "  # noqa: S608
            f"ON CONFLICT (bucket) DO UPDATE SET count = {table}.count + 1 "
            f"RETURNING count, (SELECT COALESCE(SUM(count), 0) FROM {table} "
            f"WHERE bucket IN ({marks}))",
            [bucket, connection.ops.adapt_datetimefield_value(expires), *earlier],
        )
        this_slice, before = cursor.fetchone()
    if random.random() < 0.01:  # sweep expired buckets now and then, not on every request
        RateCounter.objects.filter(expires_at__lt=timezone.now()).delete()
    return int(this_slice) + int(before)


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
