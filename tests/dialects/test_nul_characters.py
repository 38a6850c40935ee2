"""A NUL (U+0000) in a path or query parameter is a 400 in each dialect's error shape. It names
nothing, and PostgreSQL refuses it in any query: unchecked, it was a 500 there."""

import pytest

pytestmark = pytest.mark.django_db

NUL = "Null characters are not allowed."


@pytest.mark.parametrize(
    "path",
    ["/pylo/devices?imei=35942%00", "/pylo/devices?id=SN%00", "/pylo/orders?number=PO%00"],
)
def test_pylo(client, alice, make_key, path):
    response = client.get(path, HTTP_X_API_KEY=make_key(alice, "pylo"))
    assert response.status_code == 400
    name = path.split("?")[1].split("=")[0]
    assert response.json() == {"message": f"Bad Request -- {name}: {NUL}", "errors": {name: NUL}}


def test_pylo_still_authenticates_first(client):
    assert client.get("/pylo/devices?imei=1%00").status_code == 401


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("patients/P%00/measurements/", "patient_external_id"),
        ("hwi-devices/?patient_id=P%00", "patient_id"),
    ],
)
def test_tenovi(client, alice, make_key, path, name):
    key = make_key(alice, "tenovi", rate_per_second=100)
    response = client.get(
        f"/tenovi/clients/{alice.code}/hwi/{path}", HTTP_AUTHORIZATION=f"Api-Key {key}"
    )
    assert response.status_code == 400
    assert response.json() == {name: [NUL]}


def test_hayylo(client, alice, make_key):
    response = client.get("/hayylo/inbound/b%00", HTTP_X_API_KEY=make_key(alice, "hayylo"))
    assert response.status_code == 400
    assert response.json() == {"message": f"Bad Request: {NUL}"}


def test_ingest(client, alice, make_key):
    response = client.post(
        "/ingest/v1/measurements?x=%00",
        {},
        content_type="application/json",
        HTTP_X_API_KEY=make_key(alice, "ingest"),
    )
    assert response.status_code == 400
    assert response.json() == {"message": "Invalid request.", "errors": {"x": [NUL]}}
