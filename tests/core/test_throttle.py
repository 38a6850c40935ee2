"""Per-second limits counted atomically in the shared database table."""

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


def test_with_redis_each_request_in_a_second_is_counted_once_and_not_in_the_table(db, settings):
    import socket
    import uuid

    import pytest

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        pytest.skip("no Redis on 127.0.0.1:6379 (REDIS_URL is optional)")
    url = "redis://127.0.0.1:6379/15"
    settings.REDIS_URL = url
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    }
    bucket = f"rl:test:{uuid.uuid4().hex}"
    assert [count_in_second(bucket) for _ in range(3)] == [1, 2, 3]
    assert not RateCounter.objects.filter(bucket=bucket).exists()
