"""Per-second limits counted atomically in the shared database table."""

import threading
import uuid

from django.core.cache import cache, close_caches

from pulsebridge.core.models import RateCounter
from pulsebridge.core.throttle import count_in_second


def test_each_request_in_a_second_is_counted_once(db):
    assert [count_in_second("rl:k:1") for _ in range(3)] == [1, 2, 3]
    assert count_in_second("rl:k:2") == 1
    assert RateCounter.objects.get(bucket="rl:k:1").count == 3


def test_expired_buckets_are_swept(db, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from pulsebridge.core import throttle

    RateCounter.objects.create(bucket="old", count=9, expires_at=timezone.now() - timedelta(1))
    monkeypatch.setattr(throttle.random, "random", lambda: 0.0)
    count_in_second("rl:k:3")
    assert not RateCounter.objects.filter(bucket="old").exists()


def test_with_redis_each_request_in_a_second_is_counted_once_and_not_in_the_table(db, redis):
    bucket = f"rl:test:{uuid.uuid4().hex}"
    assert [count_in_second(bucket) for _ in range(3)] == [1, 2, 3]
    assert not RateCounter.objects.filter(bucket=bucket).exists()
    assert 0 < redis.ttl(cache.make_key(bucket)) <= 5  # the bucket goes by itself


def test_with_redis_requests_counted_at_once_from_many_threads_each_get_their_own_number(redis):
    """Each thread has its own cache backend and connections, as each server thread does."""
    bucket = f"rl:test:{uuid.uuid4().hex}"
    counted = []

    def count():
        counted.extend(count_in_second(bucket) for _ in range(50))
        close_caches()

    threads = [threading.Thread(target=count) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(counted) == list(range(1, 201))
