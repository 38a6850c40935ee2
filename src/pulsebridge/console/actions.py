"""Every change the console makes: one domain service call and its audit entry, in one
transaction, so that an action is never done without being recorded (nor recorded undone)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction

from pulsebridge.core.services import audit
from pulsebridge.lib.commands import validation_message
from pulsebridge.lib.errors import DomainError


class InputError(DomainError):
    """A form field the console checks before any service sees it (a number, a choice)."""


@dataclass
class Done:
    ok: bool
    result: Any = None
    error: str = ""


def act(
    request,
    action: str,
    change: Callable[[], Any],
    *,
    target: str | Callable[[Any], str] = "",
    patient: str = "",
    detail: dict[str, Any] | None = None,
    success: str | Callable[[Any], str] = "",
) -> Done:
    """Run ``change`` (a domain service call) and write the audit entry ``action`` of the
    acting seat. A refusal of the domain becomes an error message for the person, not a 500."""
    seat = request.seat
    try:
        with transaction.atomic():
            result = change()
            audit(
                seat.company,
                seat.actor,
                action,
                target=target(result) if callable(target) else target,
                patient=patient,
                detail=detail,
            )
    except DomainError as exc:
        messages.error(request, str(exc))
        return Done(False, error=str(exc))
    except ValidationError as exc:
        message = validation_message(exc)
        messages.error(request, message)
        return Done(False, error=message)
    text = success(result) if callable(success) else success
    if text:
        messages.success(request, text)
    return Done(True, result)


def record_read(request, action: str, *, target: str = "", patient: str = "", detail=None):
    """A read of health data (a patient's page, a document): logged as any change is."""
    seat = request.seat
    audit(seat.company, seat.actor, action, target=target, patient=patient, detail=detail)
