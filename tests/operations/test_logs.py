"""LOG_FORMAT=json: one JSON object per line; LOG_REQUESTS: a line per request with its id,
company, route, status and duration, and never the key, the query or the body."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from django.test import override_settings


def test_log_format_json_writes_one_json_object_per_line(tmp_path):
    code = (
        "import django, logging; django.setup();"
        " logging.getLogger('pulsebridge.test').warning('hello %s', 'there',"
        " extra={'request_id': 'r-1', 'status': 201})"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={
            **os.environ,
            "LOG_FORMAT": "json",
            "PULSEBRIDGE_VAR_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "pulsebridge.settings",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert line["message"] == "hello there"
    assert line["level"] == "WARNING"
    assert line["logger"] == "pulsebridge.test"
    assert line["request_id"] == "r-1"
    assert line["status"] == 201
    assert "time" in line


def test_a_bad_log_format_is_refused(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={
            **os.environ,
            "LOG_FORMAT": "xml",
            "PULSEBRIDGE_VAR_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "pulsebridge.settings",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "LOG_FORMAT='xml': plain or json" in result.stderr


@override_settings(LOG_REQUESTS=True)
def test_each_request_is_logged_with_its_id_company_route_status_and_duration(
    client, alice, make_key, add_device, caplog
):
    caplog.set_level("INFO", logger="pulsebridge.request")
    key = make_key(alice, "ingest")
    device = add_device(alice, "PY-802-LTE")
    reading = {
        "imei": device.imei,
        "kind": "blood_pressure",
        "measured_at": "2026-11-01T08:00:00Z",
        "values": {"systolic": 187, "diastolic": 84, "pulse": 62},
    }
    response = client.post(
        "/ingest/v1/measurements?note=private",
        reading,
        content_type="application/json",
        HTTP_X_API_KEY=key,
        HTTP_X_REQUEST_ID="req-42",
    )
    assert response.status_code == 200
    [record] = [r for r in caplog.records if r.name == "pulsebridge.request"]
    assert record.request_id == "req-42"
    assert record.company == "alice-care"
    assert record.route == "ingest/v1/measurements"
    assert record.dialect == "ingest"
    assert record.status == 200
    assert record.duration_ms > 0
    fields = ("request_id", "company", "dialect", "route", "method", "status", "duration_ms")
    text = record.getMessage() + json.dumps({f: getattr(record, f) for f in fields})
    assert key not in text
    assert "private" not in text
    assert "187" not in text
    assert device.imei not in text
