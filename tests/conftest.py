"""Shared personas: Alice's company owns the data, Bob is Alice's colleague, Charlie's company
must see none of it."""

from __future__ import annotations

import json
import os
from io import StringIO

import pytest

os.environ.setdefault("WEBHOOK_ALLOW_PRIVATE_NETWORKS", "true")
# One key for this process and every server and worker it starts (each with a var directory of
# its own, which would otherwise make a key of its own): they share the database.
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "X8XyNf9oJ0b5a6pD3HjMtwT4k7eF1cVqZ2sR9uLgYhE=")


def _redis_of_this_worker(url: str, worker: str) -> str:
    """``url`` with the Redis database number moved by the xdist worker's index (gw0: the same,
    gw1: the next...): tests clear the cache between them, and django-redis's ``clear()`` is a
    FLUSHDB of the whole database, so two workers sharing one wiped each other's lockout counts
    and rate buckets mid-test."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{base + int(worker.removeprefix('gw'))}"))


if os.environ.get("REDIS_URL") and os.environ.get("PYTEST_XDIST_WORKER", "").startswith("gw"):
    # for the servers and workers the tests start, and for this process, whose settings
    # pytest-django has loaded by now (before any cache was opened)
    os.environ["REDIS_URL"] = _redis_of_this_worker(
        os.environ["REDIS_URL"], os.environ["PYTEST_XDIST_WORKER"]
    )
    from django.conf import settings as _settings

    _settings.REDIS_URL = os.environ["REDIS_URL"]
    _settings.CACHES["default"]["LOCATION"] = os.environ["REDIS_URL"]

# Under CI a service the tests need (Redis, Chromium) must be there: its absence fails the test
# instead of skipping it, so that a skip never hides a failure.
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing_service(message: str):
    """Skip the test on a developer's machine without the service; fail it under CI."""
    if IN_CI:
        pytest.fail(f"{message} (CI=true: every service must be running)", pytrace=False)
    pytest.skip(message)


DB_FIXTURES = ("db", "transactional_db", "live_server", "django_db_reset_sequences")
# A test that starts a real server (a loopback webhook receiver, Django's live server) is
# ``live`` whether or not its module says so: `-m "not live"` is the loop without sockets, and
# .ci/run runs them all.
LIVE_FIXTURES = {"receiver", "receiver_factory", "live_server"}


def pytest_collection_modifyitems(items):
    for item in items:
        if LIVE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.live)


@pytest.fixture(scope="session")
def django_db_setup(
    request,
    django_test_environment,
    django_db_blocker,
    django_db_use_migrations,
    django_db_keepdb,
    django_db_createdb,
    django_db_modify_db_settings,
):
    """pytest-django's fixture, with the database copied from a template migrated once
    (tests/testdb.py) instead of migrated again in every worker on every run."""
    if not django_db_use_migrations:
        pytest.fail("--nomigrations: the test database is always migrated (tests/testdb.py)")
    from tests import testdb

    workerinput = getattr(request.config, "workerinput", {})
    run_id = workerinput.get("testrunuid") or str(os.getpid())
    with django_db_blocker.unblock():
        connection, old_name = testdb.setup(run_id, rebuild=django_db_createdb)
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            connection.creation.destroy_test_db(old_name, verbosity=0)


# Every test's Client loads the middleware anew, and WhiteNoise's, not refreshing, lists every
# static file of every app when it is made (54,000 files looked at for 290 clients: a tenth of
# the suite's CPU). Refreshing, it finds a file when one is asked for. The served server (live,
# browser and serve tests) keeps the production setting.
@pytest.fixture(autouse=True, scope="session")
def _static_files_found_when_asked():
    from django.test.utils import override_settings

    with override_settings(WHITENOISE_AUTOREFRESH=True):
        yield


# A password hashed with argon2 costs tens of milliseconds of CPU and 100 MB of memory: that is
# its purpose, and it was a large share of the suite's time (every persona has a password).
# Tests hash with MD5; the production hashers still verify, and a test that asserts what
# production hashes with is marked ``production_hashers``.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashes():
    from django.conf import settings
    from django.test.utils import override_settings

    with override_settings(PASSWORD_HASHERS=[*FAST_HASHERS, *settings.PASSWORD_HASHERS]):
        yield


