#!/usr/bin/env python3
"""A tiny UDP echo server for the client's UDP tests (no echo-server --udp needed).

udp_echo.py [--host ADDR] [--drop-first N] [--drop-every K] [--silent] PORT

Binds ADDR (127.0.0.1; "::1" for IPv6) on PORT (0: a free one), prints "listening on PORT" on
stdout, then echoes every datagram byte for byte, empty ones too, to whoever sent it.
--drop-first N: the first N datagrams get no reply (to test --retries).
--drop-every K: every K-th datagram gets no reply (to test loss accounting).
--flip-every K: every K-th reply has its last byte changed (to test that replies are checked).
--silent: never replies (a bound UDP socket that nothing answers from).
Runs until killed.
"""

import argparse
import socket
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--drop-first", type=int, default=0)
    parser.add_argument("--drop-every", type=int, default=0)
    parser.add_argument("--flip-every", type=int, default=0)
    parser.add_argument("--silent", action="store_true")
    args = parser.parse_args()

    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    # Room for a burst: the client's self-test sends 1,000 datagrams at once.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
    sock.bind((args.host, args.port))
    print("listening on %d" % sock.getsockname()[1], flush=True)
    seen = 0
    while True:
        data, peer = sock.recvfrom(65536)
        seen += 1
        if args.silent or seen <= args.drop_first:
            continue
        if args.drop_every > 0 and seen % args.drop_every == 0:
            continue
        if args.flip_every > 0 and seen % args.flip_every == 0 and data:
            data = data[:-1] + bytes([data[-1] ^ 0xFF])
        sock.sendto(data, peer)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
