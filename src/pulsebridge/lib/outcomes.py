"""The per-item outcome of a batch (readings, tracker events): each item succeeds or fails on
its own, and the answer says which by index."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Outcome:
    index: int
    status: str  # "created", "duplicate" or "error"
    id: str | int | None = None
    errors: dict[str, str] | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"index": self.index, "status": self.status}
        if self.id is not None:
            out["id"] = self.id
        if self.errors:
            out["errors"] = self.errors
        return out
