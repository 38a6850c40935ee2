"""One core: a Hayylo client is the company's Patient with the same id, the person the Pylo and
Tenovi APIs know as ``patient_id`` / ``external_id``."""

from pulsebridge.care.models import CareClient
from pulsebridge.devices.models import Patient
from tests.care import examples


def test_a_hayylo_client_shows_up_as_a_patient(load, alice):
    load("client", [examples.client()])
    patient = Patient.objects.for_company(alice).get(external_id="CLIENT_ID_001")
    assert patient.name == "Betty Smith"
    assert patient.phone_number == "0404000000"  # the mobile, for messages
    assert patient.email == "bettysmith@email.com"
    assert CareClient.objects.get().patient == patient


def test_a_patient_known_before_becomes_the_client_not_a_second_person(load, alice):
    from pulsebridge.devices.services import ensure_patient

    known = ensure_patient(alice, "CLIENT_ID_001", name="B. Smith", practice_id="P1")
    load("client", [examples.client()])
    assert Patient.objects.for_company(alice).count() == 1
    known.refresh_from_db()
    assert known.name == "Betty Smith"
    assert known.practice_id == "P1"  # what Hayylo does not say is left alone
    assert known.care_client.external_id == "CLIENT_ID_001"


def test_a_changed_client_changes_the_patient_only_in_what_it_carries(load, alice):
    load("client", [examples.client()])
    load("client", [{"id": "CLIENT_ID_001", "phone2": "", "importStatus": "CHANGED"}])
    patient = Patient.objects.for_company(alice).get()
    assert patient.phone_number == "0280008000"  # no mobile any more: the home phone
    assert patient.name == "Betty Smith"
    assert patient.email == "bettysmith@email.com"


def test_a_client_imported_through_hayylo_is_the_patient_of_a_pylo_device(
    load, alice, add_device, client, make_key
):
    load("client", [examples.client()])
    device = add_device(alice)
    response = client.put(
        f"/pylo/devices?imei={device.imei}",
        {"patient_id": "CLIENT_ID_001"},
        content_type="application/json",
        HTTP_X_API_KEY=make_key(alice, "pylo"),
    )
    assert response.status_code == 200, response.content
    device.refresh_from_db()
    assert device.patient == CareClient.objects.get().patient


def test_the_same_client_id_in_two_companies_is_two_people(load, alice, charlie):
    load("client", [examples.client()], company=alice)
    load("client", [examples.client()], company=charlie)
    assert Patient.objects.filter(external_id="CLIENT_ID_001").count() == 2
    assert Patient.objects.for_company(charlie).get().care_client.company_id == charlie.pk


def test_a_patient_created_meanwhile_by_another_request_is_taken_not_doubled(
    load, alice, monkeypatch
):
    from pulsebridge.care.importer import ClientImporter
    from pulsebridge.devices.services import ensure_patient

    meanwhile = ensure_patient(alice, "CLIENT_ID_001", name="B. Smith")
    real = ClientImporter._stored_patients
    calls = []

    def not_yet_seen(self, ids):
        calls.append(ids)
        return {} if len(calls) == 1 else real(self, ids)

    monkeypatch.setattr(ClientImporter, "_stored_patients", not_yet_seen)
    assert load("client", [examples.client()]).errors == []
    assert Patient.objects.for_company(alice).count() == 1
    meanwhile.refresh_from_db()
    assert meanwhile.name == "Betty Smith"
    assert CareClient.objects.get().patient == meanwhile
