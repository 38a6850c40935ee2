"""The owner's screen of users (create, role, deactivate) and the company's settings, through
``core.services``."""

from __future__ import annotations

from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from pulsebridge.core.models import Company, Membership
from pulsebridge.core.services import (
    NewUser,
    change_role,
    create_user,
    members,
    set_user_active,
    update_company,
)

from ..access import screen
from ..actions import act
from .common import back


def _context(request, **extra):
    return {
        "members": members(request.seat.company),
        "roles": Membership.Role.values,
        "weight_units": Company.WeightUnit.values,
        **extra,
    }


@screen("team")
def team(request):
    return render(request, "console/team.html", _context(request))


@require_POST
@screen("team", change=True)
def add_user(request):
    post = request.POST
    new = NewUser(
        username=post.get("username", "")[:150],
        password=post.get("password", ""),
        email=post.get("email", "")[:254],
        first_name=post.get("first_name", "")[:150],
        last_name=post.get("last_name", "")[:150],
        role=post.get("role", Membership.Role.VIEWER),
    )
    act(
        request,
        "user.create",
        lambda: create_user(request.seat.company, new),
        target=new.username,
        detail={"role": new.role},
        success=f"User {new.username} created ({new.role}).",
    )
    return back(request, reverse("console:team"))


def _membership(request, membership_id) -> Membership:
    return get_object_or_404(
        Membership.objects.for_company(request.seat.company).select_related("user"),
        pk=membership_id,
    )


@require_POST
@screen("team", change=True)
def set_role(request, membership_id):
    membership = _membership(request, membership_id)
    role = request.POST.get("role", "")
    before = membership.role
    act(
        request,
        "user.role",
        lambda: change_role(membership, role),
        target=membership.user.get_username(),
        detail={"from": before, "to": role},
        success=f"{membership.user.get_username()} is now {role}.",
    )
    return back(request, reverse("console:team"))


@require_POST
@screen("team", change=True)
def set_active(request, membership_id):
    membership = _membership(request, membership_id)
    active = request.POST.get("active") == "yes"
    act(
        request,
        "user.activate" if active else "user.deactivate",
        lambda: set_user_active(membership, active),
        target=membership.user.get_username(),
        success=f"{membership.user.get_username()} {'may' if active else 'may no longer'} sign in.",
    )
    return back(request, reverse("console:team"))


@require_POST
@screen("team", change=True)
def settings(request):
    unit = request.POST.get("weight_unit", "")
    zone = request.POST.get("time_zone")  # None: a form without the field
    act(
        request,
        "company.settings",
        lambda: update_company(request.seat.company, weight_unit=unit, time_zone=zone),
        target=request.seat.company.code,
        detail={"weight_unit": unit, "time_zone": (zone or "")[:64]},
        success=f"Weights are now shown in {unit}"
        + (f"; days are counted in {zone}." if zone else "."),
    )
    return back(request, reverse("console:team"))
