"""``GET /healthz`` (the process answers), ``GET /readyz`` (it can do its work: the database
answers, Redis too when configured, a background worker beat recently, the outbox is not
falling behind) and ``GET /metrics`` (Prometheus). JSON, no credentials asked (but /metrics
asks for ``METRICS_TOKEN`` when it is set), nothing secret in the answers: a failing check
names the kind of error, never its text (which may hold a host name or a user)."""

from __future__ import annotations

import hmac
import os
import socket
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_safe
from prometheus_client.core import GaugeMetricFamily

from pulsebridge.lib import metrics
from pulsebridge.webhooks.outbox import outbox_state

from .models import WorkerHeartbeat

# --- the worker's heartbeat -------------------------------------------------------------------


def beat(worker_id: str, started_at: datetime, now: datetime | None = None) -> None:
    """Written by each background worker every WORKER_HEARTBEAT_SECONDS."""
    now = now or timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
            "started_at": started_at,
            "beat_at": now,
        },
    )
    WorkerHeartbeat.objects.filter(beat_at__lt=now - timedelta(days=1)).delete()


def last_beat() -> datetime | None:
    return WorkerHeartbeat.objects.order_by("-beat_at").values_list("beat_at", flat=True).first()


# --- the checks -------------------------------------------------------------------------------


def _database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"ok": True}


def _redis() -> dict:
    from django_redis import get_redis_connection

    get_redis_connection("default").ping()
    return {"ok": True}


def _worker(now: datetime) -> dict:
    beat_at = last_beat()
    if beat_at is None:
        return {"ok": False, "detail": "no background worker has ever run"}
    age = (now - beat_at).total_seconds()
    limit = settings.READYZ_WORKER_HEARTBEAT_SECONDS
    return {"ok": age <= limit, "last_heartbeat_seconds_ago": round(age, 1), "limit": limit}


def _outbox(now: datetime) -> dict:
    state = outbox_state(now)
    limit = settings.READYZ_OUTBOX_LAG_SECONDS
    return {
        "ok": state.oldest_due_seconds <= limit,
        "due": state.due,
        "oldest_due_seconds": round(state.oldest_due_seconds, 1),
        "limit": limit,
    }


def _checked(check, *args) -> dict:
    try:
        return check(*args)
    except Exception as exc:  # any failure is the answer, not a 500
        return {"ok": False, "error": type(exc).__name__}


def readiness(now: datetime | None = None) -> dict[str, dict]:
    now = now or timezone.now()
    checks = {"database": _checked(_database)}
    if settings.REDIS_URL:
        checks["redis"] = _checked(_redis)
    if checks["database"]["ok"]:
        if settings.READYZ_REQUIRE_WORKER:
            checks["worker"] = _checked(_worker, now)
        checks["outbox"] = _checked(_outbox, now)
    return checks


# --- the views --------------------------------------------------------------------------------


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def healthz(request):
    return _no_store(JsonResponse({"status": "ok"}))


@require_safe
def readyz(request):
    checks = readiness()
    ready = all(check["ok"] for check in checks.values())
    body = {"status": "ok" if ready else "unavailable", "checks": checks}
    return _no_store(JsonResponse(body, status=200 if ready else 503))


class OutboxCollector:
    """The outbox's depth and lag, read from the database when /metrics is read."""

    def collect(self):
        try:
            state = outbox_state()
        except DatabaseError:
            return
        pending = GaugeMetricFamily(
            "pulsebridge_outbox_pending", "Webhook deliveries waiting, now or for a later retry."
        )
        pending.add_metric([], state.pending)
        due = GaugeMetricFamily("pulsebridge_outbox_due", "Webhook deliveries due now.")
        due.add_metric([], state.due)
        oldest = GaugeMetricFamily(
            "pulsebridge_outbox_oldest_due_seconds",
            "How long the oldest due webhook delivery has waited past its time.",
        )
        oldest.add_metric([], state.oldest_due_seconds)
        yield from (pending, due, oldest)


@require_safe
def metrics_view(request):
    token = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            response = JsonResponse({"detail": "a bearer token is required"}, status=401)
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return _no_store(response)
    body = metrics.exposition_with(OutboxCollector())
    return _no_store(HttpResponse(body, content_type="text/plain; version=0.0.4; charset=utf-8"))
