import pytest


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Documents go to a folder of the test's own, not to var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def load(alice):
    """Import records as the worker does (without a batch); the outcome."""
    from pulsebridge.care.importer import import_records

    def load(schema_type, records, company=alice):
        return import_records(company, schema_type, list(records))

    return load


@pytest.fixture
def errors_of():
    """The outcome's errors as {index: message}."""

    def errors_of(outcome):
        return {e["index"]: e["message"] for e in outcome.errors}

    return errors_of
