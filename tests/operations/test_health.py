"""/healthz, /readyz and /metrics: JSON (or Prometheus text), no credentials, nothing secret."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from pulsebridge.operations import health
from pulsebridge.webhooks.models import Delivery, Event, WebhookEndpoint


def test_healthz_answers_without_credentials_or_a_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


def test_readyz_is_unavailable_until_a_worker_has_beaten(client, db):
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"] == {"ok": True}
    assert checks["worker"] == {"ok": False, "detail": "no background worker has ever run"}
    health.beat("w1", timezone.now())
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "ok"
    assert response.json()["checks"]["outbox"]["ok"] is True


def test_readyz_is_unavailable_when_the_last_heartbeat_is_old(client, db):
    health.beat("w1", timezone.now(), now=timezone.now() - timedelta(minutes=5))
    response = client.get("/readyz")
    assert response.status_code == 503
    worker = response.json()["checks"]["worker"]
    assert worker["ok"] is False
    assert worker["last_heartbeat_seconds_ago"] >= 299


def late_delivery(company, minutes: int) -> Delivery:
    endpoint = WebhookEndpoint.objects.create(
        company=company, url="https://receiver.example/hook", secret="whsec_x", format="pylo"
    )
    now = timezone.now()
    event = Event.objects.create(
        company=company, type="DEVICE_MEASUREMENT", created_at=now, subject_id="m1"
    )
    return Delivery.objects.create(
        company=company,
        event=event,
        endpoint=endpoint,
        webhook_id=f"msg_{uuid.uuid4().hex}",
        body="{}",
        created_at=now,
        next_attempt_at=now - timedelta(minutes=minutes),
    )


def test_readyz_is_unavailable_while_the_outbox_falls_behind(client, alice):
    health.beat("w1", timezone.now())
    late_delivery(alice, minutes=10)
    response = client.get("/readyz")
    assert response.status_code == 503
    outbox = response.json()["checks"]["outbox"]
    assert outbox["ok"] is False
    assert outbox["due"] == 1
    assert outbox["oldest_due_seconds"] >= 599
    with override_settings(READYZ_OUTBOX_LAG_SECONDS=3600):
        assert client.get("/readyz").status_code == 200


def test_readyz_says_redis_is_down_without_saying_where_it_is(client, db):
    health.beat("w1", timezone.now())
    unreachable = "redis://127.0.0.1:9/0"
    cache = {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": unreachable}
    with override_settings(REDIS_URL=unreachable, CACHES={"default": cache}):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"] == {"ok": False, "error": "ConnectionError"}
    assert b"127.0.0.1" not in response.content


def test_readyz_checks_a_running_redis(client, db):
    import redis

    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_timeout=2).ping()
    except redis.RedisError:
        from tests.conftest import missing_service

        missing_service("Redis is not running on 127.0.0.1:6379")
    health.beat("w1", timezone.now())
    cache = {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": url}
    with override_settings(REDIS_URL=url, CACHES={"default": cache}):
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["redis"] == {"ok": True}


def scrape(client, **headers) -> dict[str, list]:
    response = client.get("/metrics", **headers)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    families = text_string_to_metric_families(response.content.decode())
    return {family.name: family.samples for family in families}


def value(samples, name: str, **labels) -> float:
    return sum(
        s.value
        for s in samples
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    )


def test_metrics_count_requests_by_dialect_route_and_status(client, db):
    before = scrape(client)
    client.get("/pylo/devices")  # no key: 401
    after = scrape(client)
    name = "pulsebridge_http_requests_total"
    labels = {"dialect": "pylo", "route": "pylo/devices", "status": "401"}
    assert value(after[name.removesuffix("_total")], name, **labels) == (
        value(before.get(name.removesuffix("_total"), []), name, **labels) + 1
    )
    latency = after["pulsebridge_http_request_duration_seconds"]
    assert value(latency, "pulsebridge_http_request_duration_seconds_count", dialect="pylo") >= 1


def test_metrics_show_the_outbox_and_the_readings_stored(client, alice, make_key, add_device):
    late_delivery(alice, minutes=2)
    device = add_device(alice, "PY-802-LTE")
    name = "pulsebridge_readings_stored_total"
    before = value(
        scrape(client).get("pulsebridge_readings_stored", []), name, kind="blood_pressure"
    )
    reading = {
        "imei": device.imei,
        "kind": "blood_pressure",
        "measured_at": "2026-11-01T08:00:00Z",
        "values": {"systolic": 129, "diastolic": 84, "pulse": 62},
    }
    key = make_key(alice, "ingest")
    posted = client.post(
        "/ingest/v1/measurements", reading, content_type="application/json", HTTP_X_API_KEY=key
    )
    assert posted.status_code == 200
    client.post(  # the same again: a duplicate, not counted
        "/ingest/v1/measurements", reading, content_type="application/json", HTTP_X_API_KEY=key
    )
    families = scrape(client)
    assert value(families["pulsebridge_readings_stored"], name, kind="blood_pressure") == before + 1
    # the reading made deliveries for the endpoint too (the reading, the device's activation)
    assert value(families["pulsebridge_outbox_pending"], "pulsebridge_outbox_pending") == 3
    oldest = value(
        families["pulsebridge_outbox_oldest_due_seconds"], "pulsebridge_outbox_oldest_due_seconds"
    )
    assert oldest >= 119


def test_metrics_count_throttled_requests_by_limit(client, alice, make_key):
    key = make_key(alice, "pylo", rate_per_second=1)
    name = "pulsebridge_throttled_requests_total"
    before = value(
        scrape(client).get("pulsebridge_throttled_requests", []), name, limit="per_second"
    )
    statuses = [client.get("/pylo/devices", HTTP_X_API_KEY=key).status_code for _ in range(3)]
    assert 429 in statuses
    after = value(scrape(client)["pulsebridge_throttled_requests"], name, limit="per_second")
    assert after == before + statuses.count(429)


@override_settings(METRICS_TOKEN="metrics-token-0123456789")
def test_metrics_ask_for_the_bearer_token_when_one_is_set(client, db):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert scrape(client, HTTP_AUTHORIZATION="Bearer metrics-token-0123456789")


def test_every_answer_carries_a_request_id_and_keeps_a_sane_one_given(client, db):
    assert len(client.get("/healthz")["X-Request-ID"]) == 32
    assert client.get("/healthz", HTTP_X_REQUEST_ID="abc-123")["X-Request-ID"] == "abc-123"
    assert client.get("/healthz", HTTP_X_REQUEST_ID="a b\n")["X-Request-ID"] != "a b\n"


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_they_answer_get_only(client, db, path):
    assert client.post(path).status_code == 405
