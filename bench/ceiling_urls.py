"""The ceiling server's two views (``bench/ceiling_app.py``), neither touching the database:

- ``POST /ceiling/reading``: a DRF view that parses a one-reading JSON body and answers a small
  JSON object, as the ingest view does minus the API key, the validation and the SQL: P2's
  ceiling, what this machine, gunicorn and Django serve per second before any of our work.
- ``POST /ceiling/page``: a fixed JSON answer of ``PAGE_BYTES`` (the size of a Pylo readings page
  of 1,000 measurements), built once at start-up: P3's ceiling, the p99 of moving such an answer
  through Django, gunicorn and the loopback."""

from __future__ import annotations

import json

from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from rest_framework.response import Response
from rest_framework.views import APIView

PAGE_BYTES = 650_000


def _page() -> bytes:
    item = {
        "Id": "0" * 36,
        "DeviceId": "0" * 36,
        "PatientId": "P00000",
        "Type": "BLOOD_PRESSURE",
        "Values": {"Systolic": 120, "Diastolic": 80, "Pulse": 60},
        "Unit": "mmHg",
        "MeasuredAt": "2026-01-01T00:00:00Z",
        "ReceivedAt": "2026-01-01T00:00:01Z",
        "Battery": 80,
        "Signal": 70,
    }
    items = [item] * (PAGE_BYTES // (len(json.dumps(item)) + 2))
    return json.dumps({"measurements": items, "page_info": {"cursor_token": None}}).encode()


PAGE = _page()


class Reading(APIView):
    def post(self, request):
        data = request.data
        imei = data.get("imei") if isinstance(data, dict) else None
        return Response({"results": [{"status": "created", "imei": imei}]})


@csrf_exempt
def page(request):
    return HttpResponse(PAGE, content_type="application/json")


urlpatterns = [
    path("ceiling/reading", Reading.as_view()),
    path("ceiling/page", page),
]
