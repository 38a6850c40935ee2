"""Family contacts (linked to a client imported before) and care workers."""

import datetime

import pytest

from pulsebridge.care.models import FamilyContact, Worker
from tests.care import examples


@pytest.fixture
def betty(load):
    load("client", [examples.client()])


def test_the_documents_family_contact_is_imported_for_its_client(load, betty):
    outcome = load("family", [examples.family()])
    assert (outcome.imported, outcome.errors) == (1, [])
    andrew = FamilyContact.objects.get()
    assert andrew.client.external_id == "CLIENT_ID_001"
    assert (andrew.full_name, andrew.mobile, andrew.phone1, andrew.phone2, andrew.email) == (
        "Andrew Smith",
        "0404000001",
        "",
        "0243900900",
        "andrewsmith@email.com",
    )


def test_a_family_contact_of_an_unknown_client_is_reported(load, betty, errors_of):
    outcome = load(
        "family", [examples.family(linkedClientId="CLIENT_ID_404"), examples.family(id="F2")]
    )
    assert outcome.imported == 1
    assert errors_of(outcome)[0] == (
        'linkedClientId "CLIENT_ID_404" is not a client of this company (send the client records first)'
    )


def test_a_client_of_another_company_is_no_client_to_link_to(load, charlie, errors_of):
    load("client", [examples.client()], company=charlie)
    outcome = load("family", [examples.family()])
    assert "is not a client of this company" in errors_of(outcome)[0]


def test_a_new_family_contact_needs_its_client_and_name(load, betty, errors_of):
    outcome = load("family", [{"id": "F9", "importStatus": "NEW"}])
    assert "faFName, linkedClientId are required" in errors_of(outcome)[0]


def test_a_family_contact_moves_to_another_client_when_changed(load, betty):
    load("client", [examples.client(id="CLIENT_ID_002")])
    load("family", [examples.family()])
    load(
        "family",
        [{"id": "FAMILY_ID_001", "linkedClientId": "CLIENT_ID_002", "importStatus": "CHANGED"}],
    )
    assert FamilyContact.objects.get().client.external_id == "CLIENT_ID_002"


def test_the_documents_worker_is_imported(load):
    outcome = load("worker", [examples.worker()])
    assert (outcome.imported, outcome.errors) == (1, [])
    may = Worker.objects.get()
    assert (may.first_name, may.last_name, may.phone, may.email, may.gender, may.team) == (
        "May",
        "Simpson",
        "0404000003",
        "maysimpson@email.com",
        "female",
        "Care Workers",
    )
    assert may.dob == datetime.date(1960, 1, 1)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"importStatus": "CANCELLED"},
            "CANCELLED applies to schedule records (visits) only, not to a worker",
        ),
        ({"dob": "1960-1-1"}, "not a date written YYYY-MM-DD"),
        ({"suburb": "Sydney"}, 'unknown field "suburb"'),
        ({"lastName": None}, "lastName must not be null"),
    ],
)
def test_a_bad_worker_is_reported(load, errors_of, changes, message):
    outcome = load("worker", [examples.worker(**changes), examples.worker(id="W2")])
    assert outcome.imported == 1
    assert message in errors_of(outcome)[0]


def test_a_worker_is_updated_by_its_id(load):
    load("worker", [examples.worker()])
    load("worker", [examples.worker(team="Night Shift", importStatus="changed")])
    assert Worker.objects.get().team == "Night Shift"
