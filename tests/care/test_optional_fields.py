"""Records that leave out optional fields without a default (a client's dob) import."""

from pulsebridge.care.importer import import_records
from pulsebridge.care.models import CareClient


def test_a_client_without_a_date_of_birth_is_imported(alice):
    outcome = import_records(
        alice,
        "client",
        [{"id": "C-1", "firstName": "Betty", "lastName": "Smith", "importStatus": "NEW"}],
    )
    assert outcome.imported == 1, outcome
    assert CareClient.objects.get(external_id="C-1").dob is None


def test_a_patient_known_through_pylo_becomes_the_client_with_the_changed_record(alice):
    from pulsebridge.devices.services import ensure_patient

    patient = ensure_patient(alice, "P-1002", name="Patient Two")
    outcome = import_records(
        alice,
        "client",
        [{"id": "P-1002", "firstName": "Betty", "lastName": "Smith", "importStatus": "CHANGED"}],
    )
    assert outcome.imported == 1, outcome
    assert CareClient.objects.get(external_id="P-1002").patient_id == patient.pk
