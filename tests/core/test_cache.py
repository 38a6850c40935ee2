"""The Redis cache is django-redis: one client for every call, ``incr`` in one atomic round trip
that keeps the key's expiry and refuses a missing key, as the throttles need."""

import uuid

import pytest
from django.core.cache import cache


def test_one_redis_client_serves_every_call(redis):
    assert cache.client.get_client(write=True) is cache.client.get_client(write=True)


def test_incr_counts_a_key_that_exists_and_keeps_its_expiry(redis):
    key = f"test:{uuid.uuid4().hex}"
    assert cache.add(key, 5, timeout=30)
    assert cache.incr(key) == 6
    assert cache.incr(key, 10) == 16
    assert cache.get(key) == 16
    assert 0 < redis.ttl(cache.make_key(key)) <= 30


def test_incr_of_a_missing_key_is_a_value_error_and_creates_nothing(redis):
    key = f"test:{uuid.uuid4().hex}"
    with pytest.raises(ValueError, match="not found"):
        cache.incr(key)
    assert not redis.exists(cache.make_key(key))
    assert cache.get(key, "absent") == "absent"
