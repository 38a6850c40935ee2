"""GET /hayylo/inbound/{batchId}: what became of a batch, for its own company only."""

import uuid

from tests.care import examples


def test_a_batch_reports_queued_until_the_worker_takes_it(hayylo):
    batch_id = hayylo.post(examples.wrapper("worker", [examples.worker()])).json()["batchId"]
    assert hayylo.report(batch_id) == {
        "batchId": batch_id,
        "schemaType": "worker",
        "status": "queued",
        "received": 1,
        "imported": 0,
        "failed": 0,
        "errors": [],
    }


def test_a_batch_reports_done_with_every_record_not_imported(hayylo, worker):
    with worker():
        hayylo.post(examples.wrapper("client", [examples.client()]))
    records = [
        examples.family(),
        examples.family(id="FAMILY_ID_002", linkedClientId="CLIENT_ID_404"),
        examples.family(id="FAMILY_ID_003", email="not an address"),
    ]
    with worker():
        batch_id = hayylo.post(examples.wrapper("family", records)).json()["batchId"]
    report = hayylo.report(batch_id)
    assert report["status"] == "done"
    assert (report["received"], report["imported"], report["failed"]) == (3, 1, 2)
    assert [(e["index"], e["id"]) for e in report["errors"]] == [
        (1, "FAMILY_ID_002"),
        (2, "FAMILY_ID_003"),
    ]
    assert list(report["errors"][0]) == ["index", "id", "message"]
    assert "linkedClientId" in report["errors"][0]["message"]
    assert "email" in report["errors"][1]["message"]


def test_charlies_company_cannot_read_alices_batch(hayylo, charlie_hayylo):
    batch_id = hayylo.post(examples.wrapper("worker", [examples.worker()])).json()["batchId"]
    response = charlie_hayylo.get(f"/hayylo/inbound/{batch_id}")
    assert response.status_code == 404
    assert response.json()["message"].startswith("Not Found")


def test_an_unknown_batch_is_404(hayylo):
    assert hayylo.get(f"/hayylo/inbound/{uuid.uuid4()}").status_code == 404


def test_a_batch_id_that_is_no_uuid_is_404(hayylo):
    assert hayylo.get("/hayylo/inbound/not-a-batch").status_code == 404


def test_reading_a_batch_needs_a_key(hayylo, client):
    batch_id = hayylo.post(examples.wrapper("worker", [examples.worker()])).json()["batchId"]
    assert client.get(f"/hayylo/inbound/{batch_id}").status_code == 401
