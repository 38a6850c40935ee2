"""Swagger UI of each dialect in a real browser (Debian's chromium) against a real server: it
renders from the installed sidecar's files under the page's Content-Security-Policy, and loads
nothing from another origin (a self-hosted or offline install shows the same page)."""

from __future__ import annotations

import json
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


def test_ping_swagger_ui_signs_in_with_the_authorization_code_flow(browser, live):
    """A PING integrator's first try: an authorization-code application whose redirect URI is
    the docs' ``oauth2-redirect.html``, the Authorize dialog, the login and consent pages in the
    pop-up, back to Swagger UI with a token, and a call made with it."""
    console = live.saved["console"]
    created = live.command(
        "application", "create", "--username", console["username"], "--name", "Swagger",
        "--grant", "authorization-code", "--json",
        "--redirect-uri", f"{live.url}/api/docs/ping/oauth2-redirect.html",
    )  # fmt: skip
    application = json.loads(created)
    ctx = browser.new_context()
    page = ctx.new_page()
    try:
        page.goto(f"{live.url}/api/docs/ping/")
        page.locator(".opblock").first.wait_for(timeout=30_000)
        page.locator(".auth-wrapper button.authorize").click()
        code_flow = page.locator(".auth-container").filter(has_text="authorizationCode")
        page.fill("#client_id_authorizationCode", application["client_id"])
        page.fill("#client_secret_authorizationCode", application["client_secret"])
        with ctx.expect_page() as opened:
            code_flow.locator("button.authorize").click()
        popup = opened.value
        popup.wait_for_load_state()
        assert urlsplit(popup.url).path == "/ping/auth/login/"
        popup.fill("input[name=username]", console["username"])
        popup.fill("input[name=password]", console["password"])
        popup.locator("form [type=submit]").first.click()
        popup.locator("button[name=allow]").click()  # the consent page
        popup.wait_for_event("close", timeout=30_000)  # oauth2-redirect.html hands back the code
        code_flow.get_by_text("Authorized").wait_for(timeout=30_000)
        page.locator(".modal-ux .btn-done").first.click()

        devices = page.locator("#operations-devices-devices_list, .opblock-get").filter(
            has_text="/1.0/devices/devices/"
        )
        devices.first.locator(".opblock-summary").click()
        devices.first.get_by_role("button", name="Try it out").click()
        devices.first.get_by_role("button", name="Execute").click()
        status = devices.first.locator(".live-responses-table tbody .response-col_status").first
        status.wait_for(timeout=30_000)
        assert status.inner_text().strip() == "200"  # 401 without the token
        assert "Authorization: Bearer" in devices.first.locator(".curl-command").inner_text()
    finally:
        ctx.close()
