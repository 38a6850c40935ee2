"""Searching Observations, Patients and Devices: the parameters metadata declares, searchset
Bundles with cursor pages that stay right when readings share a timestamp, and the
``Prefer: handling`` rule for parameters it does not know."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

from tests.plans import assert_page_queries_never_planned_generic

from .conftest import T0, FhirClient, reading


def ids(bundle):
    return [e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"]


def walk(fhir, path, params):
    """Every page from the first, following ``next`` links."""
    pages = [fhir.get(path, params)]
    while True:
        assert pages[-1].status_code == 200, pages[-1].fhir
        nexts = [link["url"] for link in pages[-1].fhir["link"] if link["relation"] == "next"]
        if not nexts:
            return pages
        pages.append(fhir.get(nexts[0]))


@pytest.fixture
def many(fleet, record):
    """250 cuff readings, 5 per timestamp, each with a pulse: 500 Observations."""
    device = fleet["blood_pressure"]
    items = [
        reading(device, "blood_pressure", {"systolic": 110 + i % 40, "diastolic": 70, "pulse": 60},
                at=T0 + timedelta(minutes=i // 5), device_user=str(1 + i % 5))
        for i in range(250)
    ]  # fmt: skip
    return record(items)


def test_pages_of_observations_hold_every_reading_once_in_time_order(alice_fhir, many, ann):
    pages = walk(alice_fhir, "/Observation",
                 {"patient": f"Patient/{ann.pk}", "_count": "37", "_total": "accurate"})  # fmt: skip
    seen = [i for page in pages for i in ids(page.fhir)]
    assert len(seen) == 500
    assert len(set(seen)) == 500
    assert {s.removesuffix("-hr") for s in seen} == {str(pk) for pk in many}
    assert all(len(ids(p.fhir)) == 37 for p in pages[:-1])
    times = [e["resource"]["effectiveDateTime"] for p in pages for e in p.fhir["entry"]]
    assert times == sorted(times)
    assert pages[0].fhir["total"] == 500
    assert all(p.fhir["total"] == 500 for p in pages)


def test_sorting_by_date_descending_pages_backwards(alice_fhir, many, ann):
    pages = walk(alice_fhir, "/Observation",
                 {"patient": str(ann.pk), "_sort": "-date", "_count": "100"})  # fmt: skip
    seen = [i for page in pages for i in ids(page.fhir)]
    assert len(seen) == 500
    assert len(set(seen)) == 500
    times = [e["resource"]["effectiveDateTime"] for p in pages for e in p.fhir["entry"]]
    assert times == sorted(times, reverse=True)


def test_code_selects_the_heart_rate_observations_of_cuffs_and_oximeters(
    alice_fhir, fleet, record, ann
):
    record([
        reading(fleet["blood_pressure"], "blood_pressure", {"systolic": 120, "diastolic": 80, "pulse": 70}),
        reading(fleet["pulse_oximetry"], "pulse_oximetry", {"spo2": 96, "pulse": 66}),
        reading(fleet["weight"], "weight", {"weight": 80, "unit": "kg"}),
    ])  # fmt: skip
    bundle = alice_fhir.get("/Observation", {"code": "http://loinc.org|8867-4",
                                             "patient": str(ann.pk)}).fhir  # fmt: skip
    assert len(ids(bundle)) == 2
    assert all(i.endswith("-hr") for i in ids(bundle))
    assert bundle["total"] == 2
    either = alice_fhir.get("/Observation", {"code": "29463-7,59408-5"}).fhir
    assert len(ids(either)) == 2
    assert (
        alice_fhir.get("/Observation", {"code": "http://snomed.info/sct|29463-7"}).fhir.get("entry")
        is None
    )


def test_category_laboratory_is_blood_glucose_only(alice_fhir, fleet, record):
    record([
        reading(fleet["glucose"], "glucose", {"glucose": 100, "unit": "mg/dL"}),
        reading(fleet["weight"], "weight", {"weight": 80, "unit": "kg"}),
    ])  # fmt: skip
    lab = alice_fhir.get("/Observation", {"category": "laboratory"}).fhir
    assert [e["resource"]["code"]["coding"][0]["code"] for e in lab["entry"]] == ["41653-7"]
    vital = alice_fhir.get("/Observation", {"category": "vital-signs"}).fhir
    assert len(ids(vital)) == 2


def test_glucose_codes_follow_the_unit_the_meter_sent(alice_fhir, fleet, record):
    record([
        reading(fleet["glucose"], "glucose", {"glucose": 100, "unit": "mg/dL"}),
        reading(fleet["glucose"], "glucose", {"glucose": 6.1, "unit": "mmol/L"},
                at=T0 + timedelta(minutes=1)),
    ])  # fmt: skip
    assert len(ids(alice_fhir.get("/Observation", {"code": "2339-0"}).fhir)) == 1
    assert len(ids(alice_fhir.get("/Observation", {"code": "14743-9"}).fhir)) == 1


def test_date_prefixes_bound_the_measured_time(alice_fhir, fleet, record):
    device = fleet["weight"]
    record([reading(device, "weight", {"weight": 80 + d, "unit": "kg"}, at=T0 + timedelta(days=d))
            for d in range(5)], now=T0 + timedelta(days=10))  # fmt: skip

    def found(*dates):
        return len(ids(alice_fhir.get("/Observation", [("date", d) for d in dates]).fhir))

    assert found("ge2026-11-03", "le2026-11-05") == 3
    assert found("gt2026-11-03") == 3
    assert found("lt2026-11-03T08:00:00Z") == 1
    assert found("2026-11-04") == 1
    assert found("eq2026-11") == 5
    assert found("ge2026-11-04T09:00:00+01:00") == 3


def test_last_updated_bounds_the_received_time(alice_fhir, fleet, record):
    device = fleet["weight"]
    record([reading(device, "weight", {"weight": 80, "unit": "kg"})], now=T0 + timedelta(days=1))
    record([reading(device, "weight", {"weight": 81, "unit": "kg"}, at=T0 + timedelta(hours=1))],
           now=T0 + timedelta(days=3))  # fmt: skip
    bundle = alice_fhir.get("/Observation", {"_lastUpdated": "ge2026-11-04"}).fhir
    assert len(ids(bundle)) == 1
    assert bundle["entry"][0]["resource"]["meta"]["lastUpdated"] == "2026-11-05T08:00:00Z"


def test_an_unknown_parameter_is_ignored_and_said_so_unless_the_client_asks_for_strict(
    alice_fhir, fleet, record
):
    record([reading(fleet["weight"], "weight", {"weight": 80, "unit": "kg"})])
    lenient = alice_fhir.get("/Observation", {"value-quantity": "gt50"}).fhir
    assert len(ids(lenient)) == 1
    (warning,) = [e for e in lenient["entry"] if e["search"]["mode"] == "outcome"]
    assert warning["resource"]["issue"][0]["severity"] == "warning"
    assert "value-quantity" in warning["resource"]["issue"][0]["diagnostics"]
    self_link = next(link["url"] for link in lenient["link"] if link["relation"] == "self")
    assert "value-quantity" not in self_link
    strict = alice_fhir.get("/Observation", {"value-quantity": "gt50"},
                            HTTP_PREFER="handling=strict")  # fmt: skip
    assert strict.status_code == 400
    assert strict.fhir["issue"][0]["code"] == "not-supported"
    assert strict.fhir["issue"][0]["expression"] == ["value-quantity"]


@pytest.mark.parametrize(
    ("params", "parameter"),
    [({"date": "2026-13-01"}, "date"), ({"date": "ap2026-11-01"}, "date"),
     ({"_count": "many"}, "_count"), ({"_sort": "code"}, "_sort"),
     ({"_cursor": "forged"}, "_cursor"), ({"_format": "xml"}, "_format"),
     ({"patient": "Device/123"}, "patient")],
)  # fmt: skip
def test_a_value_it_cannot_honour_is_a_400_naming_the_parameter(alice_fhir, params, parameter):
    response = alice_fhir.get("/Observation", params)
    assert response.status_code == 400
    assert response.fhir["issue"][0]["expression"] == [parameter]


def test_a_cursor_of_another_search_is_refused(alice_fhir, many, ann):
    first = alice_fhir.get("/Observation", {"patient": str(ann.pk), "_count": "10"}).fhir
    token = next(link["url"] for link in first["link"] if link["relation"] == "next").split(
        "_cursor="
    )[1]
    response = alice_fhir.get("/Observation", {"code": "8867-4", "_cursor": token})
    assert response.status_code == 400


def test_an_observation_search_of_several_pages_leaves_out_the_total_unless_asked(
    alice_fhir, many, ann
):
    for params in ({}, {"patient": str(ann.pk)}):
        assert "total" not in alice_fhir.get("/Observation", {"_count": "5", **params}).fhir
        for asked in ("accurate", "estimate"):
            bundle = alice_fhir.get("/Observation", {"_count": "5", "_total": asked, **params}).fhir
            assert bundle["total"] == 500
    # an answer that fits in its first page has its total, free
    assert alice_fhir.get("/Observation", {"_count": "1000"}).fhir["total"] == 500
    assert "total" not in alice_fhir.get("/Observation", {"_count": "1000", "_total": "none"}).fhir
    assert "total" not in alice_fhir.get("/Patient", {"_total": "none"}).fhir


def test_count_zero_answers_the_total_only(alice_fhir, many, ann):
    bundle = alice_fhir.get("/Observation", {"patient": str(ann.pk), "_count": "0"}).fhir
    assert bundle["total"] == 500
    assert "entry" not in bundle


def test_patients_are_found_by_identifier_and_name(alice_fhir, ann, alice):
    from pulsebridge.devices.services import ensure_patient

    ensure_patient(alice, "P-BEN", name="Ben Other")

    def found(params):
        return [e["resource"]["identifier"][0]["value"]
                for e in alice_fhir.get("/Patient", params).fhir.get("entry", [])]  # fmt: skip

    assert found({"identifier": "P-ANN"}) == ["P-ANN"]
    assert found({"identifier": f"urn:pulsebridge:{alice.code}:hayylo-client-id|P-ANN"}) == [
        "P-ANN"
    ]
    assert found({"identifier": "urn:other|P-ANN"}) == []
    assert found({"name": "exam"}) == ["P-ANN"]
    assert found({"name": "other"}) == ["P-BEN"]
    assert found({"name": "xample"}) == []
    assert sorted(found({})) == ["P-ANN", "P-BEN"]


def test_devices_are_found_by_patient(alice_fhir, fleet, ann, alice, add_device):
    add_device(alice, "PY-802-LTE")  # in stock, serving nobody
    bundle = alice_fhir.get("/Device", {"patient": f"Patient/{ann.pk}"}).fhir
    assert sorted(ids(bundle)) == sorted(str(d.pk) for d in fleet.values())
    assert bundle["total"] == 6
    assert alice_fhir.get("/Device").fhir["total"] == 7


def test_devices_and_patients_page_by_cursor_too(alice_fhir, alice, add_device):
    for _ in range(7):
        add_device(alice, "PY-300-LTE")
    pages = walk(alice_fhir, "/Device", {"_count": "3"})
    assert [len(ids(p.fhir)) for p in pages] == [3, 3, 1]
    assert len({i for p in pages for i in ids(p.fhir)}) == 7


@pytest.fixture
def mixed(fleet, record):
    """Readings of one and of two Observations, interleaved on shared timestamps: 60 weights
    (one each), 30 cuff readings with a pulse (two each), 10 peak flows without FEV1 (one):
    130 Observations."""
    items = []
    for i in range(100):
        at, user = T0 + timedelta(minutes=i // 4), str(1 + i % 4)
        if i % 10 == 9:
            items.append(reading(fleet["peak_flow"], "peak_flow", {"peak_flow": 400},
                                 at=at, device_user=user))  # fmt: skip
        elif i % 10 in (1, 4, 7):
            items.append(reading(fleet["blood_pressure"], "blood_pressure",
                                 {"systolic": 120, "diastolic": 80, "pulse": 60}, at=at,
                                 device_user=user))  # fmt: skip
        else:
            items.append(reading(fleet["weight"], "weight", {"weight": 80 + i / 10, "unit": "kg"},
                                 at=at, device_user=user))  # fmt: skip
    return record(items)


@pytest.mark.parametrize("size", ["2", "3", "7", "64", "129", "130", "1000"])
def test_pages_of_readings_of_one_and_two_observations_hold_each_once_and_end_with_the_last(
    alice, make_key, mixed, ann, size
):
    fhir = FhirClient(make_key(alice, "fhir", rate_per_second=10_000))
    for sort in ("date", "-date"):
        pages = walk(fhir, "/Observation", {"patient": str(ann.pk), "_count": size,
                                            "_sort": sort, "_total": "accurate"})  # fmt: skip
        seen = [i for page in pages for i in ids(page.fhir)]
        assert len(seen) == 130 == len(set(seen))
        assert {s.removesuffix("-hr") for s in seen} == {str(pk) for pk in mixed}
        # every page is full but the last, and the last is never empty
        assert [len(ids(p.fhir)) for p in pages[:-1]] == [int(size)] * (len(pages) - 1)
        assert 0 < len(ids(pages[-1].fhir)) <= int(size)
        assert pages[0].fhir["total"] == 130


def test_totals_count_the_observations_the_codes_select(alice_fhir, mixed, ann):
    def total(**params):
        asked = {"patient": str(ann.pk), "_count": "1", "_total": "accurate", **params}
        return alice_fhir.get("/Observation", asked).fhir["total"]

    assert total(code="8867-4") == 30
    assert total(code="85354-9") == 30
    assert total(code="85354-9,8867-4") == 60
    assert total(code="29463-7,8867-4") == 90
    assert total(code="19935-6") == 10
    assert total(code="20150-9") == 0
    assert total(category="laboratory") == 0


def test_times_with_microseconds_are_written_exactly_in_search_read_and_export(
    alice_fhir, fleet, record
):
    at = T0.replace(microsecond=123450)
    (pk,) = record([reading(fleet["weight"], "weight", {"weight": 80, "unit": "kg"}, at=at)],
                   now=at + timedelta(seconds=1))  # fmt: skip
    (other,) = record([reading(fleet["weight"], "weight", {"weight": 81, "unit": "kg"},
                               at=T0 + timedelta(minutes=1))])  # fmt: skip
    read = alice_fhir.get(f"/Observation/{pk}").fhir
    assert read["effectiveDateTime"] == "2026-11-02T08:00:00.123450Z"
    assert read["issued"] == read["meta"]["lastUpdated"] == "2026-11-02T08:00:01.123450Z"
    assert alice_fhir.get(f"/Observation/{other}").fhir["effectiveDateTime"] == (
        "2026-11-02T08:01:00Z"
    )
    found = alice_fhir.get("/Observation", {"_count": "1"}).fhir
    assert found["entry"][0]["resource"] == read
    # the next page starts right after the microsecond, not at the whole second
    nexts = [link["url"] for link in found["link"] if link["relation"] == "next"]
    assert ids(alice_fhir.get(nexts[0]).fhir) == [str(other)]


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="plan caching: PostgreSQL only (SQLite plans every statement anew)",
)
def test_on_postgresql_the_page_query_once_prepared_is_still_planned_for_its_patient(
    alice_fhir, many, ann
):
    """A generic plan reads every reading of the patient in the range and sorts them (see
    lib.plans.custom_plans); each page must be planned for the patient it asks for. The session
    here prefers generic plans, as PostgreSQL comes to on a large table."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET plan_cache_mode = force_generic_plan")
    for _ in range(8):
        response = alice_fhir.get("/Observation", {"patient": str(ann.pk), "_count": "10"})
        assert response.status_code == 200
    assert_page_queries_never_planned_generic()
