"""Patient from the core patient and the care client Hayylo imported; Device with its model,
serial and IMEI, and the patient it serves."""

from __future__ import annotations


def test_a_patient_with_a_care_client_has_its_name_birth_date_gender_phones_and_address(
    alice_fhir, ann, alice
):
    patient = alice_fhir.get(f"/Patient/{ann.pk}").fhir
    assert patient["identifier"] == [
        {"use": "usual", "system": f"urn:pulsebridge:{alice.code}:patient-id", "value": "P-ANN"},
        {"system": f"urn:pulsebridge:{alice.code}:hayylo-client-id", "value": "P-ANN"},
    ]
    assert patient["name"] == [
        {"use": "official", "text": "Ann Example", "family": "Example", "given": ["Ann"]}
    ]
    assert patient["birthDate"] == "1950-04-01"
    assert patient["gender"] == "female"
    assert {"system": "phone", "value": "+15550002", "use": "mobile"} in patient["telecom"]
    assert {"system": "email", "value": "ann@example.com"} in patient["telecom"]
    assert patient["address"] == [{"use": "home", "line": ["1 Main St"], "city": "Springfield",
                                   "state": "IL", "postalCode": "62701"}]  # fmt: skip


def test_a_patient_known_only_to_a_device_dialect_has_its_name_as_text(alice_fhir, alice):
    from pulsebridge.devices.services import ensure_patient

    bare = ensure_patient(alice, "P-9", name="Dee Nine", phone_number="555")
    patient = alice_fhir.get(f"/Patient/{bare.pk}").fhir
    assert patient["name"] == [{"text": "Dee Nine"}]
    assert patient["telecom"] == [{"system": "phone", "value": "555", "use": "home"}]
    assert len(patient["identifier"]) == 1
    assert "gender" not in patient
    assert "birthDate" not in patient


def test_a_device_has_its_model_serial_imei_and_patient(alice_fhir, fleet, ann):
    cuff = fleet["blood_pressure"]
    device = alice_fhir.get(f"/Device/{cuff.pk}").fhir
    assert device["serialNumber"] == cuff.serial
    assert device["modelNumber"] == "PY-802-LTE"
    assert device["deviceName"] == [{"name": cuff.model.name, "type": "model-name"}]
    assert {"type": {"text": "IMEI"}, "system": "urn:pulsebridge:imei",
            "value": cuff.imei} in device["identifier"]  # fmt: skip
    assert device["patient"] == {"reference": f"Patient/{ann.pk}"}
    assert device["status"] == "active"


def test_a_device_without_imei_has_its_serial_only(alice_fhir, fleet):
    device = alice_fhir.get(f"/Device/{fleet['temperature'].pk}").fhir
    assert [i["type"]["text"] for i in device["identifier"]] == ["Serial number"]
