#!/usr/bin/env python3
"""Starts `trainsim serve` on a free loopback port in its own process, runs
examples/python/planner_client.py against it and checks what the client prints; then stops the
server with SIGTERM and checks that it exits 0."""

import argparse
import re
import signal
import subprocess
import sys


def fail(message, *outputs):
    print("FAIL: " + message, file=sys.stderr)
    for o in outputs:
        print(o, file=sys.stderr)
    return 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--trainsim", required=True)
    parser.add_argument("--client", required=True)
    parser.add_argument("--stubs", required=True)
    args = parser.parse_args()

    server = subprocess.Popen([args.trainsim, "serve", "--listen", "127.0.0.1:0", "--http", "off"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        first = server.stdout.readline()
        match = re.search(r"listening on (127\.0\.0\.1:\d+) ", first)
        if not match:
            return fail("trainsim serve did not say where it listens", first)
        client = subprocess.run(
            [sys.executable, args.client, "--target", match.group(1), "--stubs", args.stubs],
            capture_output=True, text=True, timeout=90)
        out = client.stdout
        print(out)
        if client.returncode != 0:
            return fail(f"the client exited {client.returncode}", client.stderr)
        expected = [
            r"^gpus: h100-sxm, ",
            r"^simulate gpt-7\.5b-64-h100: step \d+\.\d+ s, MFU \d+\.\d%, ",
            r"^bad scenario: INVALID_ARGUMENT: bad\.yaml:4:\d+: parallelism: tp\*pp\*cp = 6 ",
            r"^sweep point 0/4 parallelism\.microbatch_size=1: step \d+\.\d+ s",
            r"^sweep point 3/4 parallelism\.microbatch_size=8: ",
            r"^sweep: 4 rows$",
        ]
        for pattern in expected:
            if not re.search(pattern, out, re.MULTILINE):
                return fail(f"the client's output has no line matching {pattern!r}", out,
                            client.stderr)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            rest, _ = server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            return fail("trainsim serve did not stop within 30 s of SIGTERM")
    if server.returncode != 0:
        return fail(f"trainsim serve exited {server.returncode} after SIGTERM", rest)
    if "stopped" not in rest:
        return fail("trainsim serve did not say it stopped", rest)
    print("ok: client output as expected; server stopped cleanly")
    return 0


if __name__ == "__main__":
    sys.exit(main())
