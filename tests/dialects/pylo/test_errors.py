"""The document's error table: 400, 401, 403, 404, 406, 429, each with a JSON body."""

import pytest


def test_a_request_without_a_key_is_401(client, db):
    response = client.get("/pylo/devices")
    assert response.status_code == 401
    assert response.json()["message"].startswith("Unauthorized")


def test_a_wrong_or_revoked_key_is_401(client, alice, make_key):
    from pulsebridge.core.apikeys import revoke_api_key

    key = make_key(alice, "pylo")
    assert client.get("/pylo/devices", HTTP_X_API_KEY=key + "x").status_code == 401
    revoke_api_key("_".join(key.split("_")[:3]))
    assert client.get("/pylo/devices", HTTP_X_API_KEY=key).status_code == 401


def test_a_key_without_a_usage_plan_is_403(client, alice, make_key):
    key = make_key(alice, "pylo", with_plan=False)
    response = client.get("/pylo/devices", HTTP_X_API_KEY=key)
    assert response.status_code == 403
    assert "usage plan" in response.json()["message"]


def test_an_accept_header_without_json_is_406(pylo):
    response = pylo.get("/devices", HTTP_ACCEPT="text/xml")
    assert response.status_code == 406
    assert response["Content-Type"].startswith("application/json")
    assert "json" in response.json()["message"]


def test_requests_past_the_rate_limit_are_429_with_retry_after(client, alice, make_key):
    key = make_key(alice, "pylo", rate_per_second=2)
    statuses = [client.get("/pylo/devices", HTTP_X_API_KEY=key).status_code for _ in range(5)]
    assert 429 in statuses
    assert statuses[:2] == [200, 200]
    refused = client.get("/pylo/devices", HTTP_X_API_KEY=key)
    if refused.status_code == 429:  # the second may have rolled over between requests
        assert int(refused["Retry-After"]) >= 1
        assert "Too Many Requests" in refused.json()["message"]


def test_the_monthly_quota_is_429_until_next_month(client, alice, make_key):
    key = make_key(alice, "pylo", monthly_quota=3)
    statuses = [client.get("/pylo/devices", HTTP_X_API_KEY=key).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = client.get("/pylo/devices", HTTP_X_API_KEY=key)
    assert int(refused["Retry-After"]) > 1
    assert "monthly" in refused.json()["message"]


def test_a_body_that_is_not_json_is_400(pylo):
    response = pylo.client.post(
        "/pylo/readings", "{'imei': 'x'}", content_type="application/json", HTTP_X_API_KEY=pylo.key
    )
    assert response.status_code == 400
    body = response.json()
    assert body["message"].startswith("Bad Request -- ")
    assert "JSON" in body["message"]
    assert "body" in body["errors"]


def test_an_unknown_path_is_a_json_404(pylo):
    response = pylo.get("/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"message": "Not Found"}


@pytest.mark.parametrize("method", ["delete", "patch"])
def test_an_unsupported_method_is_405_in_json(pylo, method):
    response = getattr(pylo.client, method)("/pylo/devices", HTTP_X_API_KEY=pylo.key)
    assert response.status_code == 405
    assert "message" in response.json()
