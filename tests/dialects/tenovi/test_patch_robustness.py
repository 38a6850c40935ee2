"""PATCH hwi-devices/{id}/ with a patient lacking its external_id, and a PATCH racing a DELETE of
the same HWI device (issue 16 §2): a 400 naming the field, and a 404, never a 500."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client

pytestmark = pytest.mark.django_db


def test_a_patient_without_external_id_is_a_400_naming_it(tenovi, gateway):
    cuff = tenovi.activate()
    response = tenovi.patch(f"hwi/hwi-devices/{cuff['id']}/", {"patient": {"name": "Ada"}})
    assert response.status_code == 400, response.content
    assert "external_id" in response.json()["patient"]
    assert tenovi.get(f"hwi/hwi-devices/{cuff['id']}/").json()["patient"]["external_id"] == "P-1"


@pytest.mark.parametrize("patient", [None, [], "P-2", 7])
def test_a_patient_that_is_no_object_is_a_400(tenovi, gateway, patient):
    cuff = tenovi.activate()
    response = tenovi.patch(f"hwi/hwi-devices/{cuff['id']}/", {"patient": patient})
    assert response.status_code in (200, 400), response.content
    if response.status_code == 400:
        assert "patient" in response.json()


@pytest.mark.django_db(transaction=True)
def test_a_patch_racing_a_delete_is_a_404_not_a_500(alice, make_key, add_device):
    if connection.vendor != "postgresql":
        pytest.skip("the race needs concurrent writers: PostgreSQL only")
    from tests.dialects.tenovi.conftest import GATEWAY, TenoviClient

    add_device(alice, "TENOVI-GW", serial=GATEWAY)
    key = make_key(alice, "tenovi", rate_per_second=100_000)
    setup = TenoviClient(Client(), key, alice.code)
    outcomes: list[int] = []
    for round_ in range(12):
        cuff = setup.activate(patient=f"P-{round_}")
        path = f"hwi/hwi-devices/{cuff['id']}/"
        start = threading.Barrier(2)

        def patch(path=path, start=start):
            client = TenoviClient(Client(raise_request_exception=False), key, alice.code)
            start.wait()
            outcomes.append(
                client.patch(path, {"patient": {"external_id": "P-X", "name": "N"}}).status_code
            )
            connection.close()

        def delete(path=path, start=start):
            client = TenoviClient(Client(raise_request_exception=False), key, alice.code)
            start.wait()
            outcomes.append(client.delete(path).status_code)
            connection.close()

        threads = [threading.Thread(target=patch), threading.Thread(target=delete)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert set(outcomes) <= {200, 204, 404}, outcomes
