"""``meta.lastUpdated`` and ``_lastUpdated`` on every resource type: a Patient changed when
the company's details of it (or its care client's) did, a Device when what it is or whom it
serves did, an Observation when its reading was received (readings never change)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from pulsebridge.care.models import CareClient
from pulsebridge.devices.models import Device, Patient

from .conftest import T0, reading

LONG_AGO = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def ids(bundle):
    return sorted(
        e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"
    )


def age(*rows):
    """Make the rows' last change long ago, so that what happens next is the only news."""
    for row in rows:
        type(row).objects.filter(pk=row.pk).update(updated_at=LONG_AGO)
        if isinstance(row, Patient):
            CareClient.objects.filter(patient=row).update(updated_at=LONG_AGO)


def since(moment: datetime) -> str:
    return "ge" + moment.isoformat().replace("+00:00", "Z")


def test_a_patient_and_a_device_say_when_they_last_changed(alice_fhir, fleet, ann):
    cuff = fleet["blood_pressure"]
    age(ann, cuff)
    patient = alice_fhir.get(f"/Patient/{ann.pk}").fhir
    device = alice_fhir.get(f"/Device/{cuff.pk}").fhir
    assert patient["meta"]["lastUpdated"] == "2026-01-05T09:30:00Z"
    assert device["meta"]["lastUpdated"] == "2026-01-05T09:30:00Z"


def test_a_patient_changed_through_a_device_dialect_or_its_care_client_is_news(
    alice_fhir, alice, ann
):
    from pulsebridge.devices.services import change_patient, ensure_patient

    ben = ensure_patient(alice, "P-BEN", name="Ben Other")
    cara = ensure_patient(alice, "P-CARA", name="Cara Third")
    age(ann, ben, cara)
    before = timezone.now()
    assert ids(alice_fhir.get("/Patient", {"_lastUpdated": since(before)}).fhir) == []
    change_patient(ben, phone_number="+15559999")
    client = CareClient.objects.get(patient=ann)
    client.address = "2 Side St"
    client.save()
    found = alice_fhir.get("/Patient", {"_lastUpdated": since(before)}).fhir
    assert ids(found) == sorted([str(ann.pk), str(ben.pk)])
    for entry in found["entry"]:
        assert entry["resource"]["meta"]["lastUpdated"] >= before.isoformat()[:19]
    old = alice_fhir.get("/Patient", {"_lastUpdated": "lt" + before.isoformat()}).fhir
    assert ids(old) == [str(cara.pk)]
    assert ids(alice_fhir.get("/Patient", {"_lastUpdated": "le2026-01-05"}).fhir) == [str(cara.pk)]
    assert ids(alice_fhir.get("/Patient", {"_lastUpdated": "gt2026-01-05"}).fhir) == sorted(
        [str(ann.pk), str(ben.pk)]
    )


def test_a_removed_patient_is_still_read_but_no_longer_active_and_that_is_news(
    alice_fhir, alice, ann
):
    from pulsebridge.devices.services import remove_patient

    age(ann)
    assert alice_fhir.get(f"/Patient/{ann.pk}").fhir["active"] is True
    before = timezone.now()
    remove_patient(Patient.objects.get(pk=ann.pk))
    patient = alice_fhir.get(f"/Patient/{ann.pk}").fhir
    assert patient["active"] is False
    assert ids(alice_fhir.get("/Patient", {"_lastUpdated": since(before)}).fhir) == [str(ann.pk)]


def test_a_device_assigned_activated_or_suspended_is_news_and_a_reading_alone_is_not(
    alice_fhir, alice, ann, fleet, add_device, record
):
    from pulsebridge.devices.services import assign_device, suspend_device

    spare = add_device(alice, "PY-300-LTE")
    scale, cuff, oximeter = fleet["weight"], fleet["blood_pressure"], fleet["pulse_oximetry"]
    record([reading(cuff, "blood_pressure", {"systolic": 120, "diastolic": 80})])  # active now
    age(*fleet.values(), spare)
    before = timezone.now()
    assign_device(spare, patient_id="P-ANN")
    suspend_device(scale)
    # the oximeter's first reading makes it active; the cuff's second changes nothing of it
    record([reading(oximeter, "pulse_oximetry", {"spo2": 97, "pulse": 70})])
    record([reading(cuff, "blood_pressure", {"systolic": 121, "diastolic": 81},
                    at=T0 + timedelta(minutes=1))])  # fmt: skip
    changed = alice_fhir.get("/Device", {"_lastUpdated": since(before)}).fhir
    assert ids(changed) == sorted(str(d.pk) for d in (spare, scale, oximeter))
    assert Device.objects.get(pk=cuff.pk).updated_at == LONG_AGO
    unchanged = alice_fhir.get("/Device", {"_lastUpdated": "lt" + before.isoformat()}).fhir
    assert len(ids(unchanged)) == 4


def test_last_updated_combines_with_the_other_device_parameters(alice_fhir, alice, ann, fleet):
    age(*fleet.values())
    params = [("patient", f"Patient/{ann.pk}"), ("_lastUpdated", "ge2026-01-05"),
              ("_lastUpdated", "lt2026-01-06")]  # fmt: skip
    assert len(ids(alice_fhir.get("/Device", params).fhir)) == 6
    params[-1] = ("_lastUpdated", "lt2026-01-05T09:30:00Z")
    assert ids(alice_fhir.get("/Device", params).fhir) == []


def test_an_observation_was_last_updated_when_its_reading_was_received(alice_fhir, fleet, record):
    (pk,) = record([reading(fleet["weight"], "weight", {"weight": 80, "unit": "kg"})],
                   now=T0 + timedelta(minutes=3))  # fmt: skip
    observation = alice_fhir.get(f"/Observation/{pk}").fhir
    assert observation["meta"]["lastUpdated"] == observation["issued"] == "2026-11-02T08:03:00Z"


def test_a_bad_last_updated_is_a_400_naming_it(alice_fhir, ann):
    for resource_type in ("Patient", "Device", "Observation"):
        response = alice_fhir.get(f"/{resource_type}", {"_lastUpdated": "ge2026-13-01"})
        assert response.status_code == 400
        assert response.fhir["issue"][0]["expression"] == ["_lastUpdated"]


def test_an_export_since_a_time_leaves_out_the_patients_and_devices_unchanged_since(
    alice_fhir, alice, ann, fleet, django_capture_on_commit_callbacks
):
    from pulsebridge.devices.services import ensure_patient, suspend_device

    from .test_export import downloaded, kick_off, poll

    ben = ensure_patient(alice, "P-BEN", name="Ben Other")
    age(ann, ben, *fleet.values())
    before = timezone.now()
    ensure_patient(alice, "P-BEN", name="Ben Changed")
    suspend_device(fleet["glucose"])
    status_url = kick_off(alice_fhir, "/$export",
                          {"_type": "Patient,Device", "_since": before.isoformat()},
                          capture=django_capture_on_commit_callbacks)  # fmt: skip
    files = downloaded(alice_fhir, poll(alice_fhir, status_url).fhir)
    assert [r["id"] for r in files["Patient"]] == [str(ben.pk)]
    assert [r["id"] for r in files["Device"]] == [str(fleet["glucose"].pk)]
    assert files["Patient"][0]["name"][0]["text"] == "Ben Changed"
