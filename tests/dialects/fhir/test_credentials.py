"""Who may read what: OAuth2 client credentials with SMART system scopes, or a fhir API key;
everything else is refused with an OperationOutcome, and Charlie sees none of Alice's data."""

from __future__ import annotations

import pytest

from .conftest import FhirClient, reading


def issue(response):
    return response.fhir["issue"][0]


def test_a_client_credentials_token_with_system_scopes_reads_the_company_s_patients(bob_token, ann):
    fhir = FhirClient(bob_token("system/Patient.read"))
    response = fhir.get(f"/Patient/{ann.pk}")
    assert response.status_code == 200
    assert response.fhir["identifier"][0]["value"] == "P-ANN"


def test_a_token_without_the_resource_s_scope_is_refused_403(bob_token, ann):
    fhir = FhirClient(bob_token("system/Observation.read"))
    response = fhir.get(f"/Patient/{ann.pk}")
    assert response.status_code == 403
    assert issue(response)["code"] == "forbidden"
    assert "system/Patient.read" in issue(response)["diagnostics"]


def test_the_wildcard_scope_reads_every_type(bob_token, fleet, ann):
    fhir = FhirClient(bob_token("system/*.read"))
    assert fhir.get(f"/Patient/{ann.pk}").status_code == 200
    assert fhir.get(f"/Device/{fleet['weight'].pk}").status_code == 200
    assert fhir.get("/Observation").status_code == 200


def test_a_ping_token_with_its_read_and_write_scopes_reads_no_fhir(bob_token, ann):
    fhir = FhirClient(bob_token("read"))
    assert fhir.get(f"/Patient/{ann.pk}").status_code == 403


def test_no_credentials_is_401_with_a_bearer_challenge(ann):
    response = FhirClient(None).get(f"/Patient/{ann.pk}")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert issue(response)["code"] == "login"


@pytest.mark.parametrize("credential", ["not-a-token", "pb_fhir_nolookup_nosecret0000"])
def test_a_bad_token_or_key_is_401(credential, ann):
    assert FhirClient(credential).get(f"/Patient/{ann.pk}").status_code == 401


def test_another_dialect_s_key_is_not_a_fhir_key(alice, make_key, ann):
    fhir = FhirClient(make_key(alice, "pylo"))
    assert fhir.get(f"/Patient/{ann.pk}").status_code == 401


def test_a_revoked_key_is_refused(alice, ann):
    from pulsebridge.core.apikeys import create_api_key, revoke_api_key

    issued = create_api_key(alice, "fhir")
    revoke_api_key(issued.api_key.prefix)
    assert FhirClient(issued.key).get(f"/Patient/{ann.pk}").status_code == 401


def test_charlie_s_key_gets_404_for_alice_s_patient_device_and_reading(
    charlie_fhir, fleet, record, ann
):
    (pk,) = record([reading(fleet["weight"], "weight", {"weight": 80, "unit": "kg"})])
    for path in (f"/Patient/{ann.pk}", f"/Device/{fleet['weight'].pk}", f"/Observation/{pk}"):
        response = charlie_fhir.get(path)
        assert response.status_code == 404, path
        assert issue(response)["code"] == "not-found"
    assert "entry" not in charlie_fhir.get("/Observation", {"patient": str(ann.pk)}).fhir
    assert charlie_fhir.get("/Patient").fhir["total"] == 0


def test_dave_s_token_for_charlie_s_company_sees_none_of_alice_s_data(charlie, ann):
    from django.contrib.auth import get_user_model

    from pulsebridge.core.models import Membership

    from .conftest import token_for

    dave = get_user_model().objects.create_user("dave", password="x")
    Membership.objects.create(user=dave, company=charlie)
    fhir = FhirClient(token_for(dave, "system/*.read"))
    assert fhir.get(f"/Patient/{ann.pk}").status_code == 404


def test_a_key_s_usage_plan_limits_it_with_429(alice, make_key, ann):
    fhir = FhirClient(make_key(alice, "fhir", rate_per_second=1))
    statuses = [fhir.get(f"/Patient/{ann.pk}").status_code for _ in range(3)]
    assert 429 in statuses
    refused = [s for s in statuses if s != 200]
    assert refused
    assert set(refused) == {429}


def test_the_apikey_command_creates_fhir_keys(alice, run, ann):
    key = run("apikey", "create", "--company", alice.code, "--dialect", "fhir").strip()
    assert key.startswith("pb_fhir_")
    assert FhirClient(key).get(f"/Patient/{ann.pk}").status_code == 200
