"""1.0/configurations/customer/: drafts, publishing, the settings schema, filters."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

BASE = "/1.0/configurations/customer/"
FIELDS = {
    "id",
    "name",
    "description",
    "checksum",
    "settings",
    "created_at",
    "modified_at",
    "state",
    "customer",
}


def create(ping, **body):
    body.setdefault("name", "Custom Configuration")
    response = ping.post(BASE, body)
    assert response.status_code == 201, response.content
    return response.json()


def test_a_new_configuration_is_a_draft_with_complete_settings(ping, alice):
    body = create(
        ping,
        description="Custom configuration extending reporting frequency",
        settings={"reporting_interval": 600},
    )
    assert set(body) == FIELDS
    assert isinstance(body["id"], int)
    assert body["state"] == "draft"
    assert body["settings"] == {
        "reporting_interval": 600,
        "temperature_logging_interval": 900,
        "shock_threshold": 4.0,
        "temperature_low_alarm": None,
        "temperature_high_alarm": None,
        "gps_enabled": True,
    }
    assert len(body["checksum"]) == 8
    assert body["customer"]["id"] == str(alice.pk)


def test_the_checksum_changes_with_the_settings_only(ping):
    body = create(ping)
    renamed = ping.patch(f"{BASE}{body['id']}/", {"name": "Other"}).json()
    assert renamed["checksum"] == body["checksum"]
    changed = ping.patch(f"{BASE}{body['id']}/", {"settings": {"shock_threshold": 8}}).json()
    assert changed["checksum"] != body["checksum"]
    assert changed["settings"]["shock_threshold"] == 8.0


def test_patch_keeps_other_settings_and_put_resets_them(ping):
    body = create(ping, settings={"reporting_interval": 600})
    patched = ping.patch(f"{BASE}{body['id']}/", {"settings": {"gps_enabled": False}}).json()
    assert patched["settings"]["reporting_interval"] == 600
    put = ping.put(f"{BASE}{body['id']}/", {"name": "P", "settings": {"gps_enabled": False}}).json()
    assert put["settings"]["reporting_interval"] == 3600
    assert put["settings"]["gps_enabled"] is False


@pytest.mark.parametrize(
    ("given", "name"),
    [
        ({"reporting_interval": 5}, "reporting_interval"),
        ({"reporting_interval": 60.5}, "reporting_interval"),
        ({"shock_threshold": "high"}, "shock_threshold"),
        ({"gps_enabled": 1}, "gps_enabled"),
        ({"colour": "red"}, "colour"),
        ({"temperature_low_alarm": 10, "temperature_high_alarm": 5}, "temperature_low_alarm"),
    ],
)
def test_invalid_settings_are_refused_naming_the_setting(ping, given, name):
    response = ping.post(BASE, {"name": "x", "settings": given})
    assert response.status_code == 400
    assert isinstance(response.json()["settings"][name], list)


def test_publishing_makes_it_read_only(ping):
    body = create(ping)
    published = ping.post(f"{BASE}{body['id']}/publish/")
    assert published.status_code == 200
    assert published.json()["state"] == "published"
    for method in ("put", "patch"):
        response = getattr(ping, method)(f"{BASE}{body['id']}/", {"name": "late"})
        assert response.status_code == 400
        assert response.json() == {
            "non_field_errors": ["a published configuration can no longer be changed"]
        }
    assert ping.post(f"{BASE}{body['id']}/publish/").json()["state"] == "published"


def test_a_configuration_is_deleted(ping):
    body = create(ping)
    assert ping.delete(f"{BASE}{body['id']}/").status_code == 204
    assert ping.get(f"{BASE}{body['id']}/").status_code == 404


def test_a_configuration_used_by_a_group_cannot_be_deleted(ping):
    body = create(ping)
    ping.post(f"{BASE}{body['id']}/publish/")
    ping.post("/1.0/customers/groups/", {"name": "Fleet", "configuration": body["id"]})
    response = ping.delete(f"{BASE}{body['id']}/")
    assert response.status_code == 400
    assert "Fleet" in response.json()["non_field_errors"][0]


def test_list_filters_by_names_searches_and_orders(ping):
    for name in ("Alpha", "Beta", "Gamma"):
        create(ping, name=name)
    names = lambda r: [c["name"] for c in r.json()["results"]]  # noqa: E731
    assert names(ping.get(BASE, {"ordering": "-name"})) == ["Gamma", "Beta", "Alpha"]
    assert names(ping.get(BASE, {"name": "Alpha,Gamma", "ordering": "name"})) == ["Alpha", "Gamma"]
    assert names(ping.get(BASE, {"search": "amm"})) == ["Gamma"]
    assert names(ping.get(BASE, {"ordering": "-created_at,name"})) == ["Gamma", "Beta", "Alpha"]
    page = ping.get(BASE, {"page_size": 2, "page": 2, "ordering": "name"}).json()
    assert (page["count"], page["num_pages"], [c["name"] for c in page["results"]]) == (
        3,
        2,
        ["Gamma"],
    )


def test_charlies_customer_sees_none_of_it(ping, charlie_ping):
    body = create(ping)
    assert charlie_ping.get(BASE).json()["count"] == 0
    for call in (
        lambda: charlie_ping.get(f"{BASE}{body['id']}/"),
        lambda: charlie_ping.patch(f"{BASE}{body['id']}/", {"name": "x"}),
        lambda: charlie_ping.post(f"{BASE}{body['id']}/publish/"),
        lambda: charlie_ping.delete(f"{BASE}{body['id']}/"),
    ):
        assert call().status_code == 404
