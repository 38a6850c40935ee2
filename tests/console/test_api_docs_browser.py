"""Swagger UI of each dialect in a real browser (Debian's chromium) against a real server: it
renders from the installed sidecar's files under the page's Content-Security-Policy, and loads
nothing from another origin (a self-hosted or offline install shows the same page)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.live]


@pytest.fixture(autouse=True)
def _chromium(chromium):
    pass


@pytest.mark.parametrize(
    ("dialect", "title"),
    [
        ("pylo", "the Pylo RPM API"),
        ("tenovi", "the Tenovi HWI API"),
        ("hayylo", "the Hayylo Inbound API"),
        ("ping", "the PING customer API"),
    ],
)
def test_swagger_ui_renders_from_local_files_under_the_csp(browser, live, dialect, title):
    ctx = browser.new_context()
    page = ctx.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    origins: set[str] = set()
    page.on("request", lambda r: origins.add(urlsplit(r.url).netloc or r.url.split(":")[0]))
    try:
        answer = page.goto(f"{live.url}/api/docs/{dialect}/")
        assert "script-src 'self'" in answer.headers["content-security-policy"]
        page.locator(".swagger-ui .info .title").wait_for(timeout=30_000)
        assert title in page.locator(".swagger-ui .info .title").inner_text()
        page.locator(".opblock").first.wait_for(timeout=30_000)  # the operations are listed
        assert problems == []
        assert origins <= {urlsplit(live.url).netloc, "data"}, origins
    finally:
        ctx.close()
