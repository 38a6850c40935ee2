"""The PING OpenAPI schema (drf-spectacular) covers every path under /ping/1.0/ and the OAuth2
endpoints."""

from __future__ import annotations

import pytest


@pytest.mark.django_db
def test_the_ping_schema_lists_every_path_with_oauth2_authentication(client):
    schema = client.get("/api/schema/ping.json").json()
    assert set(schema["paths"]) == {
        "/auth/authorize/",
        "/auth/token/",
        "/1.0/applications/",
        "/1.0/applications/{id}/",
        "/1.0/configurations/customer/",
        "/1.0/configurations/customer/{id}/",
        "/1.0/configurations/customer/{id}/publish/",
        "/1.0/customers/accounts/me/",
        "/1.0/customers/accounts/password/change/",
        "/1.0/customers/groups/",
        "/1.0/customers/groups/{id}/",
        "/1.0/customers/groups/{id}/devices/",
        "/1.0/customers/groups/{id}/devices/{device_id}/",
        "/1.0/devices/devices/",
        "/1.0/devices/devices/{id}/",
        "/1.0/events/",
        "/1.0/events/{id}/",
        "/1.0/geogroups/",
        "/1.0/geogroups/{id}/",
    }
    assert set(schema["components"]["securitySchemes"]) == {"oauth2"}
    # the scopes a PING token carries ("scope": "read write"), offered by Swagger UI's dialog
    for flow in schema["components"]["securitySchemes"]["oauth2"]["flows"].values():
        assert set(flow["scopes"]) == {"read", "write"}
    listing = schema["paths"]["/1.0/devices/devices/"]["get"]
    names = {p["name"] for p in listing["parameters"]}
    assert {
        "imei",
        "mac",
        "fault",
        "customer_group_id",
        "latitude",
        "longitude",
        "radius__lte",
        "radius__gte",
        "geogroup_inside",
        "geogroup_outside",
        "geogroup_distance",
        "search",
        "ordering",
        "page",
    } <= names
