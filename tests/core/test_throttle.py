"""Usage-plan limits: per second in the shared table or in Redis, per month recorded in the
database (and counted in Redis when there is one)."""

import threading
import uuid
from datetime import UTC, datetime

import pytest
from django.core.cache import cache, close_caches
from django.db import connection, connections

from pulsebridge.core.apikeys import create_api_key
from pulsebridge.core.models import RateCounter, UsageCounter
from pulsebridge.core.throttle import check_and_count, count_in_window, wait_for_second


def test_each_request_in_the_last_second_is_counted_once(db):
    assert [count_in_window("rl:k", now=100.05) for _ in range(3)] == [1, 2, 3]
    assert count_in_window("rl:k", now=100.55) == 4  # the same second, another bucket
    assert count_in_window("rl:k", now=101.06) == 2  # 100.0-100.1 has left the window
    assert count_in_window("rl:other", now=100.05) == 1
    assert RateCounter.objects.get(bucket="rl:k:1000").count == 3


def test_the_limit_holds_across_a_calendar_second_boundary(db, alice, monkeypatch, settings):
    """Ten requests late in one second and more early in the next: the calendar second let
    them all through (twice the limit within 0.2 s)."""
    from pulsebridge.core import throttle

    settings.REDIS_URL = ""  # the table's window (Redis keeps time by its own clock)

    api_key = create_api_key(alice, "pylo", rate_per_second=10).api_key
    monkeypatch.setattr(throttle.time, "time", lambda: 100.95)
    assert [check_and_count(api_key) for _ in range(10)] == [None] * 10
    monkeypatch.setattr(throttle.time, "time", lambda: 101.05)
    refusal = check_and_count(api_key)
    assert refusal is not None
    assert (refusal.limit, refusal.retry_after) == ("per_second", 1)
    monkeypatch.setattr(throttle.time, "time", lambda: 102.0)  # a second after the ten
    assert check_and_count(api_key) is None


def test_expired_buckets_are_swept(db, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from pulsebridge.core import throttle

    RateCounter.objects.create(bucket="old", count=9, expires_at=timezone.now() - timedelta(1))
    monkeypatch.setattr(throttle.random, "random", lambda: 0.0)
    count_in_window("rl:k")
    assert not RateCounter.objects.filter(bucket="old").exists()


def _server_micros(redis) -> int:
    seconds, micros = redis.time()
    return seconds * 1_000_000 + micros


def test_with_redis_the_limit_holds_over_any_second_and_nothing_goes_in_the_table(db, redis):
    name = f"rl:test:{uuid.uuid4().hex}"
    assert [wait_for_second(name, 3) for _ in range(3)] == [0, 0, 0]
    assert wait_for_second(name, 3) == 1  # refused, and not counted
    assert redis.zcard(cache.make_key(name)) == 3
    assert not RateCounter.objects.exists()
    assert 0 < redis.pttl(cache.make_key(name)) <= 1000  # the log goes by itself


def test_with_redis_requests_of_the_last_second_count_whatever_second_they_were_in(redis):
    """Requests half a second ago (in the previous calendar second, or not) still count; those
    of more than a second ago do not."""
    name = f"rl:test:{uuid.uuid4().hex}"
    key = cache.make_key(name)
    now = _server_micros(redis)
    redis.zadd(key, {f"old{i}": now - 1_500_000 for i in range(5)})
    redis.zadd(key, {f"recent{i}": now - 500_000 for i in range(4)})
    assert wait_for_second(name, 5) == 0  # four recent and this one
    assert wait_for_second(name, 5) == 1
    assert redis.zcard(key) == 5  # the old ones were trimmed


def test_with_redis_requests_at_once_from_many_threads_pass_the_limit_exactly(redis):
    """Each thread has its own cache backend and connections, as each server thread does."""
    name = f"rl:test:{uuid.uuid4().hex}"
    waits = []

    def requests():
        # a window of a minute: a slow machine cannot let the first requests leave it
        waits.extend(wait_for_second(name, 120, window=60) for _ in range(50))
        close_caches()

    threads = [threading.Thread(target=requests) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert waits.count(0) == 120
    assert redis.zcard(cache.make_key(name)) == 120


def month_key(api_key):
    return f"usage:{api_key.lookup}:{datetime.now(UTC):%Y-%m}"


@pytest.fixture
def quota_keys(redis):
    """Keys with a monthly quota; their month counters are taken out of Redis afterwards."""
    made = []

    def make(company, quota):
        made.append(create_api_key(company, "pylo", rate_per_second=0, monthly_quota=quota))
        return made[-1].api_key

    yield make
    for issued in made:
        redis.delete(cache.make_key(month_key(issued.api_key)))


@pytest.fixture
def quota_key(alice, quota_keys):
    return quota_keys(alice, 250)


def test_with_redis_the_month_is_counted_there_and_recorded_every_hundred_and_at_the_quota(
    redis, quota_key
):
    def record():
        return UsageCounter.objects.get(api_key=quota_key).count

    assert [check_and_count(quota_key) for _ in range(150)] == [None] * 150
    assert cache.get(month_key(quota_key)) == 150
    assert record() == 100
    assert [check_and_count(quota_key) for _ in range(100)] == [None] * 100
    assert record() == 250  # the quota reached is recorded at once
    refusal = check_and_count(quota_key)
    assert refusal is not None
    assert (refusal.limit, refusal.retry_after > 0) == ("monthly", True)
    assert cache.get(month_key(quota_key)) == 250  # refused requests are not counted
    assert record() == 250


def test_with_redis_a_lost_month_count_starts_again_from_the_record(redis, quota_key):
    for _ in range(130):
        check_and_count(quota_key)
    redis.delete(cache.make_key(month_key(quota_key)))  # Redis restarted, or evicted it
    assert check_and_count(quota_key) is None
    assert cache.get(month_key(quota_key)) == 101  # the record (100) and this request
    assert 0 < redis.ttl(cache.make_key(month_key(quota_key))) <= 32 * 24 * 3600


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason='the in-memory SQLite test database refuses a second writer at once ("table is '
    'locked") where a file database waits',
)
def test_with_redis_concurrent_requests_pass_the_monthly_quota_exactly(
    transactional_db, alice, quota_keys
):
    """Four server threads, 200 requests, a quota of 120: 120 pass, whatever the order."""
    api_key = quota_keys(alice, 120)
    passed = []

    def requests():
        passed.extend(check_and_count(api_key) is None for _ in range(50))
        close_caches()
        connections.close_all()

    threads = [threading.Thread(target=requests) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert passed.count(True) == 120
    assert UsageCounter.objects.get(api_key=api_key).count == 120
