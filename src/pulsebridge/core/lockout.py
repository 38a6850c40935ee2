"""Failed credential checks, limited per account (or OAuth client) and per remote address.

Every endpoint that checks a password or a secret asks its ``Guard`` to ``check`` the attempt
(must it wait, and how many seconds: one read of the cache), then tells the attempt it
``failed()`` or ``succeeded()``. Failures are counted in
Django's cache (shared by every process: the database table, or Redis when ``REDIS_URL`` is set).
After ``failures_per_account`` failures for one account, or ``failures_per_address`` from one
address, within the window, further attempts are refused (429 and ``Retry-After``, or the page's
equivalent) until the window has passed, even with the right credential, and the lockout is
written to the audit trail. A lockout ends by itself, so an attacker cannot lock a real user out
for ever; the address's count is not reset by a success, so one good password does not open more
guesses at other accounts from the same address. Keys are digests: no username or address is
stored in the cache."""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse

from .services import audit


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def remote_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


class Guard:
    """One credential endpoint's limiter. ``settings_prefix`` names its three settings:
    ``<prefix>_FAILURES_PER_ACCOUNT``, ``<prefix>_FAILURES_PER_ADDRESS``, ``<prefix>_WINDOW_SECONDS``
    (read on every call, so a deployment or a test may change them)."""

    def __init__(self, scope: str, *, actor: str, settings_prefix: str = "CREDENTIAL"):
        self.prefix = scope  # the audit action is "<scope>.locked"
        self.actor = actor
        self.settings_prefix = settings_prefix

    def _setting(self, name: str) -> int:
        return int(getattr(settings, f"{self.settings_prefix}_{name}"))

    @property
    def window(self) -> int:
        return self._setting("WINDOW_SECONDS")

    def _keys(self, request, account: str) -> list[tuple[str, str, int]]:
        """(cache key, what is counted as the audit names it, limit) for the account and the
        address."""
        account = account.strip().lower()
        address = remote_address(request)
        return [
            (
                f"{self.prefix}:account:{_digest(account)}",
                f"account {account[:100]}",
                self._setting("FAILURES_PER_ACCOUNT"),
            ),
            (
                f"{self.prefix}:address:{_digest(address)}",
                f"address {address}",
                self._setting("FAILURES_PER_ADDRESS"),
            ),
        ]

    def check(self, request, account: str) -> Attempt:
        """Whether this attempt must wait, and what it found: one read of the cache (the
        account's and the address's lockouts and the account's count of failures)."""
        keys = self._keys(request, account)
        account_key = keys[0][0]
        found = cache.get_many([*(f"{key}:until" for key, _, _ in keys), account_key])
        now = time.time()
        waits = [
            until - now
            for key, until in found.items()
            if key != account_key and until and until > now
        ]
        return Attempt(
            self,
            request,
            account,
            wait=math.ceil(max(waits)) if waits else None,
            account_failures=found.get(account_key) is not None,
        )

    def wait_seconds(self, request, account: str) -> int | None:
        return self.check(request, account).wait

    def failed(self, request, account: str) -> None:
        window = self.window
        for key, what, limit in self._keys(request, account):
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
                    self.actor,
                    f"{self.prefix}.locked",
                    target=what,
                    detail={"failures": count, "seconds": window},
                )


@dataclass(frozen=True)
class Attempt:
    """One credential check under a ``Guard``: ``wait`` seconds (None: go on), then
    ``failed()`` or ``succeeded()``."""

    guard: Guard
    request: Any
    account: str
    wait: int | None
    account_failures: bool  # the account had failures counted when the attempt began

    def failed(self) -> None:
        self.guard.failed(self.request, self.account)

    def succeeded(self) -> None:
        """Clears the account's count of failures (not the address's); no write, and no read,
        when it had none: the common case costs the one read of ``Guard.check``."""
        if self.account_failures:
            cache.delete(self.guard._keys(self.request, self.account)[0][0])


def too_many_attempts_page(wait: int) -> HttpResponse:
    response = HttpResponse(
        "<!doctype html><title>Too many attempts</title>"
        "<h1>Too many failed attempts</h1>"
        f"<p>Try again in {wait} seconds.</p>",
        status=429,
    )
    response["Retry-After"] = str(wait)
    return response


def guarded_login(guard: Guard, username_field: str = "username") -> Callable:
    """Wrap a Django login view (a form page: 200 with the form again on a failure, a redirect on
    success) with ``guard``, for the views we do not write ourselves (``/admin/login/``)."""

    def decorate(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if request.method != "POST":
                return view(request, *args, **kwargs)
            account = request.POST.get(username_field, "")
            attempt = guard.check(request, account)
            if attempt.wait:
                return too_many_attempts_page(attempt.wait)
            response = view(request, *args, **kwargs)
            if response.status_code == 200:
                attempt.failed()
            elif 300 <= response.status_code < 400:
                attempt.succeeded()
            return response

        return guarded

    return decorate
