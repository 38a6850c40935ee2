"""How the FHIR API writes the core's patients, devices and readings as R4 resources.

Written from plain rows (``values_list``), not model instances: a search page writes 1,000
Observations and an export a million, and the same functions write both, so what a search
answers and what an export file holds are the same resources.

One reading is one Observation, except that a reading carrying a second quantity measured with
it gets a second Observation of its own, whose id is the reading's id with a suffix: a cuff's or
an oximeter's pulse is ``<reading id>-hr`` (heart rate, 8867-4), a peak flow meter's FEV1 is
``<reading id>-fev1``. Ids never change: they are the reading's own id, and the suffix is fixed
by the kind of quantity."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from pulsebridge.readings.units import MGDL_PER_MMOLL, c_to_f, kg_to_lb, tidy

from . import codes

OBSERVATION_KINDS = (
    "blood_pressure",
    "weight",
    "glucose",
    "pulse_oximetry",
    "temperature",
    "peak_flow",
)  # pill box events are no Observation: they have no LOINC code (docs/compatibility.md)

MAIN, HEART_RATE, FEV1 = "", "-hr", "-fev1"
SUFFIXES = (HEART_RATE, FEV1)


def instant(value: datetime) -> str:
    """UTC with ``Z``; microseconds only when there are any (lossless, and FHIR allows both)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    elif value.utcoffset():
        value = value.astimezone(UTC)
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text + "Z"


def reference(resource_type: str, pk: Any) -> dict:
    return {"reference": f"{resource_type}/{pk}"}


def _quantity(value: float, unit: tuple[str, str]) -> dict:
    return {"value": tidy(value), "unit": unit[0], "system": codes.UCUM, "code": unit[1]}


def variants(kind: str, values: dict) -> tuple[str, ...]:
    """The Observations one reading is written as, in order: its own, then its extras."""
    if kind == "blood_pressure":
        return (MAIN, HEART_RATE) if values.get("pulse") is not None else (MAIN,)
    if kind == "pulse_oximetry":
        return (MAIN, HEART_RATE) if values.get("pulse") is not None else (MAIN,)
    if kind == "peak_flow":
        return (MAIN, FEV1) if values.get("fev1") is not None else (MAIN,)
    return (MAIN,)


def _measured(kind: str, variant: str, values: dict, unit: str) -> tuple[dict, str, dict]:
    """(code, profile key, the value or components) of one Observation of a reading."""
    if variant == HEART_RATE:
        return (
            codes.HEART_RATE,
            "heartrate",
            {"valueQuantity": _quantity(values["pulse"], codes.PER_MIN)},
        )
    if variant == FEV1:
        return codes.FEV1, "vitalsigns", {"valueQuantity": _quantity(values["fev1"], codes.LITRE)}
    if kind == "blood_pressure":
        return codes.BP_PANEL, "bp", {"component": [
            {"code": codes.SYSTOLIC, "valueQuantity": _quantity(values["systolic"], codes.MM_HG)},
            {"code": codes.DIASTOLIC, "valueQuantity": _quantity(values["diastolic"], codes.MM_HG)},
        ]}  # fmt: skip
    if kind == "weight":
        kg = values["weight"]
        if unit == "lb":
            return (
                codes.BODY_WEIGHT,
                "bodyweight",
                {"valueQuantity": _quantity(kg_to_lb(kg), codes.LB)},
            )
        return codes.BODY_WEIGHT, "bodyweight", {"valueQuantity": _quantity(kg, codes.KG)}
    if kind == "pulse_oximetry":
        return codes.SPO2, "oxygensat", {"valueQuantity": _quantity(values["spo2"], codes.PERCENT)}
    if kind == "temperature":
        celsius = values["temperature"]
        if unit == "F":
            return (
                codes.BODY_TEMPERATURE,
                "bodytemp",
                {"valueQuantity": _quantity(c_to_f(celsius), codes.FAHRENHEIT)},
            )
        return (
            codes.BODY_TEMPERATURE,
            "bodytemp",
            {"valueQuantity": _quantity(celsius, codes.CELSIUS)},
        )
    if kind == "glucose":
        return _glucose(values, unit)
    if kind == "peak_flow":
        return (
            codes.PEAK_FLOW,
            "vitalsigns",
            {"valueQuantity": _quantity(values["peak_flow"], codes.L_PER_MIN)},
        )
    raise ValueError(f"no Observation for readings of kind {kind!r}")


