"""CONSOLE: the console's two heaviest pages and how soon the patient page paints.

``run(report)`` is the scenario for the bench runner (Django set up on the run's database, the
server running on it). It fills a company with 1,000 patients (a blood pressure cuff and a
scale each, two readings of each a day for 30 days: 120,000 readings) and one patient with 90
days of four kinds (blood pressure, weight, glucose, SpO2; three a day: 1,080 readings), through
``record_measurements``, the one write path. Then, signed in as the company's owner:

- server time of the patient page over 90 days (``/patients/<id>/?days=90``) and of the patient
  list (``/patients/``, and sorted by days with readings, which counts them for every patient):
  p50/p95 of ``--console-samples`` requests in-process (Django test client: middleware,
  queries, templates; no network), and the same over HTTP against gunicorn;
- first contentful paint of the patient page in headless Chromium (Debian's ``chromium``), p50
  and worst of ten loads, from the browser's own ``performance`` entries.

Targets: patient page p95 <= 150 ms, list p95 <= 200 ms, first contentful paint <= 1 s."""

from __future__ import annotations

import random
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from .common import Row, log, percentile

PAGE_TARGET_MS = 150.0
LIST_TARGET_MS = 200.0
FCP_TARGET_MS = 1000.0
PATIENTS = 1000
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = secrets.token_urlsafe(16)  # the bench's owner signs in with it, once per run


@dataclass
class Filled:
    company: object
    hot: object  # the patient with 90 days of four kinds
    username: str
    seconds: float
    readings: int


def _stamp(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def fill() -> Filled:
    from pulsebridge.core.models import Membership
    from pulsebridge.core.services import NewUser, create_company, create_user
    from pulsebridge.devices.services import add_device, assign_device
    from pulsebridge.ingest.readings import record_items as record_measurements

    t0 = time.perf_counter()
    rng = random.Random(7)
    company = create_company(code="bench-console", name="Bench Console")
    create_user(
        company, NewUser(username="bench-owner", password=PASSWORD, role=Membership.Role.OWNER)
    )
    now = datetime.now(UTC).replace(microsecond=0)
    imei = iter(range(356_000_000_000_000, 357_000_000_000_000))
    items: list[dict] = []
    stored = 0

    def flush(force: bool = False) -> None:
        nonlocal items, stored
        if len(items) >= 5000 or (force and items):
            outcomes = record_measurements(company, items)
            refused = [o for o in outcomes if o.status == "error"]
            assert not refused, f"the bench's readings were refused: {refused[0].as_dict()}"
            stored += sum(1 for o in outcomes if o.status == "created")
            items = []

    for n in range(PATIENTS):
        patient_id = f"B{n:05}"
        cuff = assign_device(
            add_device(company, "PY-802-LTE", imei=str(next(imei))), patient_id=patient_id
        )
        scale = assign_device(
            add_device(company, "PY-300-LTE", imei=str(next(imei))), patient_id=patient_id
        )
        for day in range(30):
            for slot in (7, 19):
                at = now - timedelta(days=day, hours=slot, minutes=rng.randint(0, 59))
                items.append(
                    {
                        "imei": cuff.imei,
                        "kind": "blood_pressure",
                        "measured_at": _stamp(at),
                        "values": {
                            "systolic": rng.randint(105, 165),
                            "diastolic": rng.randint(60, 100),
                            "pulse": rng.randint(55, 95),
                        },
                        "battery": rng.randint(10, 100),
                    }
                )
                items.append(
                    {
                        "imei": scale.imei,
                        "kind": "weight",
                        "measured_at": _stamp(at),
                        "values": {"weight": round(rng.uniform(60, 110), 1), "unit": "kg"},
                    }
                )
        flush()
    hot_id = "HOT-1"
    kinds = {
        "PY-802-LTE": (
            "blood_pressure",
            lambda: {
                "systolic": rng.randint(105, 165),
                "diastolic": rng.randint(60, 100),
                "pulse": rng.randint(55, 95),
            },
        ),
        "PY-300-LTE": ("weight", lambda: {"weight": round(rng.uniform(70, 72), 1), "unit": "kg"}),
        "PY-GL1-LTE": (
            "glucose",
            lambda: {
                "glucose": rng.randint(80, 220),
                "unit": "mg/dL",
                "before_meal": rng.randint(0, 1),
            },
        ),
        "PY-OX1-LTE": (
            "pulse_oximetry",
            lambda: {"spo2": rng.randint(92, 100), "pulse": rng.randint(55, 95)},
        ),
    }
    hot = None
    for sku, (kind, values) in kinds.items():
        device = assign_device(add_device(company, sku, imei=str(next(imei))), patient_id=hot_id)
        hot = device.patient
        for day in range(90):
            for slot in (7, 13, 20):
                at = now - timedelta(days=day, hours=slot, minutes=rng.randint(0, 59))
                items.append(
                    {
                        "imei": device.imei,
                        "kind": kind,
                        "measured_at": _stamp(at),
                        "values": values(),
                        "battery": 80,
                    }
                )
        flush()
    flush(force=True)
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return Filled(company, hot, "bench-owner", time.perf_counter() - t0, stored)


def _timed(get, samples: int) -> dict[str, float]:
    for _ in range(3):  # warm-up: connections, prepared statements, template caches
        get()
    times = []
    for _ in range(samples):
        t = time.perf_counter()
        status = get()
        times.append(time.perf_counter() - t)
        assert status == 200, status
    return {
        "p50_ms": round(percentile(times, 50) * 1000, 1),
        "p95_ms": round(percentile(times, 95) * 1000, 1),
        "samples": samples,
    }


def in_process(filled: Filled, samples: int) -> dict[str, dict]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username=filled.username))
    page = f"/patients/{filled.hot.pk}/?days=90"
    return {
        "patient_page_90_days": _timed(lambda: client.get(page).status_code, samples),
        "patients_list": _timed(lambda: client.get("/patients/").status_code, samples),
        "patients_list_by_days": _timed(
            lambda: client.get("/patients/?sort=-days").status_code, samples
        ),
    }


