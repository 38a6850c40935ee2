"""A 24-digit integer wherever a dialect takes an integer id (a path, a filter, a body) is a 4xx,
never a 500: SQLite cannot bind an integer past 2**63 - 1 (OverflowError). The cases are
generated from the URL configuration, the PING router's filter sets and serializers, so a new
route or filter is covered without a new test."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter
from rest_framework import serializers

from pulsebridge.dialects.ping.urls import router

pytestmark = pytest.mark.django_db

HUGE = 10**24
DIALECT_PREFIXES = ("pylo/", "tenovi/", "hayylo/", "ping", "ingest/", "fhir/")


def _routes(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _routes(entry, route)
        elif isinstance(entry, URLPattern):
            yield route, entry


def _dialect_routes():
    return [(r, e) for r, e in _routes() if r.lstrip("^").startswith(DIALECT_PREFIXES)]


def test_no_dialect_route_takes_an_integer_a_bigint_cannot_hold():
    unbounded = [
        route
        for route, entry in _dialect_routes()
        if any(
            isinstance(c, IntConverter) for c in getattr(entry.pattern, "converters", {}).values()
        )
    ]
    assert unbounded == []


def _ping_paths_with_ids():
    """Every PING route with an id in its path, the ids replaced by a 24-digit one."""
    paths = []
    for route, entry in _dialect_routes():
        converters = getattr(entry.pattern, "converters", {})
        if not route.startswith("^ping") or not converters:
            continue
        path = route.split("ping/+", 1)[1]
        for name in converters:
            path = path.replace(f"<{converters[name].__class__.__name__}:{name}>", str(HUGE))
            path = path.replace(f"<rowid:{name}>", str(HUGE))
        paths.append("/" + path)
    return paths


def test_every_ping_path_with_a_24_digit_id_is_a_404(ping):
    paths = _ping_paths_with_ids()
    assert len(paths) >= 8  # the router's detail routes and the group's device removal
    for path in paths:
        for method in ("get", "patch", "delete"):
            call = getattr(ping, method)
            response = call(path) if method in ("get", "delete") else call(path, {})
            assert response.status_code in (404, 405), (method, path, response.status_code)
            assert response.status_code != 405 or method != "get", path


def _list_path(viewset) -> str:
    for prefix, registered, _basename in router.registry:
        if registered is viewset:
            return f"/{prefix}/"
    raise AssertionError(viewset)


def _number_filters():
    import django_filters as df

    cases = []
    for _prefix, viewset, _basename in router.registry:
        filterset = getattr(viewset, "filterset_class", None)
        for name, declared in filterset.base_filters.items() if filterset else []:
            if isinstance(declared, df.NumberFilter):
                cases.append(pytest.param(viewset, name, id=f"{viewset.__name__}.{name}"))
    return cases


@pytest.mark.parametrize("value", [str(HUGE), str(-HUGE), "-7.3e+165"])
@pytest.mark.parametrize(("viewset", "name"), _number_filters())
def test_every_ping_number_filter_with_a_24_digit_value_is_a_400_naming_it(
    ping, viewset, name, value
):
    """Schemathesis's coverage phase sent ``device=-7.3e+165`` (an OverflowError on SQLite)."""
    response = ping.get(_list_path(viewset), {name: value})
    assert response.status_code == 400, response.content
    assert name in response.json()


def _integer_body_fields():
    cases = []
    for _prefix, viewset, _basename in router.registry:
        if not hasattr(viewset, "create") and not hasattr(viewset, "partial_update"):
            continue  # read-only
        for name, field in viewset.serializer_class().fields.items():
            if field.read_only:
                continue
            if isinstance(field, serializers.IntegerField | serializers.PrimaryKeyRelatedField):
                cases.append(pytest.param(viewset, name, HUGE, id=f"{viewset.__name__}.{name}"))
            elif isinstance(field, serializers.ListField) and isinstance(
                field.child, serializers.IntegerField
            ):
                cases.append(pytest.param(viewset, name, [HUGE], id=f"{viewset.__name__}.{name}"))
    return cases


@pytest.mark.parametrize(("viewset", "name", "value"), _integer_body_fields())
def test_every_ping_integer_body_field_with_a_24_digit_id_is_a_400_naming_it(
    ping, tracker, viewset, name, value
):
    from pulsebridge.dialects.ping.views import DeviceViewSet

    if viewset is DeviceViewSet:  # devices are not created through the API: change one
        response = ping.patch(f"{_list_path(viewset)}{tracker().pk}/", {name: value})
    else:
        response = ping.post(_list_path(viewset), {name: value})
    assert response.status_code == 400, response.content
    assert name in response.json()


def test_a_24_digit_id_in_a_groups_device_list_is_a_400(ping):
    group = ping.post("/1.0/customers/groups/", {"name": "Fleet"}).json()
    response = ping.post(f"/1.0/customers/groups/{group['id']}/devices/", {"devices": [HUGE]})
    assert response.status_code == 400
    assert "devices" in response.json()
