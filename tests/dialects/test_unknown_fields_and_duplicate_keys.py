"""Each dialect's rule on body fields it does not know, and on a key given twice in one JSON
object (docs/compatibility.md, "Crafted input")."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.django_db

HOOK = "http://127.0.0.1:9/m"


def _post(client, path, text, **headers):
    return client.post(path, text, content_type="application/json", **headers)


@pytest.fixture(autouse=True)
def _loopback(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True


def _bp(imei, extra=""):
    return (
        f'{{"imei": "{imei}", "kind": "weight", "kind": "blood_pressure", '
        f'"measured_at": "2026-10-01T08:00:00Z", '
        f'"values": {{"systolic": 120, "diastolic": 80}}{extra}}}'
    )


def test_ingest_ignores_unknown_fields_and_takes_the_last_of_a_duplicate_key(
    client, alice, make_key, add_device
):
    device = add_device(alice)
    response = _post(
        client,
        "/ingest/v1/measurements",
        _bp(device.imei, ', "colour": "red"'),
        HTTP_X_API_KEY=make_key(alice, "ingest"),
    )
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 1  # a weight would have been refused by a BP cuff


def test_tenovi_ignores_unknown_fields_and_takes_the_last_of_a_duplicate_key(
    client, alice, make_key
):
    key = make_key(alice, "tenovi", rate_per_second=100)
    text = f'{{"endpoint": "nope", "endpoint": "{HOOK}", "colour": "red"}}'
    response = _post(
        client,
        f"/tenovi/clients/{alice.code}/hwi/webhooks/",
        text,
        HTTP_AUTHORIZATION=f"Api-Key {key}",
    )
    assert response.status_code == 201, response.content
    assert response.json()["endpoint"] == HOOK
    assert "colour" not in response.json()


def test_pylo_refuses_unknown_fields(client, alice, make_key):
    from tests.dialects.pylo.test_orders import EXAMPLE_ORDER

    body = json.dumps({**EXAMPLE_ORDER, "colour": "red"})
    response = _post(client, "/pylo/orders", body, HTTP_X_API_KEY=make_key(alice, "pylo"))
    assert response.status_code == 400
    assert "colour" in response.json()["errors"]


def test_hayylo_refuses_unknown_wrapper_fields(client, alice, make_key):
    from tests.care.examples import client as care_client
    from tests.care.examples import wrapper

    body = json.dumps({**wrapper("client", [care_client()]), "colour": "red"})
    response = _post(client, "/hayylo/inbound", body, HTTP_X_API_KEY=make_key(alice, "hayylo"))
    assert response.status_code == 400
    assert "colour" in response.json()["message"]
