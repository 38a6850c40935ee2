"""A fast keyed hash for machine secrets (OAuth client secrets), beside argon2 for passwords.

A client secret is 128 random characters: nobody can guess it, so a slow hash buys nothing and
costs every token request a third of a second of CPU (argon2 at 100 MiB). As API keys are, it is
stored as a SHA-256 digest, here an HMAC-SHA256 keyed with a random salt of its own, compared in
constant time. Nothing depends on SECRET_KEY: rotating it must not invalidate every client.

The hasher is listed in ``PASSWORD_HASHERS`` after argon2 only so that Django (and the OAuth
toolkit) can recognise the stored value; user passwords are always made with the first entry."""

from __future__ import annotations

import hashlib
import hmac

from django.contrib.auth.hashers import BasePasswordHasher, mask_hash
from django.utils.crypto import constant_time_compare

ALGORITHM = "pb_hmac_sha256"


class KeyedSecretHasher(BasePasswordHasher):
    algorithm = ALGORITHM

    def encode(self, password: str, salt: str) -> str:
        if password is None or not salt or "$" in salt:
            raise ValueError("a secret and a salt without '$' are needed")
        digest = hmac.new(salt.encode(), password.encode(), hashlib.sha256).hexdigest()
        return f"{self.algorithm}${salt}${digest}"

    def decode(self, encoded: str) -> dict:
        algorithm, salt, digest = encoded.split("$", 2)
        assert algorithm == self.algorithm
        return {"algorithm": algorithm, "hash": digest, "salt": salt}

    def verify(self, password: str, encoded: str) -> bool:
        decoded = self.decode(encoded)
        return constant_time_compare(encoded, self.encode(password, decoded["salt"]))

    def safe_summary(self, encoded: str) -> dict:
        decoded = self.decode(encoded)
        return {
            "algorithm": decoded["algorithm"],
            "salt": mask_hash(decoded["salt"], show=2),
            "hash": mask_hash(decoded["hash"]),
        }

    def must_update(self, encoded: str) -> bool:
        return False

    def harden_runtime(self, password: str, encoded: str) -> None:
        pass
