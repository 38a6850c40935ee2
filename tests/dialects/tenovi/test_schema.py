"""/api/schema/tenovi.json: every operation of Tenovi's Swagger, with its definitions' shapes."""

import pytest
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from pulsebridge.dialects.tenovi import schema as tenovi_schema

from . import swagger

HWI = "/clients/{client_domain}/hwi"


def test_the_schema_is_served_rooted_at_the_dialects_base_path(client, db):
    response = client.get("/api/schema/tenovi.json")
    assert response.status_code == 200
    served = response.json()
    validate_schema(served)  # a valid OpenAPI 3 document
    assert served["servers"] == [{"url": "/tenovi"}]
    assert served["components"]["securitySchemes"]["apiKey"]["name"] == "Authorization"


@pytest.fixture(scope="module")
def generated():
    """The same schema, generated once for the operations' tests."""
    return SchemaGenerator(urlconf="pulsebridge.dialects.tenovi.urls").get_schema(public=True)


@pytest.mark.parametrize("op", swagger.operations(), ids=str)
def test_every_swagger_operation_is_described_with_its_definitions(generated, op):
    described = generated["paths"][HWI + op.path][op.method]
    assert described["operationId"] == op.id.replace("-", "_")
    assert {p["name"] for p in described["parameters"] if p["in"] == "query"} >= set(op.query)
    expected = tenovi_schema.operation(op.id)["responses"][op.status]
    if expected is None:
        assert "content" not in described["responses"][str(op.status)]
    else:
        content = described["responses"][str(op.status)]["content"]["application/json"]
        assert content["schema"] == expected
    if op.body:
        body = described["requestBody"]["content"]["application/json"]["schema"]
        assert body == tenovi_schema.definition(op.body)


def _openapi(schema):
    """What the Swagger's definitions are in OpenAPI 3 (x-nullable is nullable), refs by name."""
    if isinstance(schema, list):
        return [_openapi(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key == "x-nullable":
            out["nullable"] = value
        elif key == "$ref":
            out["$ref"] = value.rsplit("/", 1)[1]
        elif key == "properties":
            out[key] = {n: _openapi(p) for n, p in value.items()}
        elif key != "title":
            out[key] = _openapi(value)
    return out


def test_the_definitions_are_the_swaggers_own():
    document = swagger.swagger()
    converted = {n: _openapi(d) for n, d in document["definitions"].items()}
    assert converted == tenovi_schema.DEFINITIONS
    for name, fields in tenovi_schema.ADDITIONS.items():
        # what Pulsebridge adds never takes the place of one of the Swagger's fields
        assert not set(fields) & set(document["definitions"][name]["properties"]), name


def test_each_operation_carries_the_swaggers_own_description(generated):
    document = swagger.swagger()
    for path, item in document["paths"].items():
        for method, op in item.items():
            if method == "parameters" or not op.get("description"):
                continue
            described = generated["paths"][HWI + path][method]
            assert described["description"] == op["description"], (method, path)
