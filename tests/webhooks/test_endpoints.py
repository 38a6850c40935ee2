"""Registering endpoints: only URLs that are safe to call, only formats and events that exist."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from pulsebridge.webhooks import netguard
from pulsebridge.webhooks.dispatch import deliver_due
from pulsebridge.webhooks.models import Delivery
from pulsebridge.webhooks.services import (
    WebhookError,
    create_endpoint,
    delete_endpoint,
    disable_endpoint,
    enable_endpoint,
    list_endpoints,
)

from .conftest import T0


@pytest.fixture
def no_private(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False


def test_it_registers_an_endpoint_with_its_events(alice):
    endpoint = create_endpoint(
        alice, "https://hooks.example.com/in", "secret", "pylo", ["DEVICE_MEASUREMENT"]
    )
    assert endpoint.enabled
    assert endpoint.event_types == ["DEVICE_MEASUREMENT"]
    assert endpoint.wants("DEVICE_MEASUREMENT")
    assert not endpoint.wants("ORDER_STATUS_CHANGED")


def test_no_events_means_every_event(alice):
    endpoint = create_endpoint(alice, "https://hooks.example.com/in", "secret", "pylo")
    assert endpoint.wants("ORDER_STATUS_CHANGED")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://hooks.example.com/in", "only http:// and https://"),
        ("hooks.example.com/in", "only http:// and https://"),
        ("https:///in", "no host"),
        ("https://user:pw@hooks.example.com/in", "credentials"),
        ("https://hooks.example.com:99999/in", "not a valid URL"),
        ("", "url: required"),
    ],
)
def test_it_refuses_a_malformed_url(alice, url, message):
    with pytest.raises(WebhookError, match=message):
        create_endpoint(alice, url, "secret", "pylo")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "http://100.64.0.1/hook",
    ],
)
def test_it_refuses_private_loopback_and_link_local_addresses(alice, no_private, url):
    with pytest.raises(WebhookError, match="WEBHOOK_ALLOW_PRIVATE_NETWORKS"):
        create_endpoint(alice, url, "secret", "pylo")


def test_it_allows_private_addresses_when_the_setting_says_so(alice, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    assert create_endpoint(alice, "http://127.0.0.1:9/hook", "secret", "pylo").pk


def test_it_refuses_a_host_name_that_resolves_to_a_private_address(alice, no_private, monkeypatch):
    def fake_getaddrinfo(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port))]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    with pytest.raises(WebhookError, match=r"hooks\.example\.com resolves to .*10\.0\.0\.7"):
        create_endpoint(alice, "https://hooks.example.com/in", "secret", "pylo")


def test_it_refuses_a_host_name_that_does_not_resolve(alice, no_private, monkeypatch):
    def fake_getaddrinfo(host, port, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    with pytest.raises(WebhookError, match="cannot resolve host"):
        create_endpoint(alice, "https://no-such-host.example/in", "secret", "pylo")


def test_public_addresses_are_public():
    assert netguard.is_public(ipaddress.ip_address("93.184.215.14"))
    assert netguard.is_public(ipaddress.ip_address("2606:4700::1111"))
    assert not netguard.is_public(ipaddress.ip_address("224.0.0.1"))


@pytest.mark.parametrize(
    ("fmt", "secret", "events", "message"),
    [
        ("xml", "secret", [], "format: 'xml' is not one of"),
        ("pylo", "", [], "secret: required"),
        ("pylo", "s" * 257, [], "secret: at most 256"),
        ("pylo", "secret", ["DEVICE_EXPLODED"], "event: 'DEVICE_EXPLODED' is not one of"),
    ],
)
def test_it_refuses_unknown_formats_events_and_missing_secrets(alice, fmt, secret, events, message):
    with pytest.raises(WebhookError, match=message):
        create_endpoint(alice, "https://hooks.example.com/in", secret, fmt, events)


def test_the_list_holds_only_the_companys_own_endpoints(alice, charlie):
    mine = create_endpoint(alice, "https://a.example.com/in", "secret", "pylo")
    create_endpoint(charlie, "https://c.example.com/in", "secret", "pylo")
    assert list(list_endpoints(alice)) == [mine]


def test_disabling_an_endpoint_fails_its_pending_deliveries_and_enabling_resumes(
    alice, endpoint_for, publish_event
):
    endpoint = endpoint_for(alice, "http://127.0.0.1:9/hook")
    event = publish_event(alice)
    assert disable_endpoint(endpoint) == 1
    delivery = Delivery.objects.get(event=event)
    assert delivery.status == "failed"
    assert delivery.last_error == "endpoint disabled: disabled by an operator"
    assert publish_event(alice).deliveries.count() == 0
    enable_endpoint(endpoint)
    assert publish_event(alice).deliveries.count() == 1


def test_deleting_an_endpoint_drops_its_pending_deliveries_and_keeps_its_alerts(
    alice, endpoint_for, publish_event
):
    from pulsebridge.webhooks.models import Alert, WebhookEndpoint

    endpoint = endpoint_for(alice, "http://127.0.0.1:9/hook")
    other = endpoint_for(alice, "http://127.0.0.1:9/other")
    publish_event(alice)
    publish_event(alice)
    alert = Alert.objects.create(company=alice, endpoint=endpoint, message="it failed")
    assert delete_endpoint(endpoint) == 2
    assert not WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()
    assert set(Delivery.objects.values_list("endpoint_id", flat=True)) == {other.pk}
    alert.refresh_from_db()
    assert alert.endpoint is None


@pytest.mark.live
def test_the_address_is_checked_again_when_sending_and_the_request_goes_to_the_checked_address(
    alice, receiver, endpoint_for, publish_event, settings, monkeypatch
):
    """DNS may change after the endpoint was registered: the worker resolves the name itself,
    refuses private answers, and connects to the address it checked, with the name as Host."""
    port = receiver.server.server_address[1]
    endpoint_for(alice, f"http://hooks.example.com:{port}/hook")
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False

    async def does_not_resolve(self, host, port, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    # Name resolution is faked throughout: this test never leaves the machine.
    getaddrinfo = "asyncio.base_events.BaseEventLoop.getaddrinfo"
    monkeypatch.setattr(getaddrinfo, does_not_resolve)
    event = publish_event(alice)
    deliver_due(now=T0)
    delivery = Delivery.objects.get(event=event)
    assert delivery.status == "pending"
    assert delivery.last_error.startswith("refused: cannot resolve host")

    async def resolves_to_loopback(self, host, port, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(getaddrinfo, resolves_to_loopback)
    deliver_due(now=delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert "resolves to a private" in delivery.last_error
    assert receiver.requests == []

    # Pretend 127.0.0.1 is a public address: the request goes to it, named by Host.
    monkeypatch.setattr(netguard, "is_public", lambda address: True)
    deliver_due(now=delivery.next_attempt_at)
    (request,) = receiver.wait_for(1)
    assert request.headers["host"] == f"hooks.example.com:{port}"
    delivery.refresh_from_db()
    assert delivery.status == "succeeded"
