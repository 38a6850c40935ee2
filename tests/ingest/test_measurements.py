import pytest

URL = "/ingest/v1/measurements"


@pytest.fixture
def ingest(client, alice, make_key):
    key = make_key(alice, "ingest")

    def post(body, key=key):
        return client.post(URL, body, content_type="application/json", HTTP_X_API_KEY=key)

    return post


def bp(imei, at="2026-11-01T08:00:00Z", **extra):
    return {
        "imei": imei,
        "kind": "blood_pressure",
        "measured_at": at,
        "values": {"systolic": 129, "diastolic": 84, "pulse": 62},
        **extra,
    }


def test_it_stores_a_reading_and_activates_the_device(ingest, alice, add_device):
    device = add_device(alice, "PY-802-LTE")
    response = ingest(bp(device.imei))
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 1
    device.refresh_from_db()
    assert device.billing_status == "active"
    assert device.first_measurement_at.isoformat() == "2026-11-01T08:00:00+00:00"


def test_it_says_duplicate_when_the_same_reading_comes_again(ingest, alice, add_device):
    device = add_device(alice)
    first = ingest(bp(device.imei)).json()["results"][0]
    again = ingest([bp(device.imei), bp(device.imei)]).json()["results"]
    assert [r["status"] for r in again] == ["duplicate", "duplicate"]
    assert {r["id"] for r in again} == {first["id"]}


def test_it_reports_each_bad_item_by_index_and_keeps_the_good_ones(ingest, alice, add_device):
    device = add_device(alice)
    response = ingest(
        [
            bp(device.imei),
            bp(device.imei, at="2026-11-01T09:00:00Z", values={"systolic": 500, "diastolic": 80}),
            bp("999999999999999"),
        ]
    )
    assert response.status_code == 207
    results = response.json()["results"]
    assert results[0]["status"] == "created"
    assert "values.systolic" in results[1]["errors"]
    assert results[2]["errors"] == {"device": "unknown device"}


def test_it_refuses_a_key_of_another_dialect(client, alice, make_key, add_device):
    device = add_device(alice)
    key = make_key(alice, "pylo")
    response = client.post(
        URL, bp(device.imei), content_type="application/json", HTTP_X_API_KEY=key
    )
    assert response.status_code == 401


def test_charlie_cannot_post_for_alices_device(client, alice, charlie, make_key, add_device):
    device = add_device(alice)
    key = make_key(charlie, "ingest")
    response = client.post(
        URL, bp(device.imei), content_type="application/json", HTTP_X_API_KEY=key
    )
    assert response.status_code == 400
    assert response.json()["results"][0]["errors"] == {"device": "unknown device"}


@pytest.mark.parametrize(
    "field", ["imei", "serial", "id", "device_user", "radio", "network", "tower_latitude"]
)
def test_a_nul_character_is_that_items_error_not_a_500(ingest, alice, add_device, field):
    """PostgreSQL's text cannot hold U+0000: the item is refused, the others are stored."""
    device = add_device(alice)
    bad = bp(device.imei, at="2026-11-01T09:00:00Z")
    if field == "serial":
        del bad["imei"]
    bad[field] = f"{device.imei if field == 'imei' else 'x'}\x00"
    response = ingest([bp(device.imei), bad])
    assert response.status_code == 207, response.content
    results = response.json()["results"]
    assert results[0]["status"] == "created"
    assert results[1]["errors"] == {field: "must not contain NUL (U+0000) characters"}
