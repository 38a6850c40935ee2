"""Django's Redis cache backend, without what it spent on every call.

- Django's ``RedisCacheClient`` builds a new ``redis.Redis`` for every call, and redis-py's
  constructor fills a table of some 170 reply callbacks each time: a quarter of the CPU of an
  ingest request, which makes three calls to count itself against its key's per-second limit.
  Here each backend builds one per connection pool (redis-py clients are safe to share).
- ``incr`` asked ``EXISTS`` and then ``INCRBY``: two round trips, and not atomic. One Lua script
  does both in one, atomically, with Django's answer (``ValueError`` for a missing key)."""

from __future__ import annotations

from django.core.cache.backends import redis as django_redis

_INCR_IF_EXISTS = (
    "if redis.call('exists', KEYS[1]) == 1 then return redis.call('incrby', KEYS[1], ARGV[1]) end"
)


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        # Django's private API, absent from django-stubs; issue 18 §4 replaces this module
        # with django-redis (branch fidelity).
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))  # pools live as long as this object: ids hold
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client

    def incr(self, key, delta):
        value = self.get_client(key, write=True).eval(_INCR_IF_EXISTS, 1, key, delta)
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return value


class RedisCache(django_redis.RedisCache):
    """``CACHES`` backend: ``pulsebridge.core.cache.RedisCache``, as Django's."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
