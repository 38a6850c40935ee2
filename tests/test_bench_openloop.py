"""The bench's open-loop load generator (bench/openloop.py) against a real server on loopback:
every request answered, and the collector out of the run and back after it."""

import asyncio
import gc

from bench import openloop

ANSWER = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"


def _run(count: int):
    """``count`` requests at 400/s to a loopback server in this process; the run, and what the
    server saw of the collector at each request (enabled, anything frozen)."""
    seen = []

    async def serve(reader, writer):
        while await reader.readuntil(b"\r\n\r\n"):
            seen.append((gc.isenabled(), gc.get_freeze_count() > 0))
            writer.write(ANSWER)
            await writer.drain()

    async def main():
        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        request = b"GET / HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n"
        try:
            return await openloop.open_loop(
                "127.0.0.1", port, [request] * count, 400.0,
                connections=2, max_connections=4, timeout=5.0,
            )  # fmt: skip
        finally:
            server.close()

    return asyncio.run(main()), seen


def test_open_loop_answers_every_request_with_the_collector_kept_out_of_the_run():
    assert gc.isenabled()
    run, seen = _run(40)
    assert not run.errors
    assert [data for _, _, data in run.answers] == [b"ok"] * 40
    # the server runs in the same process: it saw the collector off and the heap frozen
    assert set(seen) == {(False, True)}
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_what_was_frozen_before_a_run_stays_frozen_after_it():
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        run, _ = _run(5)
        assert len(run.answers) == 5
        assert gc.get_freeze_count() >= frozen
        assert gc.isenabled()
    finally:
        gc.unfreeze()
