"""Authentication, client domains, the trailing slash and the rate limit."""

from .conftest import TenoviClient


def test_a_request_without_the_authorization_header_is_401(tenovi):
    response = tenovi.client.get(tenovi.url("hwi/hwi-devices/"))
    assert response.status_code == 401
    assert "Authorization" in response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Api-Key")


def test_the_api_key_prefix_is_case_sensitive(tenovi):
    response = tenovi.get("hwi/hwi-devices/", HTTP_AUTHORIZATION=f"api-key {tenovi.key}")
    assert response.status_code == 401
    assert "Api-Key <key>" in response.json()["detail"]


def test_a_key_of_another_dialect_is_401(tenovi, alice, make_key):
    pylo_key = make_key(alice, "pylo")
    response = tenovi.get("hwi/hwi-devices/", HTTP_AUTHORIZATION=f"Api-Key {pylo_key}")
    assert response.status_code == 401


def test_a_revoked_key_is_401(tenovi):
    from pulsebridge.core.apikeys import revoke_api_key

    revoke_api_key(tenovi.key)
    assert tenovi.get("hwi/hwi-devices/").status_code == 401


def test_a_key_used_on_another_clients_domain_is_404(tenovi, charlie):
    response = tenovi.get("hwi/hwi-devices/", domain=charlie.code)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert tenovi.get("hwi/hwi-devices/", domain="nobody").status_code == 404


def test_a_path_without_its_trailing_slash_is_redirected(tenovi):
    response = tenovi.get("hwi/hwi-devices?page=2")
    assert response.status_code == 301
    assert response["Location"] == tenovi.url("hwi/hwi-devices/") + "?page=2"


def test_a_post_without_the_trailing_slash_is_redirected_keeping_its_method(tenovi):
    response = tenovi.post("hwi/hwi-devices", {"device": {"name": "Tenovi Scale"}})
    assert response.status_code == 308
    assert response["Location"] == tenovi.url("hwi/hwi-devices/")


def test_an_unknown_path_is_404_not_a_redirect(tenovi):
    response = tenovi.get("hwi/no-such-thing")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert tenovi.get("hwi/no-such-thing/").status_code == 404


def test_a_tenovi_key_allows_one_request_a_second(client, alice, make_key):
    tenovi = TenoviClient(client, make_key(alice, "tenovi"), alice.code)
    responses = [tenovi.get("hwi/hwi-device-types/") for _ in range(3)]
    # three requests within (at most) two calendar seconds: at least one is refused
    assert responses[0].status_code == 200
    refused = [r for r in responses if r.status_code == 429]
    assert refused
    assert refused[0]["Retry-After"] == "1"
    assert "rate limit" in refused[0].json()["detail"]


def test_a_key_without_a_usage_plan_is_403(client, alice, make_key):
    tenovi = TenoviClient(client, make_key(alice, "tenovi", with_plan=False), alice.code)
    assert tenovi.get("hwi/hwi-devices/").status_code == 403
