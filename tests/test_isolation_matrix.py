"""The isolation matrix (issue 16): every API route of the URL configuration that names an
object, every method its view answers, asked with Alice's credentials for Charlie's object, is
a 404 in the dialect's own shape and changes no row. Both companies own one of everything
(``tests.corpus.build_world``), so a route that forgot its company filter finds Charlie's."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from .corpus import api_routes, build_world, changed, is_shaped, json_of, rows, settle

pytestmark = pytest.mark.django_db


@pytest.fixture
def worlds(alice, bob, charlie, make_key, settings, tmp_path):
    from django.contrib.auth import get_user_model

    from pulsebridge.core.models import Membership

    settle(settings, tmp_path)
    dave = get_user_model().objects.create_user("dave", password="another horse battery")
    Membership.objects.create(user=dave, company=charlie)
    return build_world(alice, bob, make_key, "11"), build_world(charlie, dave, make_key, "22")


def test_every_route_answers_404_for_another_companys_object(worlds):
    alice, charlie = worlds
    client = Client(raise_request_exception=False)
    failures, asked = [], 0
    for route in api_routes():
        if not route.params:
            continue
        mine, theirs = alice.values(route), charlie.values(route)
        if mine == theirs:  # the shared device catalogue (hwi-device-types): no company's
            continue
        path = route.path(theirs)
        headers = alice.headers(route.prefix, route.pattern)
        if "GET" in route.methods and "unlink-gateway" not in route.pattern:
            # the control: the same route with Alice's own object finds it
            own = client.get(route.path(mine), **headers)
            if own.status_code >= 400:
                failures.append(f"GET {route.path(mine)}: {own.status_code} for Alice's own")
        for method in route.methods:
            if method == "HEAD":
                continue
            before = rows()
            kwargs = (
                {"content_type": "application/json"} if method in ("POST", "PUT", "PATCH") else {}
            )
            response = client.generic(
                method, path, json.dumps({}) if kwargs else b"", **kwargs, **headers
            )
            asked += 1
            where = f"{method} {path} (/{route.pattern})"
            if response.status_code != 404:
                failures.append(f"{where}: {response.status_code} {response.content[:200]!r}")
            elif not is_shaped(route.prefix, route.pattern, json_of(response)):
                failures.append(
                    f"{where}: 404 not in the dialect's shape {response.content[:200]!r}"
                )
            if changed(before, rows()):
                failures.append(f"{where}: rows changed in {changed(before, rows())}")
    assert asked > 60
    assert not failures, "\n".join(failures)


def _console_ids(world) -> dict:
    from pulsebridge.core.models import ApiKey, Membership
    from pulsebridge.fulfillment.models import Order
    from pulsebridge.webhooks.models import Delivery, WebhookEndpoint

    company = world.company
    delivery = Delivery.objects.filter(endpoint__company=company).first()
    assert delivery is not None, "the world's reading was announced to its Tenovi webhook"
    return {
        "patient_id": world.ids["patient"],
        "device_id": world.ids["device"],
        "order_id": Order.objects.filter(company=company).first().pk,
        "endpoint_id": WebhookEndpoint.objects.filter(company=company).first().pk,
        "delivery_id": delivery.pk,
        "batch_id": world.ids["hayylo_batch"],
        "key_id": ApiKey.objects.filter(company=company).first().pk,
        "app_id": world.ids["ping_application"],
        "tracker_id": world.ids["ping_device"],
        "membership_id": Membership.objects.filter(company=company).first().pk,
        "document_id": "00000000-0000-4000-8000-000000000000",  # found only under its patient
    }


def test_every_console_route_answers_404_for_another_companys_object(worlds):
    from pulsebridge.core.models import Membership
    from pulsebridge.core.services import NewUser, create_user

    from .corpus import console_routes

    alice, charlie = worlds
    owner = create_user(
        alice.company, NewUser(username="olive", password="x" * 12, role=Membership.Role.OWNER)
    )
    client = Client(raise_request_exception=False)
    client.force_login(owner)
    mine, theirs = _console_ids(alice), _console_ids(charlie)
    failures, asked = [], 0
    for route in console_routes():
        if not route.params:
            continue
        # a console view is a function: which methods it takes is in its decorator, so ask
        # both; the one it refuses is 405 (which names nothing), the one it takes must be 404
        codes = {}
        for method in ("GET", "POST"):
            before = rows()
            codes[method] = client.generic(method, route.path(theirs)).status_code
            asked += 1
            if changed(before, rows()):
                failures.append(
                    f"{method} /{route.pattern}: rows changed {changed(before, rows())}"
                )
        if 404 not in codes.values() or not set(codes.values()) <= {404, 405}:
            failures.append(f"/{route.pattern}: {codes}")
        if codes["GET"] == 404 and "document_id" not in route.params:
            own = client.get(route.path(mine))  # the control: Alice's own is found
            if own.status_code >= 400:
                failures.append(f"GET {route.path(mine)}: {own.status_code} for Alice's own")
    assert asked > 15
    assert not failures, "\n".join(failures)
