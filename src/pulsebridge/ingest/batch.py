"""A batch of the ingest API: every item parsed on its own, the valid ones stored together, and
each item's outcome reported at its own index."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from pulsebridge.core.models import Company
from pulsebridge.lib.outcomes import Outcome
from pulsebridge.readings.validation import ItemError

T = TypeVar("T")


def record_each(
    parse: Callable[[Any, datetime | None], T],
    record: Callable[..., list[Outcome]],
    company: Company,
    items: Sequence[Any],
    now: datetime | None = None,
) -> list[Outcome]:
    """``parse`` every item (an ItemError is that item's outcome), ``record`` the parsed ones
    (outcomes by their position among them), and answer every outcome by the item's index."""
    outcomes: dict[int, Outcome] = {}
    parsed: list[T] = []
    positions: list[int] = []
    for index, item in enumerate(items):
        try:
            parsed.append(parse(item, now))
            positions.append(index)
        except ItemError as exc:
            outcomes[index] = Outcome(index, "error", errors=exc.errors)
    for outcome in record(company, parsed, now=now) if parsed else []:
        outcome.index = positions[outcome.index]
        outcomes[outcome.index] = outcome
    return [outcomes[i] for i in sorted(outcomes)]