def _signed_in_http(base_url: str, username: str) -> httpx.Client:
    http = httpx.Client(base_url=base_url, timeout=30)
    http.get("/")
    http.post(
        "/",
        data={
            "username": username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": http.cookies["csrftoken"],
        },
        headers={"Referer": f"{base_url}/"},
    )
    assert "sessionid" in http.cookies, "could not sign in over HTTP"
    return http


def over_http(filled: Filled, base_url: str, samples: int) -> dict[str, dict]:
    http = _signed_in_http(base_url, filled.username)
    try:
        page = f"/patients/{filled.hot.pk}/?days=90"
        return {
            "patient_page_90_days": _timed(lambda: http.get(page).status_code, samples),
            "patients_list": _timed(lambda: http.get("/patients/").status_code, samples),
        }
    finally:
        http.close()


# The paint entry may come after "load": wait for it (buffered, so one already there counts).
FCP = """() => new Promise((resolve) => {
  const seen = performance.getEntriesByName('first-contentful-paint')[0];
  if (seen) { resolve(seen.startTime); return; }
  new PerformanceObserver((list) => {
    const entry = list.getEntriesByName('first-contentful-paint')[0];
    if (entry) resolve(entry.startTime);
  }).observe({type: 'paint', buffered: true});
  setTimeout(() => resolve(null), 10000);
})"""


