"""The console in a real browser (Debian's chromium) against a real server: `pulsebridge demo`
then `pulsebridge serve` on 127.0.0.1, signed in as the demo's owner."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.webhooks.conftest import Answer, Receiver

from .conftest import AXE

pytestmark = [pytest.mark.browser, pytest.mark.live]

TABLET = {"width": 820, "height": 1180}
SCREENS = [
    ("patients", "/patients/"),
    ("alerts", "/alerts/"),
    ("billing", "/billing/"),
    ("devices", "/devices/"),
    ("orders", "/orders/"),
    ("webhooks", "/webhooks/"),
    ("imports", "/imports/"),
    ("keys", "/keys/"),
    ("trackers", "/trackers/"),
    ("team", "/team/"),
    ("audit", "/audit/"),
]


@pytest.fixture(autouse=True)
def _chromium(chromium):
    pass


def open_session(browser, live, username: str, password: str, **context):
    """A fresh browser context signed in as ``username``; CSP violations are collected."""
    ctx = browser.new_context(viewport=TABLET, **context)
    ctx.add_init_script(path=str(AXE))  # injected by the browser, so the page's CSP allows it
    page = ctx.new_page()
    page.csp_violations = []
    page.on(
        "console",
        lambda m: (
            page.csp_violations.append(m.text) if "Content Security Policy" in m.text else None
        ),
    )
    page.goto(f"{live.url}/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")
    return page


@pytest.fixture
def owner_page(browser, live):
    console = live.saved["console"]
    page = open_session(browser, live, console["username"], console["password"])
    yield page
    page.context.close()


def axe_violations(page) -> list[dict]:
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_every_screen_has_no_serious_accessibility_violation(owner_page, live, artifacts):
    page = owner_page
    assert page.url == f"{live.url}/patients/"
    patient = page.get_by_role("link", name="Maria Lopez").get_attribute("href")
    tracker = None
    found = {}
    for name, path in [*SCREENS, ("patient", patient)]:
        page.goto(f"{live.url}{path}")
        page.wait_for_load_state("networkidle")
        if name == "trackers":
            tracker = page.locator("tbody a").first.get_attribute("href")
        page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
        found[name] = axe_violations(page)
    page.goto(f"{live.url}{tracker}")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(artifacts / "tracker.png"), full_page=True)
    found["tracker"] = axe_violations(page)
    signin = page.context.browser.new_page(viewport=TABLET)
    signin.add_init_script(path=str(AXE))
    signin.goto(f"{live.url}/")
    signin.screenshot(path=str(artifacts / "signin.png"), full_page=True)
    found["signin"] = axe_violations(signin)
    signin.close()
    assert {name: v for name, v in found.items() if v} == {}
    assert page.csp_violations == []


def test_the_patient_page_charts_the_demo_s_readings(owner_page, live):
    page = owner_page
    page.get_by_role("link", name="Maria Lopez").click()
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.querySelector('#chart-weight'))"
    )
    drawn = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('.charts canvas[data-index]')].map(c =>
             [c.id, Chart.getChart(c).data.datasets.map(d => ({label: d.label, data: d.data}))]))"""
    )
    readings = live.pylo("POST", "/readings", json={"patient_id": "P-1001"}).json()["measurements"]
    since = datetime.now(UTC) - timedelta(days=30)
    expected = sorted(
        next(v["Value"] for v in m["Values"] if v["Type"] == "systolic")
        for m in readings
        if m["MeasurementType"] == "Blood Pressure"
        and datetime.fromisoformat(m["MeasuredAt"].replace("Z", "+00:00")) >= since
    )
    systolic = next(d for d in drawn["chart-blood_pressure"] if d["label"].startswith("Systolic"))
    assert expected
    assert sorted(p["y"] for p in systolic["data"]) == expected
    weights = [m for m in readings if m["MeasurementType"] == "Weight"]
    drawn_weights = drawn["chart-weight"][0]
    assert drawn_weights["label"] == "Weight (lb)"  # the demo clinic weighs in pounds
    assert len(drawn_weights["data"]) == len(weights)
    page.get_by_role("link", name="7 days").click()
    page.wait_for_function(
        "() => document.querySelector('.charts').dataset.days === '7'"
        " && Chart.getChart(document.querySelector('#chart-blood_pressure'))"
    )
    week = page.evaluate(
        "() => Chart.getChart(document.querySelector('#chart-blood_pressure')).data.datasets[0].data.length"
    )
    assert 0 < week < len(systolic["data"])
    assert page.url.endswith("?days=7")
    table_ids = page.locator("tr[data-reading]").evaluate_all(
        "rows => rows.map(r => r.dataset.reading)"
    )
    newest = sorted(readings, key=lambda m: m["MeasuredAt"], reverse=True)[: len(table_ids)]
    assert table_ids == [m["Id"] for m in newest]


def test_shipping_the_demo_order_moves_it_on_the_board_and_in_pylo(owner_page, live):
    page = owner_page
    page.goto(f"{live.url}/orders/")
    waiting = page.locator('section[data-status="awaiting_shipment"] article.card').first
    number = waiting.locator("h3").inner_text().split()[0]
    waiting.locator("summary", has_text="Ship").click()
    waiting.get_by_label(re.compile("IMEIs")).fill("359000000000101\n359000000000102")
    waiting.get_by_label("Carrier").fill("usps")
    waiting.get_by_label("Tracking number").fill("9400100000000000000001")
    waiting.get_by_role("button", name=f"Ship {number}").click()
    shipped = page.locator(f'section[data-status="shipped"] #order-{number}')
    shipped.wait_for()
    assert "9400100000000000000001" in shipped.inner_text()
    assert page.get_by_text(f"Order {number} shipped.").is_visible()
    order = live.pylo("GET", "/orders", params={"number": number}).json()
    assert order["order_status"] == "shipped"
    assert order["tracking_number"] == "9400100000000000000001"
    assert sorted(i for d in order["devices"] for i in d["imeis"]) == [
        "359000000000101",
        "359000000000102",
    ]


