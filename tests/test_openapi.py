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


@pytest.mark.parametrize("dialect", ["pylo", "tenovi", "hayylo", "ping"])
def test_swagger_ui_is_served_from_this_origin_with_no_inline_code(client, db, dialect):
    """Every file the docs page loads is served here (drf-spectacular-sidecar), and the page
    keeps the Content-Security-Policy of every page: no inline script or style."""
    import re

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
