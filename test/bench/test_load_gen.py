#!/usr/bin/env python3
"""test_load_gen.py: bench/load_gen.c, the client-side ceiling (ctest bench.load_gen).

    test_load_gen.py [--sanitize] ECHO_SERVER   (--sanitize: load_gen with ASan and UBSan)

Builds bench/load_gen.c as bench/run does (gcc -O2 -Wall -Wextra, here with -Wpedantic -Werror
too: no warning), then runs it for about a second in each mode against a real echo-server on
port 0 (closed loop, open loop at a rate, churn: every reply checked, no mismatch, exit 0), and
against a few lines of Python that echo but flip one byte of each connection's stream (a
mismatch counted, exit 3) or record who connected (churn spreads over 127.0.0.1 to .16).
"""
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "..", "..", "bench", "load_gen.c")
ECHO_SERVER = None  # from the command line
WORK = None
LOAD_GEN = None
SANITIZE = []  # --sanitize: the flags of the project's ECHO_SANITIZE build


def build():
    """load_gen built into WORK; the compiler's output (empty when clean)."""
    done = subprocess.run(["gcc", "-O2", "-Wall", "-Wextra", "-Wpedantic", "-Werror", "-std=c11",
                           *SANITIZE, "-o", LOAD_GEN, SOURCE], capture_output=True, text=True)
    return done.returncode, done.stdout + done.stderr


def load_gen(port, *args, timeout=20):
    """load_gen against 127.0.0.1:PORT with ARGS; (exit status, its JSON object)."""
    done = subprocess.run([LOAD_GEN, "127.0.0.1", str(port), *args], capture_output=True,
                          text=True, timeout=timeout)
    lines = done.stdout.splitlines()
    assert len(lines) == 1, (done.stdout, done.stderr)
    return done.returncode, json.loads(lines[0])


