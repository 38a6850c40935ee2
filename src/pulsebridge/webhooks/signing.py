"""Standard Webhooks signatures (https://www.standardwebhooks.com/), added to every delivery of every
format on top of the format's own signature (Pylo's ``signature`` field, Tenovi's auth header)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

SECRET_PREFIX = "whsec_"  # noqa: S105 (the format marker, not a secret)


def signing_key(secret: str) -> bytes:
    """The HMAC key for a secret.

    A secret in the Standard Webhooks form ``whsec_<base64>`` is used as the spec says (the
    decoded bytes), so a receiver can pass it unchanged to a Standard Webhooks library; any other
    secret (the Pylo document shares a plain string) is used as its UTF-8 bytes."""
    if secret.startswith(SECRET_PREFIX):
        try:
            return base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
        except binascii.Error:
            pass
    return secret.encode()


def sign(secret: str, webhook_id: str, timestamp: int, body: str) -> str:
    """``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``: the value of ``webhook-signature``."""
    message = f"{webhook_id}.{timestamp}.{body}".encode()
    digest = hmac.new(signing_key(secret), message, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def standard_headers(secret: str, webhook_id: str, timestamp: int, body: str) -> dict[str, str]:
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, webhook_id, timestamp, body),
    }
