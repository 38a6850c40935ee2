"""A server process remembers verified keys for a few seconds; changes made in the process
itself are seen at once."""

import pytest

from pulsebridge.core import apikeys
from pulsebridge.core.apikeys import create_api_key, find_api_key, revoke_api_key

pytestmark = pytest.mark.django_db


def test_a_verified_key_is_found_again_without_a_query(alice, django_assert_num_queries):
    key = create_api_key(alice, "ingest").key
    assert find_api_key(key, "ingest") is not None
    with django_assert_num_queries(0):
        assert find_api_key(key, "ingest").company == alice


def test_a_wrong_secret_is_never_answered_from_memory(alice):
    key = create_api_key(alice, "ingest").key
    assert find_api_key(key, "ingest") is not None
    forged = key[:-4] + ("aaaa" if not key.endswith("aaaa") else "bbbb")
    assert find_api_key(forged, "ingest") is None


def test_revoking_in_this_process_takes_effect_at_once(alice):
    issued = create_api_key(alice, "ingest")
    assert find_api_key(issued.key, "ingest") is not None
    revoke_api_key(issued.api_key.lookup)
    assert find_api_key(issued.key, "ingest") is None


def test_a_plan_change_is_seen_at_once(alice):
    issued = create_api_key(alice, "ingest", rate_per_second=5)
    assert find_api_key(issued.key, "ingest").plan.rate_per_second == 5
    plan = issued.api_key.plan
    plan.rate_per_second = 7
    plan.save()
    assert find_api_key(issued.key, "ingest").plan.rate_per_second == 7


def test_a_change_made_elsewhere_is_seen_when_the_memory_expires(alice, settings, monkeypatch):
    from pulsebridge.core.models import ApiKey

    issued = create_api_key(alice, "ingest")
    clock = [1000.0]
    monkeypatch.setattr(apikeys.time, "monotonic", lambda: clock[0])
    assert find_api_key(issued.key, "ingest") is not None
    # another process revokes it: no signal reaches this one
    ApiKey.objects.filter(pk=issued.api_key.pk).update(revoked_at="2026-01-01T00:00:00Z")
    assert find_api_key(issued.key, "ingest") is not None
    clock[0] += settings.API_KEY_CACHE_SECONDS + 0.1
    assert find_api_key(issued.key, "ingest") is None


def test_the_memory_can_be_turned_off(alice, settings, django_assert_num_queries):
    settings.API_KEY_CACHE_SECONDS = 0
    key = create_api_key(alice, "ingest").key
    find_api_key(key, "ingest")
    with django_assert_num_queries(1):
        assert find_api_key(key, "ingest") is not None
