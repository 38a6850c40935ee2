"""Each dialect serves its own OpenAPI schema, rooted at its base path: a valid OpenAPI 3
document (openapi-spec-validator) that describes every operation in the vendor's terms, with
its request body, its answers and its errors, and its security; Swagger UI shows it from files
served here."""

import re

import pytest
from openapi_spec_validator import validate

from pulsebridge.care.records import FORMATS

DIALECTS = ["pylo", "tenovi", "hayylo", "ping"]
METHODS = {"get", "put", "post", "patch", "delete"}
# words of the code's own docstrings, which are not the vendor's descriptions
INTERNAL = re.compile(r"view mixin|``|\bqueryset\b|\bserializer\b|\bNUL\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def schemas(django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        client = Client()
        return {d: client.get(f"/api/schema/{d}.json").json() for d in DIALECTS}


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


@pytest.mark.parametrize(
    ("dialect", "a_path"),
    [
        ("pylo", "/readings"),
        ("tenovi", "/clients/{client_domain}/hwi/hwi-devices/"),
        ("hayylo", "/inbound"),
        ("ping", "/1.0/devices/devices/"),
    ],
)
def test_every_dialect_serves_its_schema(client, db, dialect, a_path):
    response = client.get(f"/api/schema/{dialect}.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["servers"] == [{"url": f"/{dialect}"}]
    assert a_path in schema["paths"]
    assert client.get(f"/api/docs/{dialect}/").status_code == 200


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_schema_is_a_valid_openapi_document(schemas, dialect):
    validate(schemas[dialect])  # raises, naming the fault


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_operation_is_named_and_described_with_its_answers(schemas, dialect):
    schema = schemas[dialect]
    seen = set()
    for path, method, op in operations(schema):
        where = f"{dialect} {method.upper()} {path}"
        operation_id = op.get("operationId", "")
        assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", operation_id), where
        assert not operation_id.startswith("root_"), where
        assert operation_id not in seen, where
        seen.add(operation_id)
        assert op.get("summary", "").strip(), f"{where}: no summary"
        description = op.get("description", "").strip()
        assert description, f"{where}: no description"
        assert not INTERNAL.search(description), f"{where}: {description[:80]!r}"
        codes = set(op["responses"])
        assert any(c.startswith("2") or c == "302" for c in codes), where
        assert any(c.startswith("4") for c in codes), f"{where}: declares no 4xx"
        for code, answer in op["responses"].items():
            if code not in ("204", "302"):
                assert answer.get("content"), f"{where} {code}: no body shape"
        if method in ("post", "put", "patch") and "requestBody" in op:
            assert op["requestBody"]["content"], where
        if not path.startswith("/auth/"):
            assert op.get("security"), f"{where}: no security"


@pytest.mark.parametrize(
    ("dialect", "error"), [("pylo", "PyloError"), ("hayylo", "HayyloError"), ("ping", "Error")]
)
def test_errors_are_declared_in_the_dialects_own_shape(schemas, dialect, error):
    schema = schemas[dialect]
    for path, method, op in operations(schema):
        for code, answer in op["responses"].items():
            if code.startswith("4") and not path.startswith("/auth/"):
                shape = answer["content"]["application/json"]["schema"]["$ref"]
                assert shape.rsplit("/", 1)[1] in (error, "BadRequest"), (path, method)
    assert "message" in schema["components"]["schemas"].get(error, {}).get("properties", {}) or (
        dialect == "ping" and "detail" in schema["components"]["schemas"][error]["properties"]
    )


@pytest.mark.parametrize(("dialect", "header"), [("pylo", "x-api-key"), ("hayylo", "x-api-key")])
def test_the_api_key_dialects_declare_their_header(schemas, dialect, header):
    scheme = schemas[dialect]["components"]["securitySchemes"]["apiKey"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", header)


def test_pylo_request_bodies_are_json_with_their_fields(schemas):
    schema = schemas["pylo"]
    body = schema["paths"]["/orders"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json"}
    placed = schema["components"]["schemas"]["PlaceOrder"]
    assert {"devices", "recipient_email", "address1"} <= set(placed["properties"])
    devices = schema["paths"]["/devices"]["get"]["responses"]["200"]
    one_of = devices["content"]["application/json"]["schema"]["oneOf"]
    assert {"$ref": "#/components/schemas/DevicesPage"} in one_of


def test_the_hayylo_post_describes_the_wrapper_and_each_record_type(schemas):
    schema = schemas["hayylo"]
    components = schema["components"]["schemas"]
    body = schema["paths"]["/inbound"]["post"]["requestBody"]["content"]["application/json"]
    inbound = components[body["schema"]["$ref"].rsplit("/", 1)[1]]
    assert inbound["discriminator"]["propertyName"] == "schemaType"
    mapping = inbound["discriminator"]["mapping"]
    assert set(mapping) == set(FORMATS)
    for schema_type, fmt in FORMATS.items():
        batch = components[mapping[schema_type].rsplit("/", 1)[1]]
        assert batch["properties"]["schemaType"]["enum"] == [schema_type]
        assert set(batch["required"]) == {"companyCode", "instanceId", "schemaType", "dataSet"}
        record = components[batch["properties"]["dataSet"]["items"]["$ref"].rsplit("/", 1)[1]]
        # the fields care.records reads, no more and no fewer
        assert set(record["properties"]) == set(fmt.wire_names), schema_type
        required = {f.wire for f in fmt.fields if f.required}
        required |= {r.wire for r in fmt.references if r.required}
        assert set(record["required"]) == {"id", "importStatus"} | required, schema_type
    assert "202" in schema["paths"]["/inbound"]["post"]["responses"]


def test_ping_declares_oauth2_with_both_flows_and_its_oauth_endpoints(schemas):
    schema = schemas["ping"]
    oauth2 = schema["components"]["securitySchemes"]["oauth2"]
    assert oauth2["type"] == "oauth2"
    flows = oauth2["flows"]
    assert flows["authorizationCode"]["authorizationUrl"] == "/ping/auth/authorize/"
    assert flows["authorizationCode"]["tokenUrl"] == "/ping/auth/token/"
    assert flows["clientCredentials"]["tokenUrl"] == "/ping/auth/token/"
    assert schema["paths"]["/auth/token/"]["post"]["operationId"] == "obtainAccessToken"
    assert "302" in schema["paths"]["/auth/authorize/"]["get"]["responses"]
    for path, method, op in operations(schema):
        if not path.startswith("/auth/"):
            assert op["security"] == [{"oauth2": []}], (path, method)


def test_ping_client_secret_is_not_required_where_it_is_never_returned(schemas):
    application = schemas["ping"]["components"]["schemas"]["Application"]
    assert "client_secret" in application["properties"]
    assert "client_secret" not in application["required"]


def test_ping_group_devices_operations_declare_what_they_answer(schemas):
    item = schemas["ping"]["paths"]["/1.0/customers/groups/{id}/devices/"]
    listed = item["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert listed == {"$ref": "#/components/schemas/PaginatedDeviceList"}
    moved = item["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert moved == {"$ref": "#/components/schemas/GroupDevicesMoved"}


@pytest.mark.parametrize("dialect", DIALECTS)
def test_swagger_ui_is_served_from_this_origin_with_no_inline_code(client, db, dialect):
    """Every file the docs page loads is served here (drf-spectacular-sidecar), and the page
    keeps the Content-Security-Policy of every page: no inline script or style."""
    response = client.get(f"/api/docs/{dialect}/")
    assert response.status_code == 200
    assert "script-src 'self'" in response["Content-Security-Policy"]
    page = response.content.decode()
    assert "<style" not in page
    assert re.findall(r"<script>", page) == []
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert len(assets) >= 4  # the css, the two bundles, the page's own script
    for url in assets:
        assert url.startswith("/"), url  # no CDN
        assert client.get(url).status_code == 200, url


def test_ping_swagger_ui_has_its_oauth2_redirect_page_here(client, db):
    """Swagger UI's Authorize dialog (authorization code flow) sends the browser back to
    ``oauth2-redirect.html`` beside the page, with the code and state in the query: it is
    served from the sidecar, its script from this origin, the query passed on."""
    response = client.get("/api/docs/ping/oauth2-redirect.html?code=abc&state=xyz")
    assert response.status_code == 302
    target = response["Location"]
    assert target.startswith("/")
    assert target.endswith("oauth2-redirect.html?code=abc&state=xyz")
    page = client.get(target.split("?")[0])
    assert page.status_code == 200
    html = b"".join(page.streaming_content) if page.streaming else page.content
    assert b'<script src="oauth2-redirect.js"></script>' in html
    script = target.split("?")[0].replace("oauth2-redirect.html", "oauth2-redirect.js")
    assert client.get(script).status_code == 200
    # the API-key dialects have no OAuth flow, so no redirect page
    assert client.get("/api/docs/pylo/oauth2-redirect.html").status_code == 404