def test_replaying_a_delivery_sends_a_new_attempt_to_the_receiver(owner_page, live):
    receiver = Receiver(Answer(status=503, body=b"busy")).start()
    try:
        page = owner_page
        page.goto(f"{live.url}/webhooks/")
        page.locator("summary", has_text="Add an endpoint").click()
        page.get_by_label("URL").fill(receiver.url)
        page.get_by_label("DEVICE_BILLING_STATUS_CHANGED").last.check()
        page.get_by_role("button", name="Add endpoint").click()
        secret = page.locator("#new-secret").inner_text()
        assert secret.startswith("whsec_")
        page.goto(f"{live.url}/devices/?kind=glucose")
        page.locator("details.row-actions summary").first.click()
        page.get_by_role("button", name="Suspend billing").first.click()
        page.get_by_role("button", name="Resume billing").first.wait_for()
        first = receiver.wait_for(1, timeout=30)  # the worker sends it
        assert len(first) == 1
        page.goto(f"{live.url}/webhooks/")
        delivery = page.locator("article.delivery").filter(has_text=receiver.url).first
        delivery.get_by_role("cell", name="503").wait_for()
        receiver.answer = Answer(status=200, body=b"thanks")
        delivery.get_by_role("button", name="Replay").click()
        # sent by this request, or by the worker when it claimed the row first
        page.get_by_text(re.compile("Delivered again: HTTP 200|Queued for the worker")).wait_for()
        got = receiver.wait_for(2, timeout=30)
        assert len(got) == 2
        assert got[0].headers["webhook-id"] == got[1].headers["webhook-id"]
        deadline = time.monotonic() + 20  # the attempt is recorded once its answer is in
        while True:
            page.goto(f"{live.url}/webhooks/")
            replayed = page.locator("article.delivery").filter(has_text=receiver.url).first
            if "thanks" in replayed.inner_text() or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert "thanks" in replayed.inner_text()
        assert replayed.locator("tbody tr").count() == 2
    finally:
        receiver.stop()


def test_a_new_key_is_shown_once_and_refused_once_revoked(owner_page, live):
    page = owner_page
    page.goto(f"{live.url}/keys/")
    page.get_by_label("Dialect", exact=True).select_option("pylo")
    page.get_by_role("button", name="Create key").click()
    key = page.locator("#new-key").inner_text()
    assert live.pylo("GET", "/devices", key=key).status_code == 200
    page.goto(f"{live.url}/keys/")
    assert key not in page.content()
    prefix = "_".join(key.split("_")[:3])
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=f"Revoke {prefix}").click()
    page.get_by_text(f"Key {prefix} revoked.").wait_for()
    assert live.pylo("GET", "/devices", key=key).status_code == 401


def test_a_clinician_cannot_open_the_keys_page(browser, owner_page, live):
    page = owner_page
    page.goto(f"{live.url}/team/")
    page.get_by_label("Username").fill("cleo")
    page.get_by_label("Password").fill("a long clinician password")
    page.get_by_label("Role", exact=True).select_option("clinician")
    page.get_by_role("button", name="Add user").click()
    page.get_by_text("User cleo created (clinician).").wait_for()
    cleo = open_session(browser, live, "cleo", "a long clinician password")
    try:
        assert cleo.url == f"{live.url}/patients/"
        assert cleo.get_by_role("link", name="Keys").count() == 0
        response = cleo.goto(f"{live.url}/keys/")
        assert response.status == 403
        assert cleo.get_by_text("may not open the keys screen").is_visible()
    finally:
        cleo.context.close()


def test_charlie_gets_404_on_alice_s_patient(browser, owner_page, live):
    patient = owner_page.get_by_role("link", name="Maria Lopez").get_attribute("href")
    live.command("company", "create", "--name", "Charlie Health", "--code", "charlie-health")
    live.command(
        "user", "create", "--company", "charlie-health", "--username", "charlie",
        "--password", "charlie's long password", "--role", "owner",
    )  # fmt: skip
    charlie = open_session(browser, live, "charlie", "charlie's long password")
    try:
        response = charlie.goto(f"{live.url}{patient}")
        assert response.status == 404
        assert "Maria" not in charlie.content()
        assert owner_page.goto(f"{live.url}{patient}").status == 200
    finally:
        charlie.context.close()


def test_the_server_answers_the_console_s_static_files_itself(live):
    css = httpx.get(f"{live.url}/static/console/console.css", timeout=5)
    chart = httpx.get(f"{live.url}/static/console/vendor/chartjs/chart.umd.min.js", timeout=5)
    assert css.status_code == chart.status_code == 200
    assert "Chart" in chart.text


def test_time_logged_on_the_patient_page_reaches_the_billing_screen(owner_page, live):
    page = owner_page
    page.get_by_role("link", name="Maria Lopez").click()
    page.wait_for_load_state("networkidle")
    page.get_by_label("Minutes").fill("25")
    page.get_by_label("Note").fill("reviewed the week")
    page.get_by_role("button", name="Log time").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("cell", name="reviewed the week").is_visible()
    page.get_by_role("link", name="Billing").click()
    page.wait_for_load_state("networkidle")
    row = page.get_by_role("row").filter(has_text="Maria Lopez")
    assert "25" in row.inner_text()
    assert page.csp_violations == []
