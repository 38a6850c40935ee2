"""Signing in and out, the home page, and staff switching company."""

from __future__ import annotations

from django.contrib.auth import authenticate, login, logout
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from pulsebridge.core.models import Company
from pulsebridge.core.services import audit

from ..access import SWITCHED_COMPANY, seat_of, signed_in
from ..signin import GUARD

DIALECT_DOCS = [
    ("Pylo RPM", "/api/docs/pylo/"),
    ("Tenovi HWI", "/api/docs/tenovi/"),
    ("Hayylo Inbound", "/api/docs/hayylo/"),
    ("PING customer API", "/api/docs/ping/"),
]
FIRST_SCREEN = {
    "patients": "console:patients",
    "devices": "console:devices",
    "orders": "console:orders",
    "trackers": "console:trackers",
    "webhooks": "console:webhooks",
    "imports": "console:imports",
    "keys": "console:keys",
}


def _home_of(seat) -> str:
    for area in seat.areas:
        if area in FIRST_SCREEN:
            return reverse(FIRST_SCREEN[area])
    return reverse("console:signin")


def _next(request) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def signin(request):
    """``/``: the sign-in page when signed out, else the first screen the role may open."""
    seat = seat_of(request)
    if seat is not None and request.method != "POST":
        return redirect(_home_of(seat))
    context = {"docs": DIALECT_DOCS, "next": _next(request) or "", "error": ""}
    if request.method != "POST":
        return render(request, "console/signin.html", context)
    username = request.POST.get("username", "")[:150]
    password = request.POST.get("password", "")
    context["username"] = username
    attempt = GUARD.check(request, username)
    wait = attempt.wait
    if wait is not None:
        context["error"] = (
            f"Too many failed sign-ins. Try again in {max(1, round(wait / 60))} minute(s)."
        )
        response = render(request, "console/signin.html", context, status=429)
        response["Retry-After"] = str(wait)
        return response
    user = authenticate(request, username=username, password=password) if username else None
    seat = None
    if user is not None:
        login(request, user)  # a new session key: no fixation
        seat = seat_of(request)
    if seat is None:
        if user is not None:
            logout(request)
        attempt.failed()
        context["error"] = "The username or password is wrong, or the account has no company."
        return render(request, "console/signin.html", context, status=200)
    attempt.succeeded()
    audit(seat.company, seat.actor, "console.signin")
    return redirect(_next(request) or _home_of(seat))


@require_POST
def signout(request):
    seat = seat_of(request)
    if seat is not None:
        audit(seat.company, seat.actor, "console.signout")
    logout(request)
    return redirect("console:signin")


@require_POST
@signed_in
def switch_company(request):
    """Staff act for another company for the rest of the session; both companies' audit
    trails say so."""
    seat = request.seat
    if not seat.user.is_staff:
        return HttpResponse("Only staff may switch company.", status=403)
    target = Company.objects.filter(code=request.POST.get("company", "")).first()
    if target is None:
        return HttpResponse("No such company.", status=404)
    if target.pk != seat.company.pk:
        detail = {"from": seat.company.code, "to": target.code}
        audit(seat.company, seat.actor, "console.company.leave", target=target.code, detail=detail)
        audit(target, seat.actor, "console.company.switch", target=target.code, detail=detail)
        if seat.home is not None and target.pk == seat.home.pk:
            request.session.pop(SWITCHED_COMPANY, None)
        else:
            request.session[SWITCHED_COMPANY] = str(target.pk)
    return redirect("console:signin")
