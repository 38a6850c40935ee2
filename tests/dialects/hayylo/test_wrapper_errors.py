"""The wrapper is all the request checks: each mistake is a 400 that names it, and a wrapper of
another company is 403."""

import json

import pytest

from tests.care import examples

GOOD = examples.wrapper("client", [examples.client()])


def without(name):
    return {k: v for k, v in GOOD.items() if k != name}


def test_the_documents_worker_example_is_refused_naming_where_the_comma_is_missing(hayylo):
    response = hayylo.post(examples.DOCUMENT_WORKER_TEXT)
    assert response.status_code == 400
    message = response.json()["message"]
    assert message.startswith("Bad Request: the body is not valid JSON")
    assert "Expecting ',' delimiter at line 10, column 1" in message


def test_comments_as_the_document_writes_them_are_not_json(hayylo):
    response = hayylo.post(examples.DOCUMENT_CLIENT_TEXT)
    assert response.status_code == 400
    assert "line 10, column 24" in response.json()["message"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (" \n", "the body is empty"),
        ("[]", "must be a JSON object"),
        ('"client"', "must be a JSON object"),
        ("NaN", "NaN is not a JSON value"),
        ("[" * 100_000, "nested too deeply"),
        (json.dumps(without("companyCode")), "companyCode is missing"),
        (json.dumps(without("instanceId")), "instanceId is missing"),
        (json.dumps(without("schemaType")), "schemaType is missing"),
        (json.dumps(without("dataSet")), "dataSet is missing"),
        (json.dumps({**GOOD, "schema": "client"}), "unknown field 'schema'"),
        (json.dumps({**GOOD, "instanceId": 100}), 'instanceId must be a string such as "100"'),
        (json.dumps({**GOOD, "companyCode": ""}), "companyCode must not be blank"),
        (json.dumps({**GOOD, "schemaType": "clients"}), 'schemaType "clients" is not one of'),
        (json.dumps({**GOOD, "schemaType": "Client"}), 'schemaType "Client" is not one of'),
        (json.dumps({**GOOD, "dataSet": {"id": "x"}}), "dataSet must be an array"),
        (json.dumps({**GOOD, "dataSet": []}), "dataSet is empty"),
        (
            json.dumps({**GOOD, "dataSet": [examples.client(), "CLIENT_ID_002", None]}),
            "dataSet[1] must be an object, not a string (and 1 more)",
        ),
    ],
)
def test_a_malformed_wrapper_is_400_naming_what_is_wrong(hayylo, body, expected):
    response = hayylo.post(body)
    assert response.status_code == 400
    assert expected in response.json()["message"]


def test_an_empty_body_is_400(hayylo):
    response = hayylo.post("", CONTENT_TYPE="application/json")
    assert response.status_code == 400
    assert "the body is empty" in response.json()["message"]


def test_every_problem_of_the_wrapper_is_named_at_once(hayylo):
    response = hayylo.post({"instanceId": 100, "schemaType": "visit", "dataSet": []})
    message = response.json()["message"]
    for part in ("companyCode is missing", "instanceId must be a string", "schemaType", "empty"):
        assert part in message


def test_a_body_that_is_not_utf8_is_400(hayylo):
    response = hayylo.post(json.dumps(GOOD).replace("Betty", "B\xe9tty").encode("latin-1"))
    assert response.status_code == 400
    assert "not UTF-8" in response.json()["message"]


@pytest.mark.parametrize(
    ("company_code", "instance_id", "named", "not_named"),
    [
        ("charlie-health", "200", ["companyCode", "instanceId"], []),
        ("alice-care", "200", ["instanceId"], ["companyCode"]),
        ("charlie-health", "100", ["companyCode"], ["instanceId"]),
    ],
)
def test_a_wrapper_of_another_company_is_403_naming_the_field_that_did_not_match(
    hayylo, charlie, company_code, instance_id, named, not_named
):
    body = examples.wrapper("client", [examples.client()], company_code, instance_id)
    response = hayylo.post(body)
    assert response.status_code == 403
    message = response.json()["message"]
    assert "not the company of this API key" in message
    assert all(name in message for name in named), message
    assert not any(name in message for name in not_named), message


def test_nothing_is_stored_when_the_wrapper_is_refused(hayylo, charlie):
    from pulsebridge.care.models import ImportBatch

    hayylo.post(examples.wrapper("client", [examples.client()], "charlie-health", "200"))
    hayylo.post(without("dataSet"))
    assert not ImportBatch.objects.exists()


def test_the_records_themselves_are_not_checked_by_the_request(hayylo):
    response = hayylo.post(examples.wrapper("client", [{"id": 7, "surname": "?"}]))
    assert response.status_code == 202


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "text/plain", "application/xml"]
)
def test_a_body_that_is_not_labelled_json_is_415(hayylo, content_type):
    response = hayylo.post(json.dumps(GOOD), content_type=content_type)
    assert response.status_code == 415
    assert "application/json" in response.json()["message"]


def test_a_json_body_in_another_charset_is_415(hayylo):
    response = hayylo.post(json.dumps(GOOD), content_type="application/json; charset=latin-1")
    assert response.status_code == 415
