"""The bad-input corpus (issue 16 §2): every API route of the URL configuration, every method
its view answers, sent each family of crafted input with the dialect's real credentials on a
world of real objects. Each is a 4xx in the dialect's own error shape, never a 500 or Django's
HTML page, and changes no row of any table.

Families refused wherever they are sent (the body is parsed, and refused, even by a view that
would not read it): nesting 100,000 deep, a lone surrogate, a NUL, ``1e400``, a 400-digit
integer, an integer beyond 64 bits in every field the dialects know, a body over the limit; and
on every method, a query string over the limit and a Host not served. Families of the wrong JSON
type (an array or an object where a field wants a scalar, a bare string as the body) may be
accepted where the field is not read (each dialect's rule on unknown fields,
docs/compatibility.md); when refused, the same rules hold."""

from __future__ import annotations

import pytest
from django.test import Client

from .corpus import PAGES, api_routes, build_world, changed, field_names, is_shaped, json_of, settle
from .corpus import row_counts as counts
from .corpus import rows as all_rows

pytestmark = pytest.mark.django_db

WITH_BODY = ("POST", "PUT", "PATCH")
LIMIT = 4096  # the body limit, lowered for the test: the refusal is the same at 2 MiB


def _every_field(raw_value: str) -> bytes:
    """A JSON object with ``raw_value`` (JSON text) in every field name the dialects know."""
    return ("{" + ",".join(f'"{name}":{raw_value}' for name in field_names()) + "}").encode()


REFUSED = {
    "nested arrays": b"[" * 100_000,
    "nested objects": b'{"a":' * 100_000,
    "lone surrogate": _every_field('"\\ud800"'),
    "NUL": _every_field('"a\\u0000b"'),
    "1e400": _every_field("1e400"),
    "400-digit integer": _every_field("1" + "0" * 399),
    "integer beyond 64 bits": _every_field(str(2**64)),
    "over the size limit": b'{"name": "' + b"x" * LIMIT + b'"}',
}
WRONG_TYPE = {
    "arrays": _every_field('["x"]'),
    "objects": _every_field('{"a": 1}'),
    "a bare string": b'"x"',
    "an array of arrays": b'[["x"]]',
}


@pytest.fixture
def world(alice, bob, make_key, settings, tmp_path):
    settle(settings, tmp_path)
    world = build_world(alice, bob, make_key, "11")
    settings.API_MAX_BODY_BYTES = settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT
    settings.HAYYLO_MAX_BODY_BYTES = LIMIT
    return world


def _send(client, method, path, body, headers, **extra):
    kwargs = {"content_type": "application/json"} if body is not None else {}
    return client.generic(method, path, body or b"", **kwargs, **headers, **extra)


class Judge:
    """Looks at each answer: a 4xx in the dialect's shape that changed no row, or an accepted
    request (whose changes become the new baseline); collects what is wrong."""

    def __init__(self):
        self.failures: list[str] = []
        self.sent = 0

    def __call__(self, route, method, family, response, before, must_refuse):
        self.sent += 1
        where = f"{method} /{route.pattern} [{family}]"
        code = response.status_code
        if code >= 500:
            self.failures.append(f"{where}: {code} {response.content[:200]!r}")
            return counts()
        if route.pattern in PAGES and code < 400:
            return counts()  # a sign-in or consent page shown again, with the form's errors
        if code < 400:
            if must_refuse:
                self.failures.append(f"{where}: {code}, expected a refusal")
            return counts()  # accepted: what it changed is the new baseline
        if not is_shaped(route.prefix, route.pattern, json_of(response)):
            self.failures.append(
                f"{where}: {code} not in the dialect's shape: {response.content[:200]!r}"
            )
        after = counts()
        if changed(before, after):
            self.failures.append(f"{where}: {code} but rows changed in {changed(before, after)}")
        return after


def _send_every_family(client, judge, route, method, path, headers, before):
    """Every family to one route and method; whether every wrongly typed body was refused,
    and the row counts after."""
    response = _send(client, method, f"{path}?q={'x' * 5000}", None, headers)
    if response.status_code != 414:
        judge.failures.append(f"{method} /{route.pattern} [long query]: {response.status_code}")
    before = judge(route, method, "long query", response, before, True)
    response = _send(client, method, path, None, headers, HTTP_HOST="evil.example")
    before = judge(route, method, "wrong Host", response, before, True)
    refused_all = True
    if method not in WITH_BODY:
        return refused_all, before
    for family, body in REFUSED.items():
        response = _send(client, method, path, body, headers)
        too_large = response.status_code in (401, 413) or route.pattern in PAGES
        if family == "over the size limit" and not too_large:
            judge.failures.append(f"{method} /{route.pattern} [{family}]: {response.status_code}")
        before = judge(route, method, family, response, before, True)
    for family, body in WRONG_TYPE.items():
        response = _send(client, method, path, body, headers)
        refused_all &= response.status_code >= 400
        before = judge(route, method, family, response, before, False)
    return refused_all, before


def test_every_route_refuses_every_crafted_input_in_its_own_shape(world):
    client = Client(raise_request_exception=False)
    judge = Judge()
    for route in api_routes():
        path = route.path(world.values(route))
        headers = world.headers(route.prefix, route.pattern)
        snapshot = all_rows()
        before = counts()
        refused_all = True
        for method in route.methods:
            if method == "HEAD":
                continue
            refused, before = _send_every_family(
                client, judge, route, method, path, headers, before
            )
            refused_all &= refused
        if refused_all:
            where = f"/{route.pattern}"
            judge.failures.extend(
                f"{where}: rows of {t} changed" for t in changed(snapshot, all_rows())
            )

    assert judge.sent > 500
    assert not judge.failures, "\n".join(judge.failures)
