"""Who is acting, for which company, with which role: every console view starts here.

A user acts for the company of their membership. Staff (``is_staff``) may switch to another
company for the session (audited); they keep their own role there, and a superuser without a
membership acts as an owner. What a role may read or change is ``core.roles``' table."""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render

from pulsebridge.core import roles
from pulsebridge.core.models import Company, Membership
from pulsebridge.core.services import membership_of

SWITCHED_COMPANY = "console_company"


@dataclass(frozen=True)
class Seat:
    """The acting user, the company they act for and their role in it."""

    user: Any
    company: Company
    role: str
    home: Company | None  # the company of their membership

    @property
    def actor(self) -> str:
        return self.user.get_username()

    @property
    def switched(self) -> bool:
        return self.home is None or self.home.pk != self.company.pk

    def may_read(self, area: str) -> bool:
        return roles.may_read(self.role, area)

    def may_change(self, area: str) -> bool:
        return roles.may_change(self.role, area)

    @property
    def areas(self) -> list[str]:
        return roles.readable_areas(self.role)


def seat_of(request) -> Seat | None:
    user = request.user
    if not user.is_authenticated or not user.is_active:
        return None
    membership = membership_of(user)
    home = membership.company if membership else None
    role = membership.role if membership else None
    company = home
    if user.is_staff:
        switched = request.session.get(SWITCHED_COMPANY)
        if switched:
            company = Company.objects.filter(pk=switched).first() or home
        if role is None and user.is_superuser:
            role = Membership.Role.OWNER
    if company is None or role is None:
        return None
    return Seat(user=user, company=company, role=role, home=home)


def forbidden(request, message: str, status: int = 403):
    return render(request, "console/403.html", {"message": message}, status=status)


def screen(area: str, *, change: bool = False):
    """A view of ``area``: the user must be signed in (else the sign-in page, then back here),
    act for a company, and have a role that may read it (or change it, with ``change``).
    The view finds the Seat on ``request.seat``."""

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            seat = seat_of(request)
            if seat is None:
                return forbidden(request, "Your account belongs to no company.")
            request.seat = seat
            allowed = seat.may_change(area) if change else seat.may_read(area)
            if not allowed:
                verb = "change" if change else "open"
                return forbidden(
                    request, f"Your role ({seat.role}) may not {verb} the {area} screen."
                )
            return view(request, *args, **kwargs)

        wrapped.console_area = area
        return wrapped

    return decorate


def signed_in(view):
    """A view for any signed-in user of a company, whatever their role."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        seat = seat_of(request)
        if seat is None:
            return forbidden(request, "Your account belongs to no company.")
        request.seat = seat
        return view(request, *args, **kwargs)

    return wrapped
