"""Screen 7: API keys per dialect (create, shown once; revoke; plan; usage this month) and the
PING applications of the company's users (``core.apikeys``, ``tracking.applications``)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from pulsebridge.core.apikeys import create_api_key, revoke_api_key
from pulsebridge.core.models import ApiKey
from pulsebridge.core.services import members
from pulsebridge.core.throttle import usage_this_month
from pulsebridge.tracking.applications import (
    GRANT_TYPES,
    Application,
    create_application,
    delete_application,
)

from ..access import screen
from ..actions import InputError, act
from .common import back, uuid_or_404


def _context(request, **extra) -> dict:
    company = request.seat.company
    keys = list(
        ApiKey.objects.for_company(company)
        .select_related("plan")
        .order_by("dialect", "-created_at")
    )
    usage = usage_this_month(keys)
    return {
        "keys": [{"key": k, "usage": usage.get(k.pk)} for k in keys],
        "dialects": ApiKey.Dialect.values,
        "applications": Application.objects.filter(user__membership__company=company)
        .select_related("user")
        .order_by("name", "pk"),
        "grant_types": GRANT_TYPES,
        "users": [m.user for m in members(company)],
        **extra,
    }


@screen("keys")
def keys(request):
    return render(request, "console/keys.html", _context(request))


def _positive(text: str, name: str) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    if not text.isdigit() or int(text) < 1:
        raise InputError(f"{name}: a whole number of at least 1, or empty")
    return int(text)


@require_POST
@screen("keys", change=True)
def create_key(request):
    company = request.seat.company
    dialect = request.POST.get("dialect", "")

    def create():
        if dialect not in ApiKey.Dialect.values:
            raise InputError(
                f"{dialect!r} is not a dialect; one of {', '.join(ApiKey.Dialect.values)}"
            )
        return create_api_key(
            company,
            dialect,
            rate_per_second=_positive(request.POST.get("rate_per_second"), "requests per second"),
            monthly_quota=_positive(request.POST.get("monthly_quota"), "requests per month"),
            with_plan=request.POST.get("plan", "with") != "none",
        )

    done = act(
        request,
        "apikey.create",
        create,
        target=lambda issued: issued.api_key.prefix,
        detail={"dialect": dialect},
        success="Key created. Copy it now: it is not shown again.",
    )
    extra = (
        {"new_key": done.result.key, "new_key_prefix": done.result.api_key.prefix}
        if done.ok
        else {}
    )
    return render(request, "console/keys.html", _context(request, **extra))


@require_POST
@screen("keys", change=True)
def revoke_key(request, key_id):
    api_key = get_object_or_404(
        ApiKey.objects.for_company(request.seat.company), pk=uuid_or_404(key_id)
    )
    act(
        request,
        "apikey.revoke",
        lambda: revoke_api_key(api_key.prefix),
        target=api_key.prefix,
        success=f"Key {api_key.prefix} revoked.",
    )
    return back(request, reverse("console:keys"))


@require_POST
@screen("keys", change=True)
def create_app(request):
    company = request.seat.company
    name = request.POST.get("name", "").strip()[:255]
    grant = request.POST.get("grant", "")
    uris = request.POST.get("redirect_uris", "").split()
    chosen = request.POST.get("user", "")
    user = (
        get_user_model().objects.filter(pk=int(chosen), membership__company=company).first()
        if chosen.isdigit()
        else None
    )

    def create():
        if user is None or not name:
            raise InputError("an application needs a name and a user of this company")
        return create_application(user, name=name, grant_type=grant, redirect_uris=uris)

    done = act(
        request,
        "application.create",
        create,
        target=lambda made: str(made[0].client_id),
        detail={"name": name, "grant": grant},
        success="Application created. Copy its client secret now: it is not shown again.",
    )
    extra = {}
    if done.ok:
        application, secret = done.result
        extra = {"new_app": application, "new_app_secret": secret}
    return render(request, "console/keys.html", _context(request, **extra))


@require_POST
@screen("keys", change=True)
def delete_app(request, app_id):
    application = get_object_or_404(
        Application.objects.filter(user__membership__company=request.seat.company), pk=app_id
    )
    act(
        request,
        "application.delete",
        lambda: delete_application(application),
        target=str(application.client_id),
        success=f"Application {application.name} deleted; its tokens no longer work.",
    )
    return back(request, reverse("console:keys"))
