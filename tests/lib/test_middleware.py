"""release_rendered_responses: a DRF response is freed when the server lets go of it, not at the
cycle collector's next full pass."""

import gc
import io
import weakref

import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings
from rest_framework.test import APIClient

RELEASE = "pulsebridge.lib.middleware.release_rendered_responses"


def serve_once(handler: WSGIHandler, key: str):
    """What a WSGI server does for ``GET /pylo/devices``: call, read, close. Returns the status,
    the body and a weak reference to the response, with no strong reference left here."""
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/pylo/devices",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_X_API_KEY": key,
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
    }
    status = []
    result = handler(environ, lambda s, headers, exc_info=None: status.append(s))
    body = b"".join(result)
    result.close()
    ref = weakref.ref(result)
    del result
    return status[0], body, ref


@pytest.fixture
def no_collector():
    gc.collect()
    gc.disable()
    yield
    gc.enable()


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """As Django's test client does: the server's "close old connections" at the start and the
    end of a request would close the connection the test's transaction lives on."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_a_served_response_is_freed_by_its_last_reference(
    alice, make_key, add_device, no_collector
):
    add_device(alice, imei="356000000000001")
    status, body, response = serve_once(WSGIHandler(), make_key(alice, "pylo"))
    assert status.startswith("200")
    assert b'"device_imei":"356000000000001"' in body
    assert response() is None  # freed at once, with the page it carried


def test_without_it_drf_leaves_the_response_to_the_cycle_collector(
    alice, make_key, add_device, no_collector
):
    """Why the middleware is there: DRF's renderer context holds the response and the view, and
    the view holds the response."""
    add_device(alice, imei="356000000000001")
    without = [name for name in settings.MIDDLEWARE if name != RELEASE]
    with override_settings(MIDDLEWARE=without):
        status, _, response = serve_once(WSGIHandler(), make_key(alice, "pylo"))
    assert status.startswith("200")
    assert response() is not None
    gc.collect()
    assert response() is None


def test_the_test_client_still_reads_the_data(alice, make_key, add_device):
    add_device(alice, imei="356000000000001")
    client = APIClient(headers={"x-api-key": make_key(alice, "pylo")})
    response = client.get("/pylo/devices")
    assert response.data["count"] == 1
    assert response.renderer_context == {}  # released: the bytes are rendered
