"""Each dialect serves its own OpenAPI schema, rooted at its base path."""

import pytest


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
