"""Failed console sign-ins, limited per account and per remote address by the shared credential
lockout (core.lockout): after ``CONSOLE_SIGNIN_FAILURES_PER_ACCOUNT`` failures for one username, or
``..._PER_ADDRESS`` from one address, within ``CONSOLE_SIGNIN_WINDOW_SECONDS``, further attempts
are refused until the window has passed, and the lockout is written to the audit trail."""

from __future__ import annotations

from pulsebridge.core.lockout import Guard, remote_address

__all__ = ["GUARD", "remote_address"]

GUARD = Guard("console.signin", actor="console", settings_prefix="CONSOLE_SIGNIN")
