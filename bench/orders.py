"""P10: a Pylo ``GET /orders`` page of 1,000 orders through the real server, beside a
``GET /devices`` page of 1,000 devices of the same company (the page the orders page should cost
as much as): p50/p99 of each over ``P10_SAMPLES`` requests, alternately, after a warm-up.

Orders are bulk-created as the Pylo API stores them (two lines each, a patient, billing info),
1,001 of them so that the page is full and has a next cursor."""

from __future__ import annotations

import time

import httpx

from .common import Row, fmt_ms, log, percentile, verdict

TARGET_P99_MS = 200.0
ORDERS = 1001
P10_SAMPLES = 40


def _company():
    from pulsebridge.core.apikeys import create_api_key
    from pulsebridge.core.models import Company
    from pulsebridge.devices.models import Device, DeviceModel, Patient
    from pulsebridge.fulfillment.models import Order, OrderLine

    company = Company.objects.create(code="bench-pylo-orders", name="Bench Pylo orders")
    key = create_api_key(company, "pylo", rate_per_second=100_000).key
    bpm, scale = (
        DeviceModel.objects.get(sku="PY-802-LTE"),
        DeviceModel.objects.get(sku="PY-300-LTE"),
    )
    patients = Patient.objects.bulk_create(
        [Patient(company=company, external_id=f"O{i:05d}") for i in range(ORDERS)], batch_size=2000
    )
    orders = Order.objects.bulk_create(
        [
            Order(
                company=company,
                number=f"BENCH{i:06d}",
                patient=patients[i],
                recipient_first_name="John",
                recipient_last_name="Doe",
                address1="30 rockefeller center",
                city="New York",
                state="NY",
                postal_code="10041",
                country_code="US",
                billing_info={"name": "ABC Company Health", "country": "US"},
                inserts=["Test-Insert-1"],
            )
            for i in range(ORDERS)
        ],
        batch_size=2000,
    )
    OrderLine.objects.bulk_create(
        [OrderLine(order=o, model=m, quantity=1, imeis=[]) for o in orders for m in (bpm, scale)],
        batch_size=4000,
    )
    Device.objects.bulk_create(
        [
            Device(company=company, model=bpm, imei=f"38{i:013d}", serial=f"38{i:013d}",
                   patient=patients[i])
            for i in range(ORDERS)
        ],
        batch_size=2000,
    )  # fmt: skip
    return key


def run(report) -> None:
    key = _company()
    samples = 10 if getattr(report.args, "quick", False) else P10_SAMPLES
    with httpx.Client(
        base_url=report.server.base_url, headers={"x-api-key": key}, timeout=60
    ) as client:

        def once(path: str, field: str) -> float:
            started = time.perf_counter()
            response = client.get(path)
            took = time.perf_counter() - started
            body = response.json()
            assert response.status_code == 200, (path, response.status_code)
            assert body["count"] == 1000, (path, body.get("count"))
            assert len(body[field]) == 1000
            return took

        for _ in range(3):
            once("/pylo/orders", "orders")
            once("/pylo/devices", "devices")
        orders, devices = [], []
        log(f"P10: timing a page of 1,000 orders and of 1,000 devices, {samples} samples each")
        with report.cpu_meter({"client": lambda: [__import__("os").getpid()]}) as cpu:
            for _ in range(samples):
                orders.append(once("/pylo/orders", "orders"))
                devices.append(once("/pylo/devices", "devices"))
    report.check_noise("P10", cpu)
    o50, o99 = percentile(orders, 50) * 1000, percentile(orders, 99) * 1000
    d50, d99 = percentile(devices, 50) * 1000, percentile(devices, 99) * 1000
    log(f"P10: orders p50 {o50:.1f} / p99 {o99:.1f} ms; devices p50 {d50:.1f} / p99 {d99:.1f} ms")
    report.add(
        "P10",
        figures={
            "samples": len(orders),
            "orders_ms": {"p50": round(o50, 2), "p99": round(o99, 2)},
            "devices_ms": {"p50": round(d50, 2), "p99": round(d99, 2)},
            "orders_over_devices": {"p50": round(o50 / d50, 3), "p99": round(o99 / d99, 3)},
            "target_p99_ms": TARGET_P99_MS,
            "cpu_cores": cpu.result,
        },
        rows=[
            Row(
                "P10 Pylo orders",
                "page of 1,000 orders p50 / p99",
                f"{fmt_ms(o50)} / {fmt_ms(o99)}",
                f"target p99 {TARGET_P99_MS:.0f} ms",
                f"{o99 / TARGET_P99_MS:.2f}x",
                verdict(o99 <= TARGET_P99_MS),
            ),
            Row(
                "P10 Pylo orders",
                "orders page / devices page of 1,000",
                f"p50 {o50 / d50:.2f}x, p99 {o99 / d99:.2f}x",
                f"devices p50 / p99 {fmt_ms(d50)} / {fmt_ms(d99)}",
                f"{o99 / d99:.2f}x",
            ),
        ],
    )