@pytest.fixture(autouse=True)
def _production_hashers(request):
    if request.node.get_closest_marker("production_hashers") is None:
        return
    from django.conf import settings

    production = [h for h in settings.PASSWORD_HASHERS if h not in FAST_HASHERS]
    request.getfixturevalue("settings").PASSWORD_HASHERS = production


@pytest.fixture(autouse=True)
def _forget_verified_keys():
    """Rolling a test's transaction back sends no signal: start each test with no key
    remembered from another."""
    from pulsebridge.core.apikeys import forget_verified_keys

    forget_verified_keys()


@pytest.fixture(autouse=True)
def _catalogue(request):
    """Transactional tests flush every table when they end, the seeded device catalogue
    included; put it back for whichever test comes next."""
    used = [name for name in DB_FIXTURES if name in request.fixturenames]
    marker = request.node.get_closest_marker("django_db")
    if not used and marker is None:
        return
    if "transactional_db" in used or "live_server" in used:
        request.getfixturevalue("transactional_db")
    elif used:
        request.getfixturevalue(used[0])
    else:
        transactional = marker.kwargs.get("transaction", False)
        request.getfixturevalue("transactional_db" if transactional else "db")
    from pulsebridge.devices.catalogue import CATALOGUE, seed_catalogue
    from pulsebridge.devices.models import DeviceModel

    if DeviceModel.objects.count() < len(CATALOGUE):
        from django.apps import apps

        seed_catalogue(apps, None)


@pytest.fixture
def alice(db):
    from pulsebridge.core.models import Company

    return Company.objects.create(
        code="alice-care", name="Alice Care", instance_id="100", alert_email="ops@alice.example"
    )


@pytest.fixture
def charlie(db):
    from pulsebridge.core.models import Company

    return Company.objects.create(code="charlie-health", name="Charlie Health", instance_id="200")


@pytest.fixture
def bob(alice):
    from django.contrib.auth import get_user_model

    from pulsebridge.core.models import Membership

    user = get_user_model().objects.create_user("bob", password="correct horse battery staple")
    Membership.objects.create(user=user, company=alice)
    return user


@pytest.fixture
def make_key(db):
    from django.core.cache import cache

    from pulsebridge.core.apikeys import create_api_key

    cache.clear()  # rate-limit buckets are keyed by key and second; start every test empty

    def make(company, dialect, **options):
        return create_api_key(company, dialect, **options).key

    return make


@pytest.fixture
def add_device(db):
    from pulsebridge.devices.services import add_device as add

    counter = iter(range(100_000_000_000_000, 999_999_999_999_999))

    def make(company, sku="PY-802-LTE", **options):
        if "imei" not in options and "serial" not in options:
            options["imei"] = str(next(counter))
        return add(company, sku, **options)

    return make


@pytest.fixture
def run(db):
    """Run a ``pulsebridge`` command in-process, as an operator's script would; its stdout as
    text (CommandError propagates)."""

    def run(*args: str) -> str:
        out, err = StringIO(), StringIO()
        from django.core.management import call_command

        call_command(*args, stdout=out, stderr=err)
        return out.getvalue()

    return run


@pytest.fixture
def run_json(run):
    """Run a command with ``--json``; stdout must be exactly one JSON object."""

    def run_json(*args: str) -> dict:
        output = run(*args, "--json")
        parsed = json.loads(output)
        assert isinstance(parsed, dict)
        return parsed

    return run_json


@pytest.fixture
def reload_urls(settings):
    """``reload_urls(enabled)``: the URL conf built again with ``ADMIN_ENABLED`` so (it is read
    when the URL conf is imported); put back as it was after the test."""
    import importlib

    from django.urls import clear_url_caches

    import pulsebridge.urls

    def reload(enabled: bool):
        settings.ADMIN_ENABLED = enabled
        importlib.reload(pulsebridge.urls)
        clear_url_caches()

    yield reload
    settings.ADMIN_ENABLED = False
    importlib.reload(pulsebridge.urls)
    clear_url_caches()
