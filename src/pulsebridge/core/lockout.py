"""Failed credential checks, limited per account (or OAuth client) and per remote address.

Every endpoint that checks a password or a secret asks its ``Guard`` three questions: must this
attempt wait (and how many seconds), a check failed, one succeeded. Failures are counted in
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
from functools import wraps

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

    def wait_seconds(self, request, account: str) -> int | None:
        now = time.time()
        untils = cache.get_many([f"{key}:until" for key, _, _ in self._keys(request, account)])
        waits = [until - now for until in untils.values() if until and until > now]
        return math.ceil(max(waits)) if waits else None

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

    def succeeded(self, request, account: str) -> None:
        key = self._keys(request, account)[0][0]
        if cache.get(key) is not None:  # a read, not a write, on the common path (no failures)
            cache.delete(key)


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
            wait = guard.wait_seconds(request, account)
            if wait:
                return too_many_attempts_page(wait)
            response = view(request, *args, **kwargs)
            if response.status_code == 200:
                guard.failed(request, account)
            elif 300 <= response.status_code < 400:
                guard.succeeded(request, account)
            return response

        return guarded

    return decorate