def first_paint(filled: Filled, base_url: str, loads: int = 10) -> dict[str, float] | None:
    if not Path(CHROMIUM).exists():
        return None
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1024, "height": 900})
            page = context.new_page()
            page.goto(f"{base_url}/")
            page.fill("#username", filled.username)
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state("networkidle")
            url = f"{base_url}/patients/{filled.hot.pk}/?days=90"
            page.goto(url)  # warm the server and the browser's cache of the static files
            paints = []
            for _ in range(loads):
                page.goto(url, wait_until="load")
                fcp = page.evaluate(FCP)
                assert fcp, "the browser reported no first contentful paint"
                paints.append(fcp)
            charts = page.evaluate(
                "() => [...document.querySelectorAll('.charts canvas')].filter(c => Chart.getChart(c)).length"
            )
        finally:
            browser.close()
    return {
        "p50_ms": round(percentile(paints, 50), 1),
        "max_ms": round(max(paints), 1),
        "loads": loads,
        "charts_drawn": charts,
    }


def run(report) -> None:
    args = getattr(report, "args", None)
    samples = getattr(args, "console_samples", None) or 60
    log("CONSOLE: filling 1,000 patients and one with 90 days of four kinds")
    cpu = report.cpu_meter()
    filled = fill()
    log(f"CONSOLE: {filled.readings:,} readings in {filled.seconds:.0f} s")
    with cpu:
        local = in_process(filled, samples)
        remote = over_http(filled, report.server.base_url, samples)
        try:
            paint = first_paint(filled, report.server.base_url)
        except Exception as exc:  # the page's figures stand without the browser's
            report.note(f"CONSOLE: first contentful paint not measured: {exc!r}")
            paint = None
    report.check_noise("CONSOLE", cpu)
    figures = {
        "fill_s": round(filled.seconds, 1),
        "readings": filled.readings,
        "in_process": local,
        "http": remote,
        "first_contentful_paint": paint,
    }
    page, listing, by_days = (
        local["patient_page_90_days"],
        local["patients_list"],
        local["patients_list_by_days"],
    )
    rows = [
        Row("CONSOLE", f"fill: {filled.readings:,} readings", f"{filled.seconds:.0f} s"),
        Row(
            "CONSOLE",
            f"patient page, 90 days of 4 kinds, server p95 (p50 {page['p50_ms']} ms; HTTP p95 {remote['patient_page_90_days']['p95_ms']} ms)",
            f"{page['p95_ms']} ms",
            "target",
            f"{page['p95_ms'] / PAGE_TARGET_MS:.2f}x",
            "ok" if page["p95_ms"] <= PAGE_TARGET_MS else "MISS",
        ),
        Row(
            "CONSOLE",
            f"patients list of 1,000, server p95 (p50 {listing['p50_ms']} ms; HTTP p95 {remote['patients_list']['p95_ms']} ms)",
            f"{listing['p95_ms']} ms",
            "target",
            f"{listing['p95_ms'] / LIST_TARGET_MS:.2f}x",
            "ok" if listing["p95_ms"] <= LIST_TARGET_MS else "MISS",
        ),
        Row(
            "CONSOLE",
            f"patients list sorted by days with readings, server p95 (p50 {by_days['p50_ms']} ms)",
            f"{by_days['p95_ms']} ms",
            "target",
            f"{by_days['p95_ms'] / LIST_TARGET_MS:.2f}x",
            "ok" if by_days["p95_ms"] <= LIST_TARGET_MS else "MISS",
        ),
    ]
    if paint is None and not Path(CHROMIUM).exists():
        report.note(f"CONSOLE: no first contentful paint: {CHROMIUM} is not installed")
    elif paint is not None:
        rows.append(
            Row(
                "CONSOLE",
                f"patient page first contentful paint, headless Chromium (p50 {paint['p50_ms']} ms, {paint['charts_drawn']} charts)",
                f"{paint['max_ms']} ms worst of {paint['loads']}",
                "target",
                f"{paint['max_ms'] / FCP_TARGET_MS:.2f}x",
                "ok" if paint["max_ms"] <= FCP_TARGET_MS else "MISS",
            )
        )
    report.add("CONSOLE", figures={**figures, "cpu": cpu.result}, rows=rows)
