"""Visits: the document's schedule example, cancellation, and the references to a client and a
worker imported before."""

import datetime

import pytest

from pulsebridge.care.models import Visit
from tests.care import examples


@pytest.fixture
def people(load):
    load("client", [examples.client()])
    load("worker", [examples.worker(), examples.worker(id="WORKER_ID_002", firstName="Ann")])


def test_the_documents_schedule_is_imported_except_the_visit_of_an_unknown_worker(
    load, people, errors_of
):
    outcome = load("schedule", examples.SCHEDULE)
    assert outcome.imported == 2
    assert errors_of(outcome) == {
        2: 'workerId "WORKER_ID_003" is not a worker of this company (send the worker records first)'
    }
    first = Visit.objects.get(external_id="VISIT_ID_001")
    assert first.client.external_id == "CLIENT_ID_001"
    assert first.worker.external_id == "WORKER_ID_001"
    assert first.duration_minutes == 60
    assert first.start_date == datetime.date(2024, 1, 5)
    assert first.start_time == datetime.time(8, 0)
    assert first.preferred_start_date is None
    assert first.service_type == "Personal Care"
    assert first.status == "scheduled"
    second = Visit.objects.get(external_id="VISIT_ID_002")  # CHANGED, never seen: created
    assert (second.worker.first_name, second.duration_minutes) == ("Ann", 30)


def test_cancelled_cancels_a_known_visit(load, people):
    load("schedule", [examples.visit(1)])
    outcome = load("schedule", [{"id": "VISIT_ID_001", "importStatus": "Cancelled"}])
    assert outcome.errors == []
    visit = Visit.objects.get()
    assert visit.status == "cancelled"
    assert visit.cancelled_at is not None
    assert visit.service_type == "Personal Care"


def test_cancelling_twice_keeps_the_first_cancellation_time(load, people):
    load("schedule", [examples.visit(1, importStatus="CANCELLED")])
    first = Visit.objects.get().cancelled_at
    load("schedule", [examples.visit(1, importStatus="CANCELLED")])
    assert Visit.objects.get().cancelled_at == first


def test_a_cancelled_visit_never_sent_before_is_kept_as_cancelled(load, people):
    load("schedule", [examples.visit(3, workerId="WORKER_ID_001")])
    assert Visit.objects.get().status == "cancelled"


def test_a_cancellation_of_an_unknown_visit_without_its_details_is_reported(
    load, people, errors_of
):
    outcome = load("schedule", [{"id": "VISIT_ID_404", "importStatus": "CANCELLED"}])
    assert "required to create visit" in errors_of(outcome)[0]


def test_new_after_cancelled_schedules_the_visit_again(load, people):
    load("schedule", [examples.visit(1, importStatus="CANCELLED")])
    load("schedule", [examples.visit(1, importStatus="NEW")])
    visit = Visit.objects.get()
    assert (visit.status, visit.cancelled_at) == ("scheduled", None)


def test_a_visit_without_a_worker_is_not_yet_allocated(load, people):
    outcome = load("schedule", [examples.visit(1, workerId=None)])
    assert outcome.errors == []
    assert Visit.objects.get().worker is None


def test_preferred_times_and_a_numeric_duration_are_read(load, people):
    load(
        "schedule",
        [
            examples.visit(
                1,
                duration=90,
                preferredStartDate="2024-01-06",
                preferredStartTime="07:30",
                preferredEndTime="09:00",
            )
        ],
    )
    visit = Visit.objects.get()
    assert visit.duration_minutes == 90
    assert visit.preferred_start_date == datetime.date(2024, 1, 6)
    assert (visit.preferred_start_time, visit.preferred_end_time) == (
        datetime.time(7, 30),
        datetime.time(9, 0),
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"clientId": "CLIENT_ID_404"}, 'clientId "CLIENT_ID_404" is not a client of this company'),
        ({"duration": "sixty"}, 'duration "sixty" is not a whole number of minutes'),
        ({"duration": "0"}, "duration 0 is outside 1 to 1440 minutes"),
        ({"duration": 1.5}, "duration 1.5 is not a whole number of minutes"),
        ({"startTime": "8am"}, 'startTime "8am" is not a time of day written HH:MM'),
        ({"startTime": "24:00"}, "is not a time of day"),
        ({"startDate": None}, "startDate null is not a date written YYYY-MM-DD"),
        ({"preferredEndTime": "9"}, "preferredEndTime"),
        ({"clientId": None}, "clientId must not be null"),
    ],
)
def test_a_bad_visit_is_reported_and_the_others_imported(load, people, errors_of, changes, message):
    outcome = load("schedule", [examples.visit(1, **changes), examples.visit(2)])
    assert outcome.imported == 1
    assert message in errors_of(outcome)[0]