class EchoServer:
    """A real echo-server on port 0, its port from the "listening on" line (with a deadline)."""

    def __enter__(self):
        self.log = open(os.path.join(WORK, "server.log"), "w+")
        self.process = subprocess.Popen([ECHO_SERVER, "--port", "0", "-q", "127.0.0.1"],
                                        stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        self.port = None
        while self.port is None:
            self.log.seek(0)
            for line in self.log:
                if "listening on " in line:
                    self.port = int(line.split("listening on ")[1].split()[0].rsplit(":", 1)[1])
            if self.port is None:
                assert self.process.poll() is None, "echo-server exited"
                assert time.monotonic() < deadline, "no 'listening on' line in 10 s"
                time.sleep(0.02)
        return self

    def __exit__(self, *_):
        self.process.terminate()
        self.process.wait(timeout=10)
        self.log.close()


class PythonServer:
    """An echo server in a thread (asyncio): FLIP, when given, is the offset in each connection's
    stream of a byte it flips; every peer address is recorded in `peers`."""

    def __init__(self, flip=None):
        self.flip = flip
        self.peers = set()
        self.writers = set()

    async def serve(self, reader, writer):
        self.peers.add(writer.get_extra_info("peername")[0])
        self.writers.add(writer)
        offset = 0
        try:
            while data := await reader.read(65536):
                if self.flip is not None and offset <= self.flip < offset + len(data):
                    data = bytearray(data)
                    data[self.flip - offset] ^= 0x01
                offset += len(data)
                writer.write(bytes(data))
                await writer.drain()
        except ConnectionError:
            pass
        writer.close()
        self.writers.discard(writer)

    def __enter__(self):
        self.loop = asyncio.new_event_loop()
        started = threading.Event()

        async def start():
            self.server = await asyncio.start_server(self.serve, "127.0.0.1", 0, backlog=1024)
            self.port = self.server.sockets[0].getsockname()[1]
            started.set()

        self.thread = threading.Thread(target=lambda: (self.loop.run_until_complete(start()),
                                                       self.loop.run_forever()), daemon=True)
        self.thread.start()
        assert started.wait(10), "the Python server did not start in 10 s"
        return self

    def __exit__(self, *_):
        async def stop():
            self.server.close()
            for writer in self.writers:
                writer.transport.abort()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            await asyncio.wait(tasks, timeout=5) if tasks else None

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


class LoadGen(unittest.TestCase):
    def test_builds_without_a_warning(self):
        status, output = build()
        self.assertEqual((status, output), (0, ""))

    def check_clean(self, status, result, mode):
        self.assertEqual(status, 0, result)
        self.assertEqual(result["mode"], mode)
        self.assertEqual(result["mismatches"], 0, result)
        self.assertEqual(result["errors"], 0, result)
        self.assertGreater(result["received"], 0, result)
        self.assertGreaterEqual(result["sent"], result["received"], result)
        self.assertGreater(result["msgs_per_s"], 0, result)
        self.assertGreater(result["client_cpu_us_per_msg"], 0, result)
        self.assertGreater(result["p99_us"], 0, result)
        self.assertGreaterEqual(result["p99_us"], result["p50_us"], result)

    def test_closed_loop_against_echo_server(self):
        with EchoServer() as server:
            status, result = load_gen(server.port, "--connections", "8", "--size", "100",
                                      "--duration", "1")
        self.check_clean(status, result, "closed")
        # One message in flight per connection: at most 8 sent and not yet received.
        self.assertLessEqual(result["sent"] - result["received"], 8, result)

    def test_large_messages_in_closed_loop(self):
        with EchoServer() as server:
            status, result = load_gen(server.port, "--connections", "2", "--size", "200000",
                                      "--duration", "1")
        self.check_clean(status, result, "closed")

    def test_open_loop_keeps_its_rate(self):
        with EchoServer() as server:
            status, result = load_gen(server.port, "--connections", "4", "--size", "64",
                                      "--duration", "1", "--rate", "2000")
        self.check_clean(status, result, "open")
        self.assertEqual(result["fell_behind"], 0, result)
        # Within 25% of the rate either way: a busy machine may delay the last replies.
        self.assertGreater(result["msgs_per_s"], 1500, result)
        self.assertLess(result["msgs_per_s"], 2500, result)

    def test_churn_against_echo_server(self):
        with EchoServer() as server:
            status, result = load_gen(server.port, "--connections", "4", "--size", "64",
                                      "--duration", "1", "--churn")
        self.check_clean(status, result, "churn")
        self.assertEqual(result["sources"], 16, result)

    def test_churn_spreads_over_loopback_sources_or_those_given(self):
        with PythonServer() as server:
            status, result = load_gen(server.port, "--connections", "2", "--size", "64",
                                      "--duration", "1", "--churn")
        self.check_clean(status, result, "churn")
        self.assertGreaterEqual(result["received"], 16, result)  # round-robin: every source once
        self.assertEqual(server.peers, {f"127.0.0.{i}" for i in range(1, 17)})
        with PythonServer() as server:
            status, result = load_gen(server.port, "--connections", "2", "--size", "64",
                                      "--duration", "0.3", "--churn", "--source",
                                      "127.0.0.3,127.0.0.5")
        self.check_clean(status, result, "churn")
        self.assertEqual(server.peers, {"127.0.0.3", "127.0.0.5"})

    def test_a_flipped_byte_is_a_mismatch_and_fails_the_run(self):
        for mode in ([], ["--rate", "500"], ["--churn"]):
            with PythonServer(flip=37) as server:
                status, result = load_gen(server.port, "--connections", "2", "--size", "64",
                                          "--duration", "0.5", *mode)
            self.assertEqual(status, 3, (mode, result))
            self.assertGreaterEqual(result["mismatches"], 1, (mode, result))

    def test_bad_usage_is_one_line_and_exit_2(self):
        done = subprocess.run([LOAD_GEN, "127.0.0.1", "1", "--size", "0"], capture_output=True,
                              text=True, timeout=10)
        self.assertEqual(done.returncode, 2)
        self.assertEqual(done.stderr.splitlines()[0], "load_gen: invalid --size '0'")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--sanitize"]:
        SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                    "-fno-omit-frame-pointer", "-g"]
        sys.argv.pop(1)
    if len(sys.argv) < 2:
        sys.exit("usage: test_load_gen.py [--sanitize] ECHO_SERVER")
    ECHO_SERVER = sys.argv.pop(1)
    if shutil.which("gcc") is None:
        print("gcc not found: skipped")
        sys.exit(77)
    WORK = tempfile.mkdtemp()
    LOAD_GEN = os.path.join(WORK, "load_gen")
    try:
        status, output = build()
        if status != 0:
            sys.exit(f"load_gen.c does not build:\n{output}")
        unittest.main(warnings="ignore")  # asyncio's own ResourceWarnings at shutdown
    finally:
        shutil.rmtree(WORK)
