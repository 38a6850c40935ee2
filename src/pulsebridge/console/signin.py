"""Failed sign-ins, limited per account and per remote address.

The console asks one object, ``GUARD``, three questions: must this attempt wait (and how many
seconds), a sign-in failed, one succeeded. The project's shared credential lockout (per account
and per address, audited) is to take its place; until it lands this one counts failures in
Django's cache (shared by every process: the database table, or Redis when ``REDIS_URL`` is
set): after ``CONSOLE_SIGNIN_FAILURES_PER_ACCOUNT`` failures for one username, or
``..._PER_ADDRESS`` from one address, within ``CONSOLE_SIGNIN_WINDOW_SECONDS``, further attempts
are refused until the window has passed, and the lockout is written to the audit trail. A
lockout ends by itself, so an attacker cannot lock a real user out for ever."""

from __future__ import annotations

import hashlib
import math
import time
from typing import Protocol

from django.conf import settings
from django.core.cache import cache

from pulsebridge.core.services import audit


class SignInGuard(Protocol):
    def wait_seconds(self, request, username: str) -> int | None: ...

    def failed(self, request, username: str) -> None: ...

    def succeeded(self, request, username: str) -> None: ...


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def remote_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


class CacheGuard:
    prefix = "console-signin"

    def _keys(self, request, username: str) -> list[tuple[str, str, int]]:
        """(cache key, what is counted as the audit names it, limit) for the account and the
        address; keys are digests, so no username or address is stored in the cache."""
        username = username.strip().lower()
        address = remote_address(request)
        return [
            (
                f"{self.prefix}:account:{_digest(username)}",
                f"account {username[:100]}",
                settings.CONSOLE_SIGNIN_FAILURES_PER_ACCOUNT,
            ),
            (
                f"{self.prefix}:address:{_digest(address)}",
                f"address {address}",
                settings.CONSOLE_SIGNIN_FAILURES_PER_ADDRESS,
            ),
        ]

    def wait_seconds(self, request, username: str) -> int | None:
        now = time.time()
        untils = cache.get_many([f"{key}:until" for key, _, _ in self._keys(request, username)])
        waits = [until - now for until in untils.values() if until and until > now]
        return math.ceil(max(waits)) if waits else None

    def failed(self, request, username: str) -> None:
        window = settings.CONSOLE_SIGNIN_WINDOW_SECONDS
        for key, what, limit in self._keys(request, username):
            if cache.add(key, 1, timeout=window):
                count = 1
            else:
                try:
                    count = cache.incr(key)
                except ValueError:  # expired between the two calls
                    cache.set(key, 1, timeout=window)
                    count = 1
            if count >= limit and cache.add(f"{key}:until", time.time() + window, timeout=window):
                cache.delete(key)
                audit(
                    None,
                    "console",
                    "console.signin.locked",
                    target=what,
                    detail={"failures": count, "seconds": window},
                )

    def succeeded(self, request, username: str) -> None:
        # The account's count starts again; the address's does not (one good password must not
        # open more guesses at other accounts from the same address).
        key = self._keys(request, username)[0][0]
        cache.delete(key)


GUARD: SignInGuard = CacheGuard()
