import pytest

GATEWAY = "0A1B2C3D4E5F"
IMEI = "359423381882621"


@pytest.fixture
def tenovi(client, alice, make_key):
    """Alice's Tenovi client on her own client domain. The key's plan allows many requests a
    second: only the rate-limit test uses Tenovi's default of one."""
    return TenoviClient(client, make_key(alice, "tenovi", rate_per_second=10_000), alice.code)


@pytest.fixture
def charlie_tenovi(client, charlie, make_key):
    return TenoviClient(client, make_key(charlie, "tenovi", rate_per_second=10_000), charlie.code)


@pytest.fixture
def gateway(alice, add_device):
    return add_device(alice, "TENOVI-GW", serial=GATEWAY)


class TenoviClient:
    """``tenovi.get("hwi/hwi-devices/")`` requests ``/tenovi/clients/<domain>/hwi/hwi-devices/``
    with ``Authorization: Api-Key <key>``."""

    def __init__(self, client, key, domain):
        self.client = client
        self.key = key
        self.domain = domain

    def url(self, path: str, domain: str | None = None) -> str:
        return f"/tenovi/clients/{domain or self.domain}/{path}"

    def _call(self, method, path, body=None, *, domain=None, **headers):
        headers.setdefault("HTTP_AUTHORIZATION", f"Api-Key {self.key}")
        kwargs = {"content_type": "application/json"} if body is not None else {}
        return getattr(self.client, method)(self.url(path, domain), body, **kwargs, **headers)

    def get(self, path, *, domain=None, **headers):
        headers.setdefault("HTTP_AUTHORIZATION", f"Api-Key {self.key}")
        return self.client.get(self.url(path, domain), **headers)

    def post(self, path, body, **kwargs):
        return self._call("post", path, body, **kwargs)

    def put(self, path, body, **kwargs):
        return self._call("put", path, body, **kwargs)

    def patch(self, path, body, **kwargs):
        return self._call("patch", path, body, **kwargs)

    def delete(self, path, **kwargs):
        return self._call("delete", path, **kwargs)

    def activate(self, name="Tenovi BPM - L", hardware_uuid=GATEWAY, patient="P-1", **extra):
        body = {"device": {"name": name, "hardware_uuid": hardware_uuid}}
        if patient is not None:
            body["patient"] = {"external_id": patient} if isinstance(patient, str) else patient
        for key, value in extra.items():
            if key in ("fulfillment_request", "sensor_id", "meta_data"):
                body["device"][key] = value
            else:
                body[key] = value
        response = self.post("hwi/hwi-devices/", body)
        assert response.status_code == 201, response.content
        return response.json()


@pytest.fixture
def reading(alice):
    """Store one reading through the core, as the ingest API would; its outcome id."""
    from pulsebridge.ingest.readings import record_items as record_measurements

    def store(item, company=alice):
        [outcome] = record_measurements(company, [item])
        assert outcome.status == "created", outcome.as_dict()
        return outcome.id

    return store


def bp(at="2025-03-01T08:00:00Z", **ref):
    """A blood pressure reading from the gateway's cuff (sensor code 10) unless told."""
    ref = ref or {"gateway_id": GATEWAY, "sensor_code": "10"}
    return {
        "kind": "blood_pressure",
        "measured_at": at,
        "values": {"systolic": 128, "diastolic": 82, "pulse": 71},
        "battery": 88,
        **ref,
    }
