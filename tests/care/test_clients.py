"""Client records: the document's example, upserts by the sender's id, and bad records
reported while the others are still imported."""

import datetime

import pytest

from pulsebridge.care.models import CareClient
from tests.care import examples


def test_the_documents_client_is_imported_with_every_field(load):
    outcome = load("client", [examples.client()])
    assert (outcome.imported, outcome.errors) == (1, [])
    betty = CareClient.objects.get(external_id="CLIENT_ID_001")
    assert (betty.first_name, betty.last_name) == ("Betty", "Smith")
    assert (betty.phone, betty.phone2, betty.email) == (
        "0280008000",
        "0404000000",
        "bettysmith@email.com",
    )
    assert (betty.address, betty.suburb, betty.post_code, betty.state) == (
        "1 George St",
        "Sydney",
        "2000",
        "NSW",
    )
    assert betty.gender == "female"
    assert betty.dob == datetime.date(1950, 1, 1)
    assert betty.team == "Central Sydney Region"


def test_new_for_a_known_id_updates_it_so_resending_a_batch_is_harmless(load):
    load("client", [examples.client()])
    load("client", [examples.client(), examples.client(suburb="Parramatta")])
    assert CareClient.objects.count() == 1
    assert CareClient.objects.get().suburb == "Parramatta"


def test_changed_for_an_unknown_id_creates_it(load):
    outcome = load("client", [examples.client(importStatus="CHANGED")])
    assert outcome.imported == 1
    assert CareClient.objects.filter(external_id="CLIENT_ID_001").exists()


def test_changed_with_some_fields_changes_only_those(load):
    load("client", [examples.client()])
    load("client", [{"id": "CLIENT_ID_001", "team": "North", "importStatus": "CHANGED"}])
    betty = CareClient.objects.get()
    assert (betty.team, betty.first_name, betty.phone) == ("North", "Betty", "0280008000")


def test_null_clears_a_field(load):
    load("client", [examples.client()])
    load("client", [{"id": "CLIENT_ID_001", "email": None, "importStatus": "CHANGED"}])
    assert CareClient.objects.get().email == ""


@pytest.mark.parametrize("status", ["new", "New", "changed", " CHANGED "])
def test_import_status_is_case_insensitive(load, status):
    assert load("client", [examples.client(importStatus=status)]).imported == 1


def test_a_repeated_id_in_one_batch_applies_in_order(load):
    outcome = load(
        "client",
        [
            examples.client(),
            {"id": "CLIENT_ID_001", "team": "East", "importStatus": "CHANGED"},
            {"id": "CLIENT_ID_001", "suburb": "Bondi", "importStatus": "CHANGED"},
        ],
    )
    assert outcome.imported == 3
    betty = CareClient.objects.get()
    assert (betty.first_name, betty.team, betty.suburb) == ("Betty", "East", "Bondi")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"id": None}, "id must not be null"),
        ({"id": 17}, "id must be a string, not a number"),
        ({"id": "  "}, "id must not be blank"),
        ({"importStatus": "DELETED"}, 'importStatus "DELETED" is not NEW, CHANGED or CANCELLED'),
        ({"importStatus": "CANCELLED"}, "CANCELLED applies to schedule records (visits) only"),
        ({"firstName": 3}, "firstName must be a string, not a number"),
        ({"firstName": ""}, "firstName must not be blank"),
        ({"lastName": "x" * 101}, "lastName is 101 characters long; at most 100"),
        ({"email": "betty at email"}, 'email "betty at email" is not an e-mail address'),
        ({"phone": "call me"}, 'phone "call me" is not a phone number'),
        ({"dob": "01/01/1950"}, 'dob "01/01/1950" is not a date written YYYY-MM-DD'),
        ({"dob": "1950-02-30"}, 'dob "1950-02-30" is not a date of the calendar'),
        ({"dob": "2999-01-01"}, "is in the future"),
        ({"postCode": 2000}, "postCode must be a string, not a number"),
        ({"team": "a\x00b"}, "team must not contain NUL characters"),
        ({"middleName": "Jane"}, 'unknown field "middleName"'),
    ],
)
def test_a_bad_client_is_reported_and_the_others_are_still_imported(
    load, errors_of, changes, message
):
    bad = examples.client(**{"id": "CLIENT_ID_002", **changes})
    outcome = load("client", [examples.client(), bad, examples.client(id="CLIENT_ID_003")])
    assert outcome.imported == 2
    assert message in errors_of(outcome)[1]
    assert set(CareClient.objects.values_list("external_id", flat=True)) == {
        "CLIENT_ID_001",
        "CLIENT_ID_003",
    }


def test_a_record_missing_id_and_status_is_reported_with_both(load, errors_of):
    outcome = load("client", [{"firstName": "Betty"}])
    assert outcome.errors[0]["id"] is None
    assert "id is missing" in errors_of(outcome)[0]
    assert "importStatus is missing" in errors_of(outcome)[0]


def test_a_new_client_needs_a_name_but_an_update_does_not(load, errors_of):
    outcome = load("client", [{"id": "CLIENT_ID_009", "team": "North", "importStatus": "NEW"}])
    assert errors_of(outcome) == {
        0: 'firstName, lastName are required to create client "CLIENT_ID_009", which does not exist yet'
    }


def test_a_record_that_is_not_an_object_is_reported(load, errors_of):
    outcome = load("client", ["CLIENT_ID_001"])
    assert errors_of(outcome) == {0: "record must be an object, not a string"}


def test_clients_of_another_company_are_kept_apart(load, alice, charlie):
    load("client", [examples.client()], company=alice)
    load("client", [examples.client(firstName="Carla")], company=charlie)
    assert CareClient.objects.for_company(alice).get().first_name == "Betty"
    assert CareClient.objects.for_company(charlie).get().first_name == "Carla"
