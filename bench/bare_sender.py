"""P5's ceilings: the same POSTs a webhook worker sends, with none of the worker's own work (no
claim, no signing, no recording), from one process, so that P5 is read as a ratio to them.

``python -m bench.bare_sender MODE COUNT PER_URL URL [URL ...]`` sends COUNT POSTs of a
700-byte body spread over the URLs, PER_URL in flight on each, one keep-alive pool per URL (as
the worker's ``Clients``), then prints a JSON line with its CPU time. MODE:

- ``httpcore``: ``httpcore.AsyncConnectionPool.request`` in a loop, one pool of one connection
  per request in flight (as the worker's ``Clients``): the library the worker sends with; its
  ratio is what the worker's own work (claiming, signing, recording) costs;
- ``httpx``: ``httpx.AsyncClient.post`` in a loop: what httpx's layers over httpcore would cost
  (the worker sent with it until session 22);
- ``streams``: the ``httpcore`` loop on the worker's own network backend
  (``pulsebridge.webhooks.streams``, asyncio's transports instead of anyio's streams): the
  ceiling of the stack the worker sends with since it has one, so its ratio is the worker's own
  work alone (skipped, with ``"missing"``, for a tree without it);
- ``raw``: HTTP/1.1 written and read on asyncio streams by hand, no library: what the loopback,
  the event loop and the receiver allow; httpx over raw is the library's share.

The bench counts the rate at the receiver, first to last arrival, as it does for the worker."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from urllib.parse import urlsplit

BODY = json.dumps({"event": "DEVICE_MEASUREMENT", "data": "x" * 640, "signature": "0" * 64})
HEADERS = {
    "content-type": "application/json",
    "webhook-id": "msg_" + "0" * 32,
    "webhook-timestamp": "1700000000",
    "webhook-signature": "v1," + "0" * 44,
    "user-agent": "Pulsebridge-Webhooks/1",
}


async def with_httpx(count: int, per_url: int, urls: list[str]) -> None:
    import httpx

    left = [count]

    async def loop(client: httpx.AsyncClient, url: str) -> None:
        while left[0] > 0:
            left[0] -= 1
            response = await client.post(url, content=BODY.encode(), headers=HEADERS)
            await response.aread()

    clients = [
        httpx.AsyncClient(
            limits=httpx.Limits(max_connections=per_url, max_keepalive_connections=per_url),
            trust_env=False,
            timeout=30,
        )
        for _ in urls
    ]
    try:
        await asyncio.gather(
            *(loop(c, u) for c, u in zip(clients, urls, strict=True) for _ in range(per_url))
        )
    finally:
        for client in clients:
            await client.aclose()


async def with_httpcore(
    count: int, per_url: int, urls: list[str], backend_of_the_worker: bool = False
) -> None:
    import httpcore

    backend = None
    if backend_of_the_worker:
        from pulsebridge.webhooks.streams import AsyncioBackend

        backend = AsyncioBackend()

    left = [count]
    body = BODY.encode()
    headers = [(k.encode(), v.encode()) for k, v in HEADERS.items()]
    timeout = {"timeout": dict.fromkeys(("connect", "read", "write", "pool"), 30.0)}

    async def loop(pool: httpcore.AsyncConnectionPool, url: str) -> None:
        while left[0] > 0:
            left[0] -= 1
            await pool.request("POST", url, headers=headers, content=body, extensions=timeout)

    targets = [url for url in urls for _ in range(per_url)]
    pools = [
        httpcore.AsyncConnectionPool(max_connections=1, network_backend=backend) for _ in targets
    ]
    try:
        await asyncio.gather(*(loop(p, u) for p, u in zip(pools, targets, strict=True)))
    finally:
        for pool in pools:
            await pool.aclose()


async def raw(count: int, per_url: int, urls: list[str]) -> None:
    left = [count]
    body = BODY.encode()

    async def loop(url: str) -> None:
        parts = urlsplit(url)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        head = f"POST {parts.path} HTTP/1.1\r\nhost: {parts.netloc}\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in HEADERS.items()
        )
        request = (head + f"content-length: {len(body)}\r\n\r\n").encode() + body
        try:
            while left[0] > 0:
                left[0] -= 1
                writer.write(request)
                answer = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in answer.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                if length:
                    await reader.readexactly(length)
        finally:
            writer.close()

    await asyncio.gather(*(loop(u) for u in urls for _ in range(per_url)))


def main(argv: list[str]) -> int:
    mode, count, per_url, urls = argv[0], int(argv[1]), int(argv[2]), argv[3:]
    t0, c0 = time.perf_counter(), time.process_time()
    if mode == "streams":
        try:
            import pulsebridge.webhooks.streams  # noqa: F401
        except ImportError:  # a tree from before it (--src)
            print(json.dumps({"mode": mode, "missing": True}))
            return 0
    send = {
        "httpx": with_httpx,
        "httpcore": with_httpcore,
        "streams": lambda *a: with_httpcore(*a, backend_of_the_worker=True),
        "raw": raw,
    }[mode]
    asyncio.run(send(count, per_url, urls))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"mode": mode, "sent": count, "seconds": wall, "cpu_seconds": cpu}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
