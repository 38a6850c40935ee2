"""A stored batch imported by the task: in the sender's order, once, in bulk queries, and marked
failed (with nothing half-written) if the import itself breaks."""

import json

import pytest

from pulsebridge.care import importer
from pulsebridge.care.models import CareClient, ImportBatch, Visit
from pulsebridge.care.services import import_now, receive_batch
from pulsebridge.care.tasks import import_batch
from tests.care import examples


@pytest.fixture
def receive(alice):
    def receive(schema_type, records, company=alice):
        payload = json.dumps(examples.wrapper(schema_type, records))
        return receive_batch(company, schema_type, payload, len(records))

    return receive


def test_the_task_imports_a_batch_and_records_the_outcome(receive):
    batch = receive("client", [examples.client(), examples.client(id="C2", dob="soon")])
    import_batch.call(str(batch.pk))
    batch.refresh_from_db()
    assert batch.status == "done"
    assert (batch.imported, batch.failed) == (1, 1)
    assert batch.errors[0]["id"] == "C2"
    assert batch.started_at <= batch.finished_at


def test_running_the_task_again_changes_nothing(receive):
    batch = receive("client", [examples.client()])
    import_batch.call(str(batch.pk))
    finished = ImportBatch.objects.get().finished_at
    CareClient.objects.update(first_name="Changed since")
    import_batch.call(str(batch.pk))
    assert ImportBatch.objects.get().finished_at == finished
    assert CareClient.objects.get().first_name == "Changed since"


def test_a_later_batch_waits_for_the_earlier_batches_of_its_company(receive):
    clients = receive("client", [examples.client()])
    workers = receive("worker", [examples.worker()])
    visits = receive("schedule", [examples.visit(1)])
    import_batch.call(str(visits.pk))  # its task ran first: the others go before it
    for batch in (clients, workers, visits):
        batch.refresh_from_db()
        assert batch.status == "done", batch
    assert Visit.objects.get().worker.first_name == "May"


def test_other_companies_batches_do_not_wait(receive, charlie):
    charlies = receive("client", [examples.client()], company=charlie)
    alices = receive("worker", [examples.worker()])
    import_batch.call(str(alices.pk))
    charlies.refresh_from_db()
    assert charlies.status == "queued"


def test_a_broken_import_marks_the_batch_failed_with_nothing_half_written(receive, monkeypatch):
    batch = receive("client", [examples.client(), examples.client(id="C2")])

    def explode(self):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer.ClientImporter, "_ensure_patients", explode)
    import_batch.call(str(batch.pk))
    batch.refresh_from_db()
    assert batch.status == "failed"
    assert batch.failure == "RuntimeError: disk full"
    assert (batch.imported, batch.failed) == (0, 2)
    assert batch.errors[0]["index"] is None
    assert not CareClient.objects.exists()

    monkeypatch.undo()
    import_now(batch)  # the operator runs it again once the cause is fixed
    assert (batch.status, batch.imported, batch.errors) == ("done", 2, [])


def test_a_task_for_a_batch_that_is_gone_does_nothing_but_say_so(alice, caplog):
    waiting = receive_batch(alice, "client", json.dumps([examples.client()]), 1)
    gone = "0195f3c4-0000-7000-8000-000000000000"
    with caplog.at_level("WARNING", logger="pulsebridge.care.importer"):
        import_batch.call(gone)
    assert [r.getMessage() for r in caplog.records] == [f"import batch {gone} does not exist"]
    # another batch of the company, still queued, is not imported by a task that is not its own
    assert list(ImportBatch.objects.values_list("pk", "status")) == [(waiting.pk, "queued")]
    assert not CareClient.objects.exists()


@pytest.mark.parametrize("chunk", [1, 2, 3])
def test_chunks_change_nothing_in_the_outcome(load, settings, chunk, errors_of):
    settings.CARE_IMPORT_CHUNK_SIZE = chunk
    records = [
        examples.client(),
        examples.client(id="C2", email="bad"),
        {"id": "CLIENT_ID_001", "team": "East", "importStatus": "CHANGED"},
        examples.client(id="C3"),
        {"id": "C3", "suburb": "Manly", "importStatus": "CHANGED"},
    ]
    outcome = load("client", records)
    assert outcome.imported == 4
    assert list(errors_of(outcome)) == [1]
    assert CareClient.objects.get(external_id="CLIENT_ID_001").team == "East"
    assert CareClient.objects.get(external_id="C3").suburb == "Manly"


def test_a_thousand_clients_cost_a_few_dozen_queries_not_thousands(
    load, django_assert_max_num_queries
):
    # A handful of statements per chunk; SQLite splits an insert into statements of at most
    # 999 parameters (some 70 rows), PostgreSQL does not.
    records = [examples.client(id=f"C{n:05}") for n in range(1000)]
    with django_assert_max_num_queries(50):
        outcome = load("client", records)
    assert outcome.imported == 1000
    records = [examples.client(id=f"C{n:05}", team="West") for n in range(1000)]
    with django_assert_max_num_queries(50):
        load("client", records)
    assert set(CareClient.objects.values_list("team", flat=True)) == {"West"}


def test_resending_unchanged_records_writes_nothing(load, django_assert_max_num_queries):
    records = [examples.client(id=f"C{n:03}") for n in range(100)]
    load("client", records)
    with django_assert_max_num_queries(2):  # read the clients and the patients: no writes
        assert load("client", records).imported == 100


def test_a_batch_whose_task_could_not_be_queued_is_imported_before_the_next_one(
    receive, settings, django_capture_on_commit_callbacks, monkeypatch
):
    from types import SimpleNamespace

    from pulsebridge.care import tasks

    def queue_down(*args):
        raise ConnectionError("queue unavailable")

    monkeypatch.setattr(tasks, "import_batch", SimpleNamespace(enqueue=queue_down))
    with django_capture_on_commit_callbacks(execute=True):
        lost = receive("client", [examples.client()])  # stored; the sender still gets its 202
    monkeypatch.undo()
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        receive("worker", [examples.worker()])
    lost.refresh_from_db()
    assert lost.status == "done"
