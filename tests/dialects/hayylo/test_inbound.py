"""POST /hayylo/inbound: a batch is kept as received, answered 202, and imported later by the
background worker, never inside the request."""

import json

import pytest

from tests.care import examples


def test_the_documents_client_batch_is_accepted_with_202(hayylo):
    response = hayylo.post(examples.wrapper("client", [examples.client()]))
    assert response.status_code == 202
    body = response.json()
    assert set(body) == {"message", "batchId", "records"}
    assert body["records"] == 1
    assert body["message"].startswith("Accepted")
    assert response["Location"] == f"/hayylo/inbound/{body['batchId']}"


def test_the_document_replayed_word_for_word_is_accepted_for_the_company_it_names(
    client, make_key, db
):
    from pulsebridge.core.models import Company

    hayylocare = Company.objects.create(code="hayylocare", name="Hayylo Care", instance_id="100")
    key = make_key(hayylocare, "hayylo")
    body = examples.wrapper("schedule", examples.SCHEDULE, "hayylocare", "100")
    response = client.post(
        "/hayylo/inbound", json.dumps(body), content_type="application/json", HTTP_X_API_KEY=key
    )
    assert response.status_code == 202
    assert response.json()["records"] == 3


def test_the_request_itself_imports_nothing_the_batch_waits_for_the_worker(
    hayylo, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    from pulsebridge.care.models import CareClient, ImportBatch

    text = json.dumps(examples.wrapper("client", [examples.client()]), indent=1)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = hayylo.post(text)
    assert response.status_code == 202
    assert len(callbacks) == 1  # the import is queued once the batch is committed
    batch = ImportBatch.objects.get(pk=response.json()["batchId"])
    assert batch.status == "queued"
    assert batch.payload == text  # kept exactly as received
    assert not CareClient.objects.exists()
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "pulsebridge.care.tasks.import_batch"
    assert queued.args_kwargs["args"] == [str(batch.pk)]
    assert hayylo.report(batch.pk)["status"] == "queued"


@pytest.mark.django_db(transaction=True)
def test_the_worker_then_imports_the_queued_batch(transactional_db, hayylo):
    from django.core.management import call_command

    from pulsebridge.care.models import CareClient

    # Real commits here: the import is queued by the commit, as in production.
    batch_id = hayylo.post(examples.wrapper("client", [examples.client()])).json()["batchId"]
    assert hayylo.report(batch_id)["status"] == "queued"
    assert not CareClient.objects.exists()
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)
    report = hayylo.report(batch_id)
    assert (report["status"], report["imported"]) == ("done", 1)
    assert CareClient.objects.get().first_name == "Betty"


def test_a_batch_is_imported_and_reported_record_by_record(hayylo, worker):
    records = [examples.client(), examples.client(id="CLIENT_ID_002", dob="1950-02-30")]
    with worker():
        batch_id = hayylo.post(examples.wrapper("client", records)).json()["batchId"]
    assert hayylo.report(batch_id) == {
        "batchId": batch_id,
        "schemaType": "client",
        "status": "done",
        "received": 2,
        "imported": 1,
        "failed": 1,
        "errors": [
            {
                "index": 1,
                "id": "CLIENT_ID_002",
                "message": 'dob "1950-02-30" is not a date of the calendar',
            }
        ],
    }


def test_a_charset_parameter_of_utf_8_is_accepted(hayylo):
    response = hayylo.post(
        examples.wrapper("worker", [examples.worker()]),
        content_type="application/json; charset=UTF-8",
    )
    assert response.status_code == 202


def test_a_utf8_byte_order_mark_is_tolerated(hayylo):
    text = json.dumps(examples.wrapper("worker", [examples.worker()]))
    response = hayylo.post("\ufeff".encode() + text.encode())
    assert response.status_code == 202
