"""Fixtures of the core's tests."""

import socket

import pytest

from tests.conftest import missing_service

REDIS = "redis://127.0.0.1:6379/15"


def require_redis() -> None:
    """Skip without the local Redis; fail under CI (``missing_service``)."""
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        missing_service("no Redis on 127.0.0.1:6379 (REDIS_URL is optional)")


@pytest.fixture
def redis(settings):
    """The local Redis as the cache, as ``REDIS_URL`` makes it; the raw client to look in it."""
    require_redis()
    import redis

    settings.REDIS_URL = REDIS
    settings.CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": REDIS}}
    client = redis.Redis.from_url(REDIS)
    yield client
    client.close()
