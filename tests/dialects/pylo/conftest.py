import pytest


@pytest.fixture
def pylo(client, alice, make_key):
    """Alice's Pylo client: ``pylo.get(path)``, ``pylo.post(path, body)``..."""
    return PyloClient(client, make_key(alice, "pylo"))


@pytest.fixture
def charlie_pylo(client, charlie, make_key):
    return PyloClient(client, make_key(charlie, "pylo"))


class PyloClient:
    def __init__(self, client, key):
        self.client = client
        self.key = key

    def _call(self, method, path, body=None, **headers):
        headers.setdefault("HTTP_X_API_KEY", self.key)
        kwargs = {"content_type": "application/json"} if body is not None else {}
        return getattr(self.client, method)(f"/pylo{path}", body, **kwargs, **headers)

    def get(self, path, **headers):
        return self.client.get(f"/pylo{path}", **{"HTTP_X_API_KEY": self.key, **headers})

    def post(self, path, body, **headers):
        return self._call("post", path, body, **headers)

    def put(self, path, body=None, **headers):
        return self._call("put", path, body if body is not None else {}, **headers)

    def patch(self, path, body, **headers):
        return self._call("patch", path, body, **headers)


@pytest.fixture
def record(alice):
    """Store readings through the core, as the ingest API would."""
    from pulsebridge.ingest.readings import record_items as record_measurements

    def store(items, company=alice):
        outcomes = record_measurements(company, items)
        assert all(o.status == "created" for o in outcomes), [o.as_dict() for o in outcomes]
        return [o.id for o in outcomes]

    return store