def _glucose(values: dict, unit: str) -> tuple[dict, str, dict]:
    """A glucose Observation in the company's unit, with the meal context when it is known."""
    mg_dl = values["glucose"]
    if unit == "mmol/L":
        out = {"valueQuantity": _quantity(mg_dl / MGDL_PER_MMOLL, codes.MMOL_L)}
        code = codes.GLUCOSE_MOLES
    else:
        out = {"valueQuantity": _quantity(mg_dl, codes.MG_DL)}
        code = codes.GLUCOSE_MASS
    before_meal = values.get("before_meal")
    if before_meal is not None:
        out["component"] = [{
            "code": codes.MEAL_CONTEXT,
            "valueCodeableConcept": codes.BEFORE_MEAL if before_meal else codes.AFTER_MEAL,
        }]  # fmt: skip
    return code, "vitalsigns", out


VITAL_ONLY = [codes.VITAL_SIGNS]
VITAL_AND_LAB = [codes.VITAL_SIGNS, codes.LABORATORY]
PROFILE_LISTS = {key: [url] for key, url in codes.PROFILES.items()}


def _observation(pk: str, variant: str, kind: str, values: dict, unit: str, effective: str,
                 received: str, device_ref: dict, subject: dict | None) -> dict:  # fmt: skip
    code, profile, value = _measured(kind, variant, values, unit)
    out: dict[str, Any] = {"resourceType": "Observation", "id": pk + variant}
    # The vital-signs profiles require a subject: claimed only for readings of a known patient.
    out["meta"] = (
        {"lastUpdated": received, "profile": PROFILE_LISTS[profile]}
        if subject is not None
        else {"lastUpdated": received}
    )
    out["status"] = "final"
    out["category"] = VITAL_AND_LAB if kind == "glucose" and variant == MAIN else VITAL_ONLY
    out["code"] = code
    if subject is not None:
        out["subject"] = subject
    out["effectiveDateTime"] = effective
    out["issued"] = received
    out["device"] = device_ref
    out.update(value)
    return out


class ObservationWriter:
    """Writes the Observations of many reading rows, each device's and patient's reference
    once (a page or an export file holds the readings of a few devices), and each reading's
    times once for all its Observations."""

    def __init__(self):
        self._references: dict[tuple[str, int], dict] = {}

    def _reference(self, resource_type: str, pk: Any) -> dict:
        key = (resource_type, pk.int)
        found = self._references.get(key)
        if found is None:
            found = self._references[key] = reference(resource_type, pk)
        return found

    def observations(self, row: tuple, values: dict, only: frozenset[str] | None = None,
                     after_variant: int = -1) -> list[tuple[int, dict]]:  # fmt: skip
        """The Observations of one row ``(id, kind, unit, measured, received, device_id,
        patient_id, ...)`` (the times as ``instant`` writes them: ``queries.observation_rows``)
        as ``(variant index, resource)``, keeping the variants in ``only`` (all when None) that
        come after ``after_variant``."""
        pk, kind, unit, effective, received, device_id, patient_id = row[:7]
        wanted = [
            (index, variant)
            for index, variant in enumerate(variants(kind, values))
            if index > after_variant and (only is None or (kind, variant) in only)
        ]
        if not wanted:
            return []
        text = str(pk)
        device_ref = self._reference("Device", device_id)
        subject = self._reference("Patient", patient_id) if patient_id is not None else None
        return [
            (
                index,
                _observation(
                    text, variant, kind, values, unit, effective, received, device_ref, subject
                ),
            )
            for index, variant in wanted
        ]


# --- Patient ---------------------------------------------------------------------------------

GENDERS = {
    "male": "male", "m": "male", "man": "male",
    "female": "female", "f": "female", "woman": "female",
    "other": "other", "x": "other", "non-binary": "other", "nonbinary": "other",
    "unknown": "unknown", "u": "unknown",
}  # fmt: skip


def identifier_system(company_code: str, what: str) -> str:
    """``urn:pulsebridge:<company code>:<what>``: ids are the company's own, unique within it."""
    return f"urn:pulsebridge:{company_code}:{what}"


PATIENT_ID = "patient-id"
HAYYLO_CLIENT_ID = "hayylo-client-id"
DEVICE_SERIAL = "urn:pulsebridge:device-serial"
DEVICE_IMEI = "urn:pulsebridge:imei"

