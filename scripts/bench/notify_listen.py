#!/usr/bin/env python3
"""A stand-in for systemd's notification socket: records what the daemon sends with sd_notify.

    notify_listen.py SOCKET_PATH OUT [--max-seconds 3600]

Binds an AF_UNIX datagram socket at SOCKET_PATH (give it to the daemon as NOTIFY_SOCKET), then
appends `<unix-epoch-ms> <message>` to OUT for every datagram (newlines in a message become
`\\n`), flushed at once, until SIGTERM/SIGINT or --max-seconds. Reads at once, as systemd does:
a socket nobody reads would make the sender wait.
"""
from __future__ import annotations

import argparse
import os
import socket
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stopping  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("socket_path")
    parser.add_argument("out")
    parser.add_argument("--max-seconds", type=float, default=3600)
    args = parser.parse_args()

    running = stopping.Running(args.max_seconds)
    if os.path.exists(args.socket_path):
        os.unlink(args.socket_path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(args.socket_path)
    sock.settimeout(0.2)
    with open(args.out, "a", encoding="utf-8", buffering=1) as out:
        while running:
            try:
                data = sock.recv(65536)
            except (socket.timeout, TimeoutError):
                continue
            stamp = time.time() * 1000.0
            text = data.decode("utf-8", "replace").replace("\n", "\\n")
            out.write(f"{stamp:.3f} {text}\n")
    sock.close()
    os.unlink(args.socket_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
