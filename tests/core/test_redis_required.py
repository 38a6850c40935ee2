"""A Redis test never skips silently under CI: .ci/run starts Redis, and its absence fails."""

import socket

import pytest

from tests import conftest
from tests.core.conftest import require_redis


@pytest.fixture
def redis_down(monkeypatch):
    def refused(*args, **kwargs):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(socket, "create_connection", refused)


def test_without_redis_a_redis_test_fails_under_ci(redis_down, monkeypatch):
    monkeypatch.setattr(conftest, "IN_CI", True)
    with pytest.raises(pytest.fail.Exception, match=r"no Redis .*CI=true"):
        require_redis()


def test_without_redis_a_redis_test_skips_on_a_developers_machine(redis_down, monkeypatch):
    monkeypatch.setattr(conftest, "IN_CI", False)
    with pytest.raises(pytest.skip.Exception, match="no Redis"):
        require_redis()


def test_with_redis_running_nothing_is_skipped():
    require_redis()  # .ci/run starts Redis when it is down; here it must be up