# What ``patient`` takes: ``values_list(*PATIENT_COLUMNS)`` of ``queries.patients`` (which
# annotates ``last_updated``: the later of the patient's and its care client's change)
PATIENT_COLUMNS = (
    "pk", "last_updated", "removed_at", "external_id", "name", "phone_number", "email",
    "care_client__external_id", "care_client__first_name", "care_client__last_name",
    "care_client__phone", "care_client__phone2", "care_client__email",
    "care_client__address", "care_client__suburb", "care_client__state",
    "care_client__post_code", "care_client__gender", "care_client__dob",
)  # fmt: skip


def patient(row: tuple, company_code: str) -> dict:
    (pk, last_updated, removed_at, external_id, name, phone, email, client_id, first, last,
     client_phone, mobile, client_email, address, suburb, state, post_code, gender,
     dob) = row  # fmt: skip
    out: dict[str, Any] = {
        "resourceType": "Patient", "id": str(pk), "meta": {"lastUpdated": instant(last_updated)}
    }  # fmt: skip
    identifiers = [{"use": "usual", "system": identifier_system(company_code, PATIENT_ID),
                    "value": external_id}]  # fmt: skip
    if client_id:
        identifiers.append(
            {"system": identifier_system(company_code, HAYYLO_CLIENT_ID), "value": client_id}
        )
    out["identifier"] = identifiers
    # A patient the company removed stays readable (its readings refer to it), not in use.
    out["active"] = removed_at is None
    human = _human_name(first, last, name)
    if human:
        out["name"] = [human]
    telecom = _telecom(phone, email, client_phone, mobile, client_email)
    if telecom:
        out["telecom"] = telecom
    mapped = GENDERS.get((gender or "").strip().lower())
    if mapped:
        out["gender"] = mapped
    if dob:
        out["birthDate"] = dob.isoformat() if isinstance(dob, date) else str(dob)
    place = {
        key: value
        for key, value in (
            ("line", [address] if address else None),
            ("city", suburb),
            ("state", state),
            ("postalCode", post_code),
        )
        if value
    }
    if place:
        out["address"] = [{"use": "home", **place}]
    return out


def _human_name(first: str | None, last: str | None, name: str | None) -> dict[str, Any]:
    """The care record's official name when it has one, else the patient's name as given."""
    if first or last:
        full = " ".join(part for part in (first, last) if part)
        human: dict[str, Any] = {"use": "official", "text": full}
        if last:
            human["family"] = last
        if first:
            human["given"] = first.split()
        return human
    return {"text": name} if name else {}


def _telecom(
    phone: str | None,
    email: str | None,
    client_phone: str | None,
    mobile: str | None,
    client_email: str | None,
) -> list[dict[str, str]]:
    """Contact points: the care record's before the patient's, and the patient's own phone too
    when it differs."""
    telecom = []
    for value, system, use in (
        (client_phone or phone, "phone", "home"),
        (mobile, "phone", "mobile"),
        (client_email or email, "email", None),
    ):
        if value:
            point = {"system": system, "value": value}
            if use:
                point["use"] = use
            telecom.append(point)
    if client_phone and phone and phone != client_phone:
        telecom.append({"system": "phone", "value": phone})
    return telecom


# --- Device ----------------------------------------------------------------------------------

DEVICE_COLUMNS = (
    "pk", "updated_at", "serial", "imei", "billing_status", "patient_id", "model__sku",
    "model__name",
)  # fmt: skip
DEVICE_STATUS = {"preactive": "active", "active": "active", "suspended": "inactive"}


def device(row: tuple) -> dict:
    pk, updated_at, serial, imei, billing_status, patient_id, sku, model_name = row
    identifiers = [{"type": {"text": "Serial number"}, "system": DEVICE_SERIAL, "value": serial}]
    if imei:
        identifiers.append({"type": {"text": "IMEI"}, "system": DEVICE_IMEI, "value": imei})
    out: dict[str, Any] = {
        "resourceType": "Device",
        "id": str(pk),
        "meta": {"lastUpdated": instant(updated_at)},
        "identifier": identifiers,
        "status": DEVICE_STATUS.get(billing_status, "unknown"),
        "serialNumber": serial,
        "deviceName": [{"name": model_name, "type": "model-name"}],
        "modelNumber": sku,
    }
    if patient_id is not None:
        out["patient"] = reference("Patient", patient_id)
    return out
