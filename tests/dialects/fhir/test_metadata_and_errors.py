"""The CapabilityStatement says what is served; every error is an OperationOutcome."""

from __future__ import annotations

from .conftest import FhirClient


def test_metadata_is_public_and_names_exactly_the_supported_searches():
    response = FhirClient(None).get("/metadata")
    assert response.status_code == 200
    statement = response.fhir
    assert statement["fhirVersion"] == "4.0.1"
    (rest,) = statement["rest"]
    searches = {r["type"]: sorted(p["name"] for p in r["searchParam"]) for r in rest["resource"]}
    assert searches == {
        "Patient": ["_id", "_lastUpdated", "identifier", "name"],
        "Device": ["_id", "_lastUpdated", "patient"],
        "Observation": ["_id", "_lastUpdated", "category", "code", "date", "patient", "subject"],
    }
    assert [o["name"] for o in rest["operation"]] == ["export"]
    token = rest["security"]["extension"][0]["extension"][0]["valueUri"]
    assert token.endswith("/ping/auth/token/")


def test_every_declared_search_parameter_is_understood_under_strict_handling(alice_fhir):
    statement = FhirClient(None).get("/metadata").fhir
    samples = {"token": "x", "string": "x", "reference": "Patient/x", "date": "ge2026-01-01"}
    for resource in statement["rest"][0]["resource"]:
        for param in resource["searchParam"]:
            response = alice_fhir.get(f"/{resource['type']}", {param["name"]: samples[param["type"]]},
                                      HTTP_PREFER="handling=strict")  # fmt: skip
            assert response.status_code == 200, (resource["type"], param["name"], response.fhir)


def test_smart_configuration_names_the_token_endpoint_and_scopes():
    response = FhirClient(None).client.get("/fhir/R4/.well-known/smart-configuration")
    body = response.json()
    assert body["token_endpoint"].endswith("/ping/auth/token/")
    assert "system/Observation.read" in body["scopes_supported"]


def test_an_unknown_path_is_a_404_outcome(alice_fhir):
    response = alice_fhir.get("/Encounter/1")
    assert response.status_code == 404
    assert response.fhir["issue"][0]["code"] == "not-found"


def test_writing_is_not_allowed(alice_fhir):
    response = alice_fhir.post("/Patient", {"resourceType": "Patient"})
    assert response.status_code == 405
    assert response.fhir["resourceType"] == "OperationOutcome"


def test_plain_json_is_served_to_clients_asking_for_it(alice_fhir):
    response = alice_fhir.get("/Patient", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


def test_xml_is_refused_406_as_an_outcome(alice_fhir):
    response = alice_fhir.get("/Patient", HTTP_ACCEPT="application/fhir+xml")
    assert response.status_code == 406
    assert response.fhir["issue"][0]["code"] == "not-supported"


def test_a_nul_character_is_a_400_not_a_crash(alice_fhir):
    response = alice_fhir.get("/Patient", {"name": "a\x00b"})
    assert response.status_code == 400


def test_an_id_that_is_no_uuid_is_404(alice_fhir):
    assert alice_fhir.get("/Patient/not-an-id").status_code == 404
    assert alice_fhir.get("/Observation/x-hr").status_code == 404
