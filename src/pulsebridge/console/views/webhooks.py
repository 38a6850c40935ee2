"""Screen 5: webhook endpoints (add with a secret shown once, disable, enable, events) and
deliveries with every attempt, failed ones first, and replay: ``webhooks.services`` and the
dispatcher, as ``pulsebridge webhook ...``."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Case, IntegerField, Value, When
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from pulsebridge.webhooks import dispatch, services
from pulsebridge.webhooks.models import Delivery, EventType, WebhookEndpoint

from ..access import screen
from ..actions import act
from .common import back, is_htmx, page_of, uuid_or_404

DELIVERIES_PER_PAGE = 20


def _deliveries(request):
    company = request.seat.company
    deliveries = (
        Delivery.objects.for_company(company)
        .select_related("event", "endpoint")
        .prefetch_related("attempt_log")
        .defer("body", "headers")
        .annotate(
            rank=Case(
                When(status=Delivery.Status.FAILED, then=Value(0)),
                When(status=Delivery.Status.PENDING, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
    )
    status = request.GET.get("status")
    if status in Delivery.Status.values:
        deliveries = deliveries.filter(status=status)
    return page_of(request, deliveries.order_by("rank", "-created_at", "-id"), DELIVERIES_PER_PAGE)


def _context(request, **extra) -> dict:
    company = request.seat.company
    return {
        "endpoints": services.list_endpoints(company),
        "formats": services.formats(),
        "event_types": EventType.values,
        "deliveries": _deliveries(request),
        "status": request.GET.get("status", ""),
        "statuses": Delivery.Status.values,
        "may_change": request.seat.may_change("webhooks"),
        **extra,
    }


@screen("webhooks")
def webhooks(request):
    if is_htmx(request) and request.GET.get("part") == "deliveries":
        return render(request, "console/_deliveries.html", _context(request))
    return render(request, "console/webhooks.html", _context(request))


@require_POST
@screen("webhooks", change=True)
def add_endpoint(request):
    company = request.seat.company
    url = request.POST.get("url", "").strip()
    fmt = request.POST.get("format", "")
    events = request.POST.getlist("events")
    secret = services.new_secret()
    done = act(
        request,
        "webhook.endpoint.add",
        lambda: services.create_endpoint(company, url, secret, fmt, events),
        target=lambda endpoint: str(endpoint.pk),
        detail={"url": url[:200], "format": fmt, "events": events},
        success="Endpoint added. Copy its signing secret now: it is not shown again.",
    )
    # The secret is shown in this answer only (never put in a cookie or the session).
    extra = {"new_endpoint": done.result, "new_secret": secret} if done.ok else {}
    if not done.ok:
        extra["form"] = {"url": url, "format": fmt, "events": events}
    return render(request, "console/webhooks.html", _context(request, **extra))


def _endpoint(request, endpoint_id) -> WebhookEndpoint:
    return get_object_or_404(
        WebhookEndpoint.objects.for_company(request.seat.company), pk=uuid_or_404(endpoint_id)
    )


@require_POST
@screen("webhooks", change=True)
def endpoint_state(request, endpoint_id):
    endpoint = _endpoint(request, endpoint_id)
    if request.POST.get("action") == "disable":
        act(
            request,
            "webhook.endpoint.disable",
            lambda: services.disable_endpoint(endpoint) if endpoint.enabled else 0,
            target=str(endpoint.pk),
            success=lambda failed: f"Endpoint disabled; {failed} pending deliveries failed.",
        )
    else:
        act(
            request,
            "webhook.endpoint.enable",
            lambda: services.enable_endpoint(endpoint),
            target=str(endpoint.pk),
            success="Endpoint enabled.",
        )
    return back(request, reverse("console:webhooks"))


@require_POST
@screen("webhooks", change=True)
def endpoint_events(request, endpoint_id):
    endpoint = _endpoint(request, endpoint_id)
    events = request.POST.getlist("events")
    act(
        request,
        "webhook.endpoint.events",
        lambda: services.change_endpoint(endpoint, event_types=events),
        target=str(endpoint.pk),
        detail={"events": events},
        success="Events changed." if events else "Events changed: every event type.",
    )
    return back(request, reverse("console:webhooks"))


@require_POST
@screen("webhooks", change=True)
def replay(request, delivery_id):
    delivery = get_object_or_404(
        Delivery.objects.for_company(request.seat.company).select_related("endpoint"),
        pk=uuid_or_404(delivery_id),
    )
    done = act(
        request,
        "webhook.delivery.replay",
        lambda: services.replay_delivery(delivery),
        target=str(delivery.pk),
        detail={"webhook_id": delivery.webhook_id},
    )
    if done.ok:
        # Sent now, outside the audit's transaction, as `pulsebridge webhook replay` does; a
        # worker that claims it first sends it instead.
        outcomes = dispatch.deliver_due(ids=[delivery.pk])

        if outcomes and outcomes[0].ok:
            messages.success(request, f"Delivered again: HTTP {outcomes[0].status_code}.")
        elif outcomes:
            reason = outcomes[0].error or f"HTTP {outcomes[0].status_code}"
            messages.error(request, f"Sent again and failed ({reason}); it will be retried.")
        else:
            messages.success(request, "Queued for the worker.")
    if is_htmx(request):
        return render(request, "console/_deliveries_action.html", _context(request))
    return back(request, reverse("console:webhooks"))
