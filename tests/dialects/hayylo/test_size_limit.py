"""The 6 MB limit: a body of exactly 6 MiB is accepted, one byte more is 413, refused from its
Content-Length before it is read, or while a chunked body is read, as soon as it grows past."""

import io
import json

import pytest
from django.test import RequestFactory

from pulsebridge.dialects.hayylo.views import InboundView
from tests.care import examples

LIMIT = 6 * 1024 * 1024


def body_of(size: int) -> bytes:
    """A valid wrapper of exactly ``size`` bytes (padded inside a record)."""
    record = examples.client(address="")
    base = json.dumps(examples.wrapper("client", [record])).encode()
    record["address"] = "x" * (size - len(base))
    body = json.dumps(examples.wrapper("client", [record])).encode()
    assert len(body) == size
    return body


def test_the_limit_is_six_mebibytes(settings):
    assert settings.HAYYLO_MAX_BODY_BYTES == LIMIT


def test_a_body_of_exactly_6_mb_is_accepted(hayylo):
    response = hayylo.post(body_of(LIMIT))
    assert response.status_code == 202


def test_a_body_one_byte_over_6_mb_is_413(hayylo):
    response = hayylo.post(body_of(LIMIT + 1))
    assert response.status_code == 413
    message = response.json()["message"]
    assert message.startswith("Payload Too Large")
    assert "6,291,457 bytes" in message
    assert "6,291,456" in message


class Unreadable(io.RawIOBase):
    def read(self, *args):
        raise AssertionError("the body was read")


class Counting(io.BytesIO):
    def __init__(self, data):
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


def call(request):
    response = InboundView.as_view()(request)
    return response.status_code, response.data["message"]


def test_a_declared_length_over_6_mb_is_refused_without_reading_the_body(hayylo):
    request = RequestFactory().post(
        "/hayylo/inbound", b"{}", content_type="application/json", HTTP_X_API_KEY=hayylo.key
    )
    request.META["CONTENT_LENGTH"] = str(50 * 1024 * 1024)
    request._stream = Unreadable()
    request.META["wsgi.input"] = Unreadable()
    status, message = call(request)
    assert status == 413
    assert "52,428,800 bytes" in message


def chunked(hayylo, body: bytes):
    request = RequestFactory().post(
        "/hayylo/inbound", b"", content_type="application/json", HTTP_X_API_KEY=hayylo.key
    )
    request.META.pop("CONTENT_LENGTH", None)
    request.META["HTTP_TRANSFER_ENCODING"] = "chunked"
    request.META["CONTENT_TYPE"] = "application/json"
    request.META["wsgi.input"] = stream = Counting(body)
    return request, stream


def test_a_chunked_body_is_refused_as_soon_as_it_grows_past_6_mb(hayylo):
    request, stream = chunked(hayylo, b" " * (20 * 1024 * 1024))
    status, message = call(request)
    assert status == 413
    assert "the body is more than 6,291,456 bytes" in message
    assert stream.bytes_read == LIMIT + 1  # and not a byte more


def test_a_chunked_body_under_6_mb_is_accepted(hayylo):
    request, _ = chunked(hayylo, body_of(LIMIT))
    status, _ = call(request)
    assert status == 202


@pytest.mark.parametrize("length", ["abc", "-1"])
def test_a_content_length_that_is_no_length_is_400(hayylo, length):
    request = RequestFactory().post(
        "/hayylo/inbound", b"{}", content_type="application/json", HTTP_X_API_KEY=hayylo.key
    )
    request.META["CONTENT_LENGTH"] = length
    status, message = call(request)
    assert status == 400
    assert "Content-Length" in message
