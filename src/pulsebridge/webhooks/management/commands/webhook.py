"""``pulsebridge webhook add|list|disable|enable|deliveries|replay``: operating webhook endpoints."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from pulsebridge.core.services import company_by_code as get_company
from pulsebridge.lib.commands import iso, positive_int
from pulsebridge.lib.errors import DomainError
from pulsebridge.webhooks import dispatch, services
from pulsebridge.webhooks.models import Delivery, EventType, WebhookEndpoint

EXCERPT_SHOWN = 80  # characters of an answer shown per attempt in the human listing


def parse_uuid(text: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a {what} id (a UUID)") from None


def get_endpoint(text: str) -> WebhookEndpoint:
    endpoint = (
        WebhookEndpoint.objects.select_related("company")
        .filter(pk=parse_uuid(text, "webhook endpoint"))
        .first()
    )
    if endpoint is None:
        raise CommandError(f"no webhook endpoint {text}")
    return endpoint


def endpoint_json(endpoint: WebhookEndpoint) -> dict[str, Any]:
    # The secret is never printed: it was given by the operator and stays with the receiver.
    return {
        "id": str(endpoint.pk),
        "url": endpoint.url,
        "format": endpoint.format,
        "events": list(endpoint.event_types),
        "enabled": endpoint.enabled,
        "disabled_reason": endpoint.disabled_reason,
        "created_at": iso(endpoint.created_at),
    }


def delivery_json(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": str(delivery.pk),
        "webhook_id": delivery.webhook_id,
        "event": delivery.event.type,
        "subject_id": delivery.event.subject_id,
        "endpoint": str(delivery.endpoint_id),
        "url": delivery.endpoint.url,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "created_at": iso(delivery.created_at),
        "next_attempt_at": iso(delivery.next_attempt_at),
        "last_error": delivery.last_error,
        "log": [
            {
                "at": iso(a.at),
                "status_code": a.status_code,
                "latency_ms": a.latency_ms,
                "error": a.error,
                "response": a.response_excerpt,
            }
            for a in delivery.attempt_log.all()
        ],
    }


class Command(BaseCommand):
    help = "Manage webhook endpoints; list, inspect and replay deliveries."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(
            dest="subcommand", metavar="SUBCOMMAND", title="subcommands", required=True
        )
        add = sub.add_parser("add", help="register an endpoint for a company")
        add.add_argument("--company", required=True, metavar="CODE")
        add.add_argument("--url", required=True)
        add.add_argument(
            "--format", required=True, dest="fmt", metavar="FORMAT", help="body format: pylo, ..."
        )
        add.add_argument("--secret", required=True, help="shared secret that signs every delivery")
        add.add_argument(
            "--event",
            action="append",
            default=[],
            dest="events",
            metavar="TYPE",
            help=f"event type wanted, repeatable; default every type ({', '.join(EventType.values)})",
        )
        self._json(add)

        listing = sub.add_parser("list", help="a company's endpoints")
        listing.add_argument("--company", required=True, metavar="CODE")
        self._json(listing)

        disable = sub.add_parser("disable", help="stop sending to an endpoint")
        disable.add_argument("endpoint_id", metavar="ID")
        self._json(disable)

        enable = sub.add_parser("enable", help="resume sending to a disabled endpoint")
        enable.add_argument("endpoint_id", metavar="ID")
        self._json(enable)

        deliveries = sub.add_parser("deliveries", help="a company's deliveries with every attempt")
        deliveries.add_argument("--company", required=True, metavar="CODE")
        deliveries.add_argument("--status", choices=Delivery.Status.values)
        deliveries.add_argument("--endpoint", metavar="ID", help="only this endpoint's")
        deliveries.add_argument(
            "--limit", type=positive_int, default=50, help="newest N (default 50)"
        )
        self._json(deliveries)

        replay = sub.add_parser(
            "replay", help="send a delivery again now, with the same webhook-id"
        )
        replay.add_argument("delivery_id", metavar="DELIVERY_ID")
        replay.add_argument(
            "--queue",
            action="store_true",
            help="only queue it for the worker instead of sending it from this command",
        )
        self._json(replay)

    @staticmethod
    def _json(parser) -> None:
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, subcommand: str, **options):
        try:
            getattr(self, f"handle_{subcommand}")(**options)
        except DomainError as exc:
            raise CommandError(str(exc)) from None

    def emit(self, obj: dict[str, Any]) -> None:
        self.stdout.write(json.dumps(obj, indent=2))

    def handle_add(self, *, company, url, fmt, secret, events, json, **_):
        endpoint = services.create_endpoint(get_company(company), url, secret, fmt, events)
        if json:
            data = endpoint_json(endpoint)
            self.emit({k: data[k] for k in ("id", "url", "format", "events", "enabled")})
            return
        self.stdout.write(
            f"{endpoint.pk} {endpoint.format} {endpoint.url} "
            f"({', '.join(endpoint.event_types) or 'every event'})"
        )

    def handle_list(self, *, company, json, **_):
        company = get_company(company)
        endpoints = list(services.list_endpoints(company))
        if json:
            rows = [endpoint_json(e) for e in endpoints]
            self.emit({"company": company.code, "count": len(rows), "endpoints": rows})
            return
        if not endpoints:
            self.stdout.write(f"{company.code} has no webhook endpoints")
        for e in endpoints:
            state = "enabled" if e.enabled else f"disabled ({e.disabled_reason})"
            events = ", ".join(e.event_types) or "every event"
            self.stdout.write(f"{e.pk}  {e.format:<8} {state:<10} {e.url}  [{events}]")

    def handle_disable(self, *, endpoint_id, json, **_):
        endpoint = get_endpoint(endpoint_id)
        failed = 0
        if endpoint.enabled:
            failed = services.disable_endpoint(endpoint)
        if json:
            self.emit({**endpoint_json(endpoint), "failed_deliveries": failed})
        else:
            self.stdout.write(
                f"disabled {endpoint.pk} ({endpoint.url}); {failed} pending deliveries failed"
            )

    def handle_enable(self, *, endpoint_id, json, **_):
        endpoint = get_endpoint(endpoint_id)
        services.enable_endpoint(endpoint)
        if json:
            self.emit(endpoint_json(endpoint))
        else:
            self.stdout.write(f"enabled {endpoint.pk} ({endpoint.url})")

    def handle_deliveries(self, *, company, status, endpoint, limit, json, **_):
        company = get_company(company)
        query = Delivery.objects.for_company(company)
        if status:
            query = query.filter(status=status)
        if endpoint:
            query = query.filter(endpoint_id=parse_uuid(endpoint, "webhook endpoint"))
        deliveries = list(
            query.select_related("event", "endpoint")
            .prefetch_related("attempt_log")
            .defer("body", "headers")
            .order_by("-created_at", "-id")[:limit]
        )
        if json:
            rows = [delivery_json(d) for d in deliveries]
            self.emit({"company": company.code, "count": len(rows), "deliveries": rows})
            return
        if not deliveries:
            self.stdout.write("no deliveries")
        for d in deliveries:
            when = f", next at {iso(d.next_attempt_at)}" if d.status == "pending" else ""
            self.stdout.write(
                f"{d.pk} {d.webhook_id} {d.event.type} -> {d.endpoint.url}: "
                f"{d.status}, {d.attempts} attempt(s){when}"
            )
            for a in d.attempt_log.all():
                answer = a.error or repr(a.response_excerpt[:EXCERPT_SHOWN])
                self.stdout.write(
                    f"    {iso(a.at)}  {a.status_code or '---'}  {a.latency_ms} ms  {answer}"
                )

    def handle_replay(self, *, delivery_id, queue, json, **_):
        pk = parse_uuid(delivery_id, "delivery")
        delivery = Delivery.objects.select_related("endpoint").filter(pk=pk).first()
        if delivery is None:
            raise CommandError(f"no delivery {delivery_id}")
        services.replay_delivery(delivery)
        outcome = None
        if not queue:
            # Claimed like any other row: if a worker got to it first, it sends it instead.
            outcomes = dispatch.deliver_due(ids=[delivery.pk])
            outcome = outcomes[0] if outcomes else None
        delivery.refresh_from_db()
        if json:
            data = delivery_json(
                Delivery.objects.select_related("event", "endpoint")
                .prefetch_related("attempt_log")
                .get(pk=pk)
            )
            self.emit(data)
            return
        if outcome is None:
            self.stdout.write(f"queued {delivery.webhook_id} for the worker")
        elif outcome.ok:
            self.stdout.write(
                f"delivered {delivery.webhook_id}: HTTP {outcome.status_code} "
                f"in {outcome.latency_ms} ms"
            )
        else:
            reason = outcome.error or f"HTTP {outcome.status_code}"
            self.stdout.write(
                f"sending {delivery.webhook_id} failed ({reason}); "
                f"next attempt at {iso(delivery.next_attempt_at)}"
            )
