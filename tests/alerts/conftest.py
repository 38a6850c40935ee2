import pytest


@pytest.fixture(autouse=True)
def _private_receivers(settings):
    """The tests' receivers listen on 127.0.0.1."""
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
