"""Screen 6: Hayylo import batches, their per-record report, and the failed records as CSV
(``care.services``: the batch as the domain keeps it, not the Hayylo wire format)."""

from __future__ import annotations

import csv
import io
import json

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from pulsebridge.care import services
from pulsebridge.care.models import ImportBatch

from ..access import screen
from ..actions import record_read
from .common import page_of, uuid_or_404


@screen("imports")
def imports(request):
    batches = services.batches(request.seat.company).defer("payload", "errors")
    status = request.GET.get("status")
    if status in ImportBatch.Status.values:
        batches = batches.filter(status=status)
    context = {
        "page": page_of(request, batches),
        "status": status or "",
        "statuses": ImportBatch.Status.values,
    }
    return render(request, "console/imports.html", context)


def _batch(request, batch_id) -> ImportBatch:
    return get_object_or_404(services.batches(request.seat.company), pk=uuid_or_404(batch_id))


@screen("imports")
def batch(request, batch_id):
    found = _batch(request, batch_id)
    context = {"batch": found, "errors": page_of(request, found.errors, 50)}
    return render(request, "console/batch.html", context)


@screen("imports")
def failed_csv(request, batch_id):
    found = _batch(request, batch_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["index", "id", "message", "record"])
    for failure in services.failed_records(found):
        record = failure["record"]
        writer.writerow(
            [
                "" if failure["index"] is None else failure["index"],
                "" if failure["id"] is None else failure["id"],
                failure["message"] or "",
                "" if record is None else json.dumps(record, ensure_ascii=False),
            ]
        )
    record_read(request, "import.failed.download", target=str(found.pk))
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="batch-{found.pk}-failed.csv"'
    return response
