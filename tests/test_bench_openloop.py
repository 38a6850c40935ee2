"""The bench's open-loop load generator (bench/openloop.py) against a real server on loopback:
every request answered, and the collector out of the run and back after it."""

import asyncio
import gc

from bench import openloop

ANSWER = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"


def test_open_loop_answers_every_request_with_the_collector_kept_out_of_the_run():
    seen_during_run = []

    async def serve(reader, writer):
        while await reader.readuntil(b"\r\n\r\n"):
            seen_during_run.append((gc.isenabled(), gc.get_freeze_count() > 0))
            writer.write(ANSWER)
            await writer.drain()

    async def main():
        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        request = b"GET / HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n"
        try:
            return await openloop.open_loop(
                "127.0.0.1", port, [request] * 40, 400.0,
                connections=2, max_connections=4, timeout=5.0,
            )  # fmt: skip
        finally:
            server.close()

    assert gc.isenabled()
    run = asyncio.run(main())
    assert not run.errors
    assert [data for _, _, data in run.answers] == [b"ok"] * 40
    # the server runs in the same process: it saw the collector off and the heap frozen
    assert set(seen_during_run) == {(False, True)}
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
