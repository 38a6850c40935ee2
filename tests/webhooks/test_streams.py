"""The worker's httpcore network backend on asyncio transports (webhooks/streams.py), against
real servers on 127.0.0.1: plain and TLS (a certificate made here), keep-alive, a connection
the server closed while idle, large answers, and every failure as httpcore's own exception."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import ssl

import httpcore
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from pulsebridge.webhooks.streams import AsyncioBackend

BODY = b'{"event": "x"}'


def _certificate(tmp_path, name: str = "receiver.example"):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(name), x509.IPAddress(ipaddress.ip_address("127.0.0.2"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_path, key_path)
    client = ssl.create_default_context(cafile=str(cert_path))
    return server, client


class Server:
    """An HTTP/1.1 server on asyncio streams; ``answer(n)`` gives the n-th request's answer as
    bytes, or None to close the connection without one."""

    def __init__(self, answer=None, tls: ssl.SSLContext | None = None, close_after: int = 0):
        self.answer = answer or (lambda n: b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
        self.tls = tls
        self.close_after = close_after  # close the connection after this many answers
        self.requests: list[bytes] = []
        self.connections = 0
        self.server_names: list[str | None] = []

    async def __aenter__(self) -> Server:
        if self.tls is not None:
            self.tls.sni_callback = lambda sock, name, ctx: self.server_names.append(name)
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.tls)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc) -> None:
        self._server.close()

    async def _serve(self, reader, writer) -> None:
        self.connections += 1
        answered = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (int(line[15:]) for line in head.split(b"\r\n")
                     if line[:15].lower() == b"content-length:"),
                    0,
                )  # fmt: skip
                body = await reader.readexactly(length)
                self.requests.append(head + body)
                answer = self.answer(len(self.requests))
                if answer is None:
                    break
                writer.write(answer)
                await writer.drain()
                answered += 1
                if self.close_after and answered >= self.close_after:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def _pool(tls: ssl.SSLContext | None = None) -> httpcore.AsyncConnectionPool:
    return httpcore.AsyncConnectionPool(
        ssl_context=tls, max_connections=1, network_backend=AsyncioBackend()
    )


async def _post(pool, url: str, timeout: float = 5.0, **extensions):
    extensions["timeout"] = dict.fromkeys(("connect", "read", "write", "pool"), timeout)
    return await pool.request(
        "POST", url, headers=[(b"Host", b"receiver.example")], content=BODY, extensions=extensions
    )


def test_requests_share_one_keep_alive_connection():
    async def main():
        async with Server() as server, _pool() as pool:
            for _ in range(5):
                response = await _post(pool, f"http://127.0.0.1:{server.port}/hook")
                assert (response.status, response.content) == (200, b"ok")
        assert server.connections == 1
        assert len(server.requests) == 5
        assert server.requests[0].endswith(b"\r\n\r\n" + BODY)

    asyncio.run(main())


def test_a_connection_the_server_closed_while_idle_is_not_reused():
    async def main():
        async with Server(close_after=1) as server, _pool() as pool:
            url = f"http://127.0.0.1:{server.port}/hook"
            assert (await _post(pool, url)).status == 200
            await asyncio.sleep(0.2)  # the server's close arrives while the connection is idle
            assert (await _post(pool, url)).status == 200
        assert server.connections == 2

    asyncio.run(main())


def test_a_large_answer_is_read_whole():
    big = bytes(range(256)) * 8192  # 2 MiB: more than the read buffer holds before pausing

    def answer(n):
        return b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % len(big) + big

    async def main():
        async with Server(answer) as server, _pool() as pool:
            response = await _post(pool, f"http://127.0.0.1:{server.port}/hook")
            assert response.content == big

    asyncio.run(main())


def test_tls_with_the_server_name_given_apart_from_the_address(tmp_path):
    """As the worker pins a request: connect to the address checked, verify and send SNI for
    the URL's own name."""
    server_tls, client_tls = _certificate(tmp_path)

    async def main():
        async with Server(tls=server_tls) as server, _pool(client_tls) as pool:
            url = f"https://127.0.0.1:{server.port}/hook"
            response = await _post(pool, url, sni_hostname="receiver.example")
            assert (response.status, response.content) == (200, b"ok")
            response = await _post(pool, url, sni_hostname="receiver.example")
            assert response.status == 200
        assert server.server_names[0] == "receiver.example"
        assert server.connections == 1

    asyncio.run(main())


def test_a_certificate_for_another_name_is_refused(tmp_path):
    server_tls, client_tls = _certificate(tmp_path)

    async def main():
        async with Server(tls=server_tls) as server, _pool(client_tls) as pool:
            with pytest.raises(httpcore.ConnectError, match="certificate"):
                await _post(
                    pool, f"https://127.0.0.1:{server.port}/hook", sni_hostname="other.example"
                )
        assert server.requests == []

    asyncio.run(main())


def test_a_refused_connection_is_a_connect_error():
    async def main():
        async with Server() as server:
            port = server.port
        await asyncio.sleep(0.05)
        async with _pool() as pool:
            with pytest.raises(httpcore.ConnectError):
                await _post(pool, f"http://127.0.0.1:{port}/hook")

    asyncio.run(main())


def test_a_receiver_that_does_not_answer_is_a_read_timeout():
    async def main():
        never = asyncio.Event()

        async def hang(reader, writer):
            await never.wait()

        server = await asyncio.start_server(hang, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            async with _pool() as pool:
                with pytest.raises(httpcore.ReadTimeout):
                    await _post(pool, f"http://127.0.0.1:{port}/hook", timeout=0.2)
        finally:
            never.set()
            server.close()

    asyncio.run(main())


def test_a_connection_closed_without_an_answer_is_a_protocol_error():
    async def main():
        async with Server(lambda n: None) as server, _pool() as pool:
            with pytest.raises(httpcore.RemoteProtocolError):
                await _post(pool, f"http://127.0.0.1:{server.port}/hook")

    asyncio.run(main())


def test_a_connection_reset_mid_answer_is_an_error():
    async def main():
        async def reset(reader, writer):
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial")
            await writer.drain()
            sock = writer.get_extra_info("socket")
            sock.setsockopt(
                __import__("socket").SOL_SOCKET,
                __import__("socket").SO_LINGER,
                b"\x01\x00\x00\x00\x00\x00\x00\x00",
            )
            writer.close()

        server = await asyncio.start_server(reset, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            async with _pool() as pool:
                with pytest.raises((httpcore.ReadError, httpcore.RemoteProtocolError)):
                    await _post(pool, f"http://127.0.0.1:{port}/hook")
        finally:
            server.close()

    asyncio.run(main())
