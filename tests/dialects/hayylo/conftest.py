import json

import pytest


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


class HayyloClient:
    """Alice's (or Charlie's) sender: ``post(body)`` with a dict (sent as JSON) or raw text."""

    def __init__(self, client, key):
        self.client = client
        self.key = key

    def post(self, body, content_type="application/json", path="/hayylo/inbound", **headers):
        headers.setdefault("HTTP_X_API_KEY", self.key)
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        return self.client.post(path, data, content_type=content_type, **headers)

    def get(self, path, **headers):
        headers.setdefault("HTTP_X_API_KEY", self.key)
        return self.client.get(path, **headers)

    def report(self, batch_id):
        response = self.get(f"/hayylo/inbound/{batch_id}")
        assert response.status_code == 200, response.content
        return response.json()


@pytest.fixture
def hayylo(client, alice, make_key):
    return HayyloClient(client, make_key(alice, "hayylo"))


@pytest.fixture
def charlie_hayylo(client, charlie, make_key):
    return HayyloClient(client, make_key(charlie, "hayylo"))


@pytest.fixture
def worker(settings, django_capture_on_commit_callbacks):
    """Runs the import the way the background worker would, right after the request commits:
    ``with worker(): hayylo.post(...)``."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run
