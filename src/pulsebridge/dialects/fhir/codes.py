"""The codes the FHIR API writes, each checked against its source (docs/compatibility.md, FHIR).

LOINC codes are written with LOINC's own display names; quantities carry the UCUM code
(``system`` http://unitsofmeasure.org) and a human-readable ``unit``."""

from __future__ import annotations

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
MDC = "urn:iso:std:iso:11073:10101"  # ISO/IEEE 11073-10101 nomenclature, as HL7's PHD IG uses it
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"


def loinc(code: str, display: str) -> dict:
    return {"system": LOINC, "code": code, "display": display}


def concept(*codings: dict, text: str) -> dict:
    return {"coding": list(codings), "text": text}


VITAL_SIGNS = concept(
    {"system": OBSERVATION_CATEGORY, "code": "vital-signs", "display": "Vital Signs"},
    text="Vital Signs",
)
LABORATORY = concept(
    {"system": OBSERVATION_CATEGORY, "code": "laboratory", "display": "Laboratory"},
    text="Laboratory",
)

BP_PANEL = concept(loinc("85354-9", "Blood pressure panel with all children optional"),
                   text="Blood pressure")  # fmt: skip
SYSTOLIC = concept(loinc("8480-6", "Systolic blood pressure"), text="Systolic blood pressure")
DIASTOLIC = concept(loinc("8462-4", "Diastolic blood pressure"), text="Diastolic blood pressure")
HEART_RATE = concept(loinc("8867-4", "Heart rate"), text="Heart rate")
BODY_WEIGHT = concept(loinc("29463-7", "Body weight"), text="Body weight")
# US Core's pulse-oximetry profile: both codings, the pulse-oximetry one and the base vital sign
SPO2 = concept(
    loinc("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry"),
    loinc("2708-6", "Oxygen saturation in Arterial blood"),
    text="Oxygen saturation",
)
BODY_TEMPERATURE = concept(loinc("8310-5", "Body temperature"), text="Body temperature")
# A glucometer reads capillary blood: LOINC's "by Glucometer" code first, then the plain blood
# glucose code of the same property (mass or substance concentration).
GLUCOSE_MASS = concept(
    loinc("41653-7", "Glucose [Mass/volume] in Capillary blood by Glucometer"),
    loinc("2339-0", "Glucose [Mass/volume] in Blood"),
    text="Blood glucose",
)
GLUCOSE_MOLES = concept(
    loinc("14743-9", "Glucose [Moles/volume] in Capillary blood by Glucometer"),
    loinc("15074-8", "Glucose [Moles/volume] in Blood"),
    text="Blood glucose",
)
MEAL_CONTEXT = concept({"system": MDC, "code": "8417864", "display": "MDC_CTXT_GLU_MEAL"},
                       text="Meal context")  # fmt: skip
BEFORE_MEAL = concept(
    {"system": MDC, "code": "8417868", "display": "MDC_CTXT_GLU_MEAL_PREPRANDIAL"},
    text="Before a meal",
)
AFTER_MEAL = concept(
    {"system": MDC, "code": "8417872", "display": "MDC_CTXT_GLU_MEAL_POSTPRANDIAL"},
    text="After a meal",
)
PEAK_FLOW = concept(loinc("19935-6", "Maximum expiratory gas flow Respiratory system airway"),
                    text="Peak expiratory flow")  # fmt: skip
FEV1 = concept(loinc("20150-9", "FEV1"), text="Forced expiratory volume in 1 second")

# The base FHIR R4 vital-signs profiles (http://hl7.org/fhir/R4/observation-vitalsigns.html)
PROFILE = "http://hl7.org/fhir/StructureDefinition/"
PROFILES = {
    "bp": PROFILE + "bp",
    "heartrate": PROFILE + "heartrate",
    "bodyweight": PROFILE + "bodyweight",
    "oxygensat": PROFILE + "oxygensat",
    "bodytemp": PROFILE + "bodytemp",
    "vitalsigns": PROFILE + "vitalsigns",
}

# (human unit, UCUM code) by the unit Pulsebridge stores or writes
MM_HG = ("mmHg", "mm[Hg]")
PER_MIN = ("beats/minute", "/min")
KG = ("kg", "kg")
LB = ("lb", "[lb_av]")
PERCENT = ("%", "%")
CELSIUS = ("°C", "Cel")
FAHRENHEIT = ("°F", "[degF]")
MG_DL = ("mg/dL", "mg/dL")
MMOL_L = ("mmol/L", "mmol/L")
L_PER_MIN = ("L/min", "L/min")
LITRE = ("L", "L")
