#!/usr/bin/env python3
"""asyncio_udp_echo: the UDP echo server a Python user would write, as bench/run's peer.

    asyncio_udp_echo.py PORT     binds 127.0.0.1:PORT over UDP (0 picks one) and prints
                                 "listening on 127.0.0.1:PORT (udp)" on stderr once it receives

One event loop and a DatagramProtocol: each datagram is sent back to its source as it is, empty
ones too. asyncio's datagram transport sends at once and queues only what the socket refused
(EAGAIN); the protocol does not pause reading then, as a user's would not. SIGTERM and SIGINT
close the transport, and the process exits 0.
"""
import asyncio
import signal
import sys


class Echo(asyncio.DatagramProtocol):
    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        self.transport.sendto(data, addr)

    def error_received(self, exc):
        pass  # an ICMP error about an earlier reply is no reason to stop echoing


async def serve(port: int) -> None:
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(Echo, local_addr=("127.0.0.1", port))
    bound = transport.get_extra_info("sockname")[1]
    print(f"listening on 127.0.0.1:{bound} (udp)", file=sys.stderr, flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        transport.close()


def main() -> int:
    if len(sys.argv) != 2 or not sys.argv[1].isdigit() or int(sys.argv[1]) > 65535:
        print("usage: asyncio_udp_echo.py PORT", file=sys.stderr)
        return 2
    asyncio.run(serve(int(sys.argv[1])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
