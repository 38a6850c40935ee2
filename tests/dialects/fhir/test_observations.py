"""Each kind of reading as the Observations it is written as: LOINC codes, UCUM units, the
vital-signs profile elements, the unit the device sent, and ids that never change."""

from __future__ import annotations

from datetime import timedelta

import pytest

from .conftest import T0, reading

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"


def codes_of(resource):
    return [(c["system"], c["code"]) for c in resource["code"]["coding"]]


def quantity(resource):
    q = resource["valueQuantity"]
    assert q["system"] == UCUM
    return q["value"], q["code"]


def categories(resource):
    return [c["coding"][0]["code"] for c in resource["category"]]


@pytest.fixture
def read(alice_fhir):
    def read(observation_id):
        response = alice_fhir.get(f"/Observation/{observation_id}")
        assert response.status_code == 200, response.fhir
        assert response["Content-Type"] == "application/fhir+json"
        return response.fhir

    return read


def test_a_blood_pressure_reading_is_the_panel_with_systolic_and_diastolic_in_mm_hg(
    fleet, record, read, ann
):
    device = fleet["blood_pressure"]
    (pk,) = record([reading(device, "blood_pressure", {"systolic": 128, "diastolic": 82})])
    bp = read(pk)
    assert bp["id"] == str(pk)
    assert codes_of(bp) == [(LOINC, "85354-9")]
    assert categories(bp) == ["vital-signs"]
    assert bp["meta"]["profile"] == ["http://hl7.org/fhir/StructureDefinition/bp"]
    components = {c["code"]["coding"][0]["code"]: c["valueQuantity"] for c in bp["component"]}
    assert components["8480-6"] == {"value": 128, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"}
    assert components["8462-4"]["value"] == 82
    assert components["8462-4"]["code"] == "mm[Hg]"
    assert bp["subject"] == {"reference": f"Patient/{ann.pk}"}
    assert bp["device"] == {"reference": f"Device/{device.pk}"}
    assert bp["effectiveDateTime"] == "2026-11-02T08:00:00Z"
    assert bp["issued"] == "2026-11-02T20:00:00Z"
    assert bp["status"] == "final"
    assert "valueQuantity" not in bp


def test_a_cuffs_pulse_is_a_heart_rate_observation_of_its_own_with_a_stable_id(
    fleet, record, read, alice_fhir
):
    device = fleet["blood_pressure"]
    (pk,) = record([reading(device, "blood_pressure",
                            {"systolic": 128, "diastolic": 82, "pulse": 71})])  # fmt: skip
    heart = read(f"{pk}-hr")
    assert heart["id"] == f"{pk}-hr"
    assert codes_of(heart) == [(LOINC, "8867-4")]
    assert quantity(heart) == (71, "/min")
    assert heart["meta"]["profile"] == ["http://hl7.org/fhir/StructureDefinition/heartrate"]
    assert heart["effectiveDateTime"] == read(pk)["effectiveDateTime"]
    again = alice_fhir.get(f"/Observation/{pk}-hr").fhir
    assert again == heart


def test_a_cuff_reading_without_pulse_has_no_heart_rate_observation(fleet, record, alice_fhir):
    (pk,) = record([reading(fleet["blood_pressure"], "blood_pressure",
                            {"systolic": 120, "diastolic": 80})])  # fmt: skip
    response = alice_fhir.get(f"/Observation/{pk}-hr")
    assert response.status_code == 404
    assert response.fhir["issue"][0]["code"] == "not-found"


@pytest.mark.parametrize(
    ("values", "expected"),
    [({"weight": 184.5, "unit": "lb"}, (184.5, "[lb_av]")),
     ({"weight": 83.7, "unit": "kg"}, (83.7, "kg"))],
)  # fmt: skip
def test_body_weight_is_answered_in_the_unit_the_scale_sent(fleet, record, read, values, expected):
    (pk,) = record([reading(fleet["weight"], "weight", values)])
    weight = read(pk)
    assert codes_of(weight) == [(LOINC, "29463-7")]
    assert quantity(weight) == expected
    assert categories(weight) == ["vital-signs"]
    assert weight["meta"]["profile"] == ["http://hl7.org/fhir/StructureDefinition/bodyweight"]


def test_oxygen_saturation_carries_both_codes_us_core_asks_for_and_a_heart_rate(
    fleet, record, read
):
    (pk,) = record([reading(fleet["pulse_oximetry"], "pulse_oximetry", {"spo2": 97, "pulse": 64})])
    spo2 = read(pk)
    assert set(codes_of(spo2)) == {(LOINC, "59408-5"), (LOINC, "2708-6")}
    assert quantity(spo2) == (97, "%")
    assert spo2["meta"]["profile"] == ["http://hl7.org/fhir/StructureDefinition/oxygensat"]
    assert quantity(read(f"{pk}-hr")) == (64, "/min")


@pytest.mark.parametrize(
    ("values", "expected"),
    [({"temperature": 99.1, "unit": "F"}, (99.1, "[degF]")),
     ({"temperature": 37.2, "unit": "C"}, (37.2, "Cel"))],
)  # fmt: skip
def test_body_temperature_is_answered_in_celsius_or_fahrenheit_as_measured(
    fleet, record, read, values, expected
):
    (pk,) = record([reading(fleet["temperature"], "temperature", values)])
    temperature = read(pk)
    assert codes_of(temperature) == [(LOINC, "8310-5")]
    assert quantity(temperature) == expected
    assert temperature["meta"]["profile"] == ["http://hl7.org/fhir/StructureDefinition/bodytemp"]


def test_glucose_in_mg_dl_has_the_glucometer_code_and_says_it_was_before_a_meal(
    fleet, record, read
):
    (pk,) = record([reading(fleet["glucose"], "glucose",
                            {"glucose": 104, "unit": "mg/dL", "before_meal": 1})])  # fmt: skip
    glucose = read(pk)
    assert codes_of(glucose) == [(LOINC, "41653-7"), (LOINC, "2339-0")]
    assert quantity(glucose) == (104, "mg/dL")
    assert categories(glucose) == ["vital-signs", "laboratory"]
    (meal,) = glucose["component"]
    assert meal["code"]["coding"][0]["code"] == "8417864"
    assert meal["valueCodeableConcept"]["coding"][0]["code"] == "8417868"  # pre-prandial


def test_glucose_in_mmol_l_has_the_substance_concentration_codes_and_after_a_meal(
    fleet, record, read
):
    (pk,) = record([reading(fleet["glucose"], "glucose",
                            {"glucose": 5.8, "unit": "mmol/L", "before_meal": 0})])  # fmt: skip
    glucose = read(pk)
    assert codes_of(glucose) == [(LOINC, "14743-9"), (LOINC, "15074-8")]
    assert quantity(glucose) == (5.8, "mmol/L")
    assert glucose["component"][0]["valueCodeableConcept"]["coding"][0]["code"] == "8417872"


def test_glucose_without_meal_context_has_no_component(fleet, record, read):
    (pk,) = record([reading(fleet["glucose"], "glucose", {"glucose": 140, "unit": "mg/dL"})])
    assert "component" not in read(pk)


def test_peak_flow_is_in_litres_per_minute_and_fev1_an_observation_of_its_own(fleet, record, read):
    (pk,) = record([reading(fleet["peak_flow"], "peak_flow", {"peak_flow": 420, "fev1": 2.9})])
    peak = read(pk)
    assert codes_of(peak) == [(LOINC, "19935-6")]
    assert quantity(peak) == (420, "L/min")
    fev1 = read(f"{pk}-fev1")
    assert codes_of(fev1) == [(LOINC, "20150-9")]
    assert quantity(fev1) == (2.9, "L")


def test_a_reading_of_a_device_serving_no_patient_has_no_subject_and_claims_no_profile(
    alice, add_device, record, read
):
    device = add_device(alice, "PY-802-LTE")
    (pk,) = record([reading(device, "blood_pressure", {"systolic": 120, "diastolic": 80})])
    bp = read(pk)
    assert "subject" not in bp
    assert "profile" not in bp["meta"]


def test_the_patient_is_the_one_at_the_time_of_the_reading(fleet, record, read, ann, alice):
    from pulsebridge.devices.services import assign_device

    device = fleet["weight"]
    (before,) = record([reading(device, "weight", {"weight": 80, "unit": "kg"})])
    assign_device(device, patient_id="P-OTHER")
    (after,) = record([reading(device, "weight", {"weight": 81, "unit": "kg"},
                               at=T0 + timedelta(hours=1))])  # fmt: skip
    assert read(before)["subject"]["reference"] == f"Patient/{ann.pk}"
    assert read(after)["subject"]["reference"] != f"Patient/{ann.pk}"


def test_a_pill_box_event_is_no_observation(alice, add_device, record, alice_fhir):
    pillbox = add_device(alice, "TENOVI-PILLBOX", serial="PILL-1")
    (pk,) = record([reading(pillbox, "pillbox", {"event": "opened"})])
    assert alice_fhir.get(f"/Observation/{pk}").status_code == 404
