#!/usr/bin/env python3
"""asyncio_echo: the echo server a Python user would write, as bench/run's peer.

    asyncio_echo.py PORT     listens on 127.0.0.1:PORT (0 picks one) and prints
                             "listening on 127.0.0.1:PORT" on stderr once it accepts

One event loop, the streams API, one coroutine per connection: read what is there (up to 64 KiB),
write it back, and await drain() so a client that does not read pushes back instead of filling
memory. asyncio turns TCP_NODELAY on for every TCP transport by itself. SIGTERM and SIGINT close
the listener and every connection, and the process exits 0.
"""
import asyncio
import signal
import sys

READ_SIZE = 64 * 1024


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            data = await reader.read(READ_SIZE)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass  # a client that resets is a normal ending for an echo server
    finally:
        writer.close()


async def serve(port: int) -> None:
    server = await asyncio.start_server(echo, "127.0.0.1", port, backlog=4096)
    bound = server.sockets[0].getsockname()[1]
    print(f"listening on 127.0.0.1:{bound}", file=sys.stderr, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def main() -> int:
    if len(sys.argv) != 2 or not sys.argv[1].isdigit() or int(sys.argv[1]) > 65535:
        print("usage: asyncio_echo.py PORT", file=sys.stderr)
        return 2
    asyncio.run(serve(int(sys.argv[1])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
