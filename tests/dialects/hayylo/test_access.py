"""Keys and usage plans: 401 without a valid Hayylo key, 403 without a plan, 429 naming the
limit with Retry-After."""

import pytest

from tests.care import examples

BODY = examples.wrapper("worker", [examples.worker()])


def test_a_request_without_a_key_is_401(hayylo):
    response = hayylo.post(BODY, HTTP_X_API_KEY="")
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized: the x-api-key header is missing."}


def test_a_key_of_another_dialect_is_401(hayylo, alice, make_key):
    response = hayylo.post(BODY, HTTP_X_API_KEY=make_key(alice, "pylo"))
    assert response.status_code == 401


def test_a_revoked_key_is_401(hayylo):
    from pulsebridge.core.apikeys import revoke_api_key

    revoke_api_key("_".join(hayylo.key.split("_")[:3]))
    assert hayylo.post(BODY).status_code == 401


def test_a_key_without_a_usage_plan_is_403(hayylo, alice, make_key):
    response = hayylo.post(BODY, HTTP_X_API_KEY=make_key(alice, "hayylo", with_plan=False))
    assert response.status_code == 403
    assert "usage plan" in response.json()["message"]


def test_the_monthly_limit_is_429_naming_it_until_next_month(hayylo, alice, make_key):
    hayylo.key = make_key(alice, "hayylo", monthly_quota=2)
    statuses = [hayylo.post(BODY).status_code for _ in range(3)]
    assert statuses == [202, 202, 429]
    refused = hayylo.post(BODY)
    assert refused.status_code == 429
    assert "monthly" in refused.json()["message"]
    assert int(refused["Retry-After"]) > 1


def test_the_per_second_limit_is_429_naming_it(hayylo, alice, make_key):
    hayylo.key = make_key(alice, "hayylo", rate_per_second=1)
    responses = [hayylo.post(BODY) for _ in range(3)]
    refused = [r for r in responses if r.status_code == 429]
    assert refused, "three requests within two seconds at 1/s: at least one is refused"
    assert "per-second" in refused[0].json()["message"]
    assert refused[0]["Retry-After"] == "1"


def test_a_refused_request_stores_no_batch(hayylo, alice, make_key):
    from pulsebridge.care.models import ImportBatch

    hayylo.key = make_key(alice, "hayylo", monthly_quota=1)
    hayylo.post(BODY)
    hayylo.post(BODY)
    assert ImportBatch.objects.count() == 1


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_other_methods_on_inbound_are_405_in_json(hayylo, method):
    response = getattr(hayylo.client, method)("/hayylo/inbound", HTTP_X_API_KEY=hayylo.key)
    assert response.status_code == 405
    assert "POST" in response.json()["message"]


def test_an_unknown_path_is_a_json_404(hayylo):
    response = hayylo.get("/hayylo/outbound")
    assert response.status_code == 404
    assert response.json() == {"message": "Not Found"}
