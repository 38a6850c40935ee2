"""hwi/hwi-patients/: the client's patients, by external_id ignoring case."""

from pulsebridge.devices.models import Device, Patient

from .conftest import GATEWAY, bp

PATIENT = {
    "external_id": "P-7",
    "name": "Grace Hopper",
    "address": "1 Road",
    "city": "Townsville",
    "state": "CA",
    "zip_code": "12345",
    "phone_number": "555-0107",
    "email": "grace@example.com",
    "physician": "Dr. Russell",
    "clinic_name": "North",
    "care_manager": "Bob",
    "sms_opt_in": True,
}


def test_a_patient_is_created_listed_read_changed_and_removed(tenovi):
    created = tenovi.post("hwi/hwi-patients/", PATIENT)
    assert created.status_code == 201
    body = created.json()
    assert {k: body[k] for k in PATIENT} == PATIENT
    assert (body["address_status"], body["confirm_address"]) == ("Unverified", False)
    listed = tenovi.get("hwi/hwi-patients/").json()
    assert (listed["count"], listed["results"]) == (1, [body])  # paginated, as the Swagger says
    assert tenovi.get("hwi/hwi-patients/p-7/").json() == body  # external_id__iexact
    patched = tenovi.patch("hwi/hwi-patients/P-7/", {"name": "G. Hopper", "confirm_address": True})
    assert (patched.json()["name"], patched.json()["address_status"]) == ("G. Hopper", "Verified")
    put = tenovi.put("hwi/hwi-patients/P-7/", {"external_id": "P-7", "email": None}).json()
    assert put["email"] is None
    assert put["name"] == "G. Hopper"  # what a PUT leaves out stays
    assert tenovi.delete("hwi/hwi-patients/P-7/").status_code == 204
    assert tenovi.get("hwi/hwi-patients/P-7/").status_code == 404
    assert tenovi.get("hwi/hwi-patients/").json()["count"] == 0


def test_a_patient_named_by_an_hwi_device_is_a_patient_here(tenovi, gateway):
    tenovi.activate(patient={"external_id": "P-1", "name": "Ada Lovelace"})
    body = tenovi.get("hwi/hwi-patients/P-1/").json()
    assert (body["name"], body["address_status"]) == ("Ada Lovelace", "")


def test_an_external_id_is_unique_ignoring_case(tenovi):
    assert tenovi.post("hwi/hwi-patients/", PATIENT).status_code == 201
    again = tenovi.post("hwi/hwi-patients/", {**PATIENT, "external_id": "p-7"})
    assert again.status_code == 400
    assert "exists" in again.json()["external_id"][0]
    assert tenovi.post("hwi/hwi-patients/", {"name": "X"}).json() == {
        "external_id": ["This field is required."]
    }


def test_renaming_a_patient_renames_them_for_every_dialect(tenovi, gateway):
    cuff = tenovi.activate(patient="P-1")
    tenovi.patch("hwi/hwi-patients/P-1/", {"external_id": "P-100"})
    assert tenovi.get(f"hwi/hwi-devices/{cuff['id']}/").json()["patient_id"] == "P-100"
    assert Device.objects.get(gateway__serial=GATEWAY).patient.external_id == "P-100"


def test_removing_a_patient_frees_their_devices_and_keeps_their_readings(tenovi, gateway, reading):
    cuff = tenovi.activate(patient="P-1")
    reading(bp())
    assert tenovi.delete("hwi/hwi-patients/P-1/").status_code == 204
    hwi = tenovi.get(f"hwi/hwi-devices/{cuff['id']}/").json()
    assert (hwi["patient"], hwi["patient_id"]) == (None, "")
    assert Device.objects.get(gateway__serial=GATEWAY).patient is None
    items = tenovi.get("hwi/patients/P-1/measurements/").json()
    assert {i["patient_id"] for i in items} == {"P-1"}  # taken for them: still theirs
    # naming the id again brings the patient back, readings and all
    assert tenovi.post("hwi/hwi-patients/", {"external_id": "P-1"}).status_code == 201
    assert Patient.objects.filter(external_id="P-1").count() == 1
    assert tenovi.get("hwi/hwi-patients/P-1/").status_code == 200


def test_the_list_searches_and_pages(tenovi):
    for n in range(3):
        tenovi.post("hwi/hwi-patients/", {"external_id": f"P-{n}", "name": f"Name {n}"})
    assert [p["external_id"] for p in tenovi.get("hwi/hwi-patients/?search=name 1").json()[
        "results"
    ]] == ["P-1"]  # fmt: skip
    page = tenovi.get("hwi/hwi-patients/?page=2&page_size=2").json()
    assert (page["count"], len(page["results"]), page["next"]) == (3, 1, None)
    assert len(tenovi.get("hwi/hwi-patients/?page_size=0").json()["results"]) == 3


def test_charlie_sees_none_of_alices_patients(tenovi, charlie_tenovi):
    tenovi.post("hwi/hwi-patients/", PATIENT)
    assert charlie_tenovi.get("hwi/hwi-patients/").json()["count"] == 0
    assert charlie_tenovi.get("hwi/hwi-patients/P-7/").status_code == 404
    assert charlie_tenovi.delete("hwi/hwi-patients/P-7/").status_code == 404
    assert (
        charlie_tenovi.post("hwi/hwi-patients/", PATIENT).status_code == 201
    )  # ids are per client
