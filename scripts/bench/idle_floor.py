#!/usr/bin/env python3
"""The latency floor: a bare IDLE client that records when the server announces new mail.

    idle_floor.py --host H --port P --ca CA --user U --password-file F --mailbox M \
                  --out FILE [--ready FILE] [--max-seconds S]

Signs in, EXAMINEs the mailbox (read-only, as mailtrigger does), enters IDLE and appends
`<unix-epoch-ms> <n>` to FILE for every `* n EXISTS` (flushed at once), so
append_latency.py can pair the n-th message with the moment its EXISTS arrived. Touches
--ready once the server has accepted IDLE. Untagged `* OK Still here` keepalives are ignored.
Runs until SIGTERM/SIGINT or --max-seconds (default 3600).
"""
from __future__ import annotations

import argparse
import os
import re
import socket
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import imapraw  # noqa: E402
import stopping  # noqa: E402

EXISTS = re.compile(rb"\* (\d+) EXISTS")


def main() -> int:
    parser = argparse.ArgumentParser()
    imapraw.add_connection_arguments(parser)
    parser.add_argument("--out", required=True)
    parser.add_argument("--ready")
    parser.add_argument("--max-seconds", type=float, default=3600)
    args = parser.parse_args()

    running = stopping.Running(args.max_seconds)

    connection = imapraw.Connection(args.host, args.port, args.ca)
    connection.login(args.user, imapraw.read_password(args.password_file))
    connection.select(args.mailbox, readonly=True)
    connection.idle_start()
    connection.sock.settimeout(0.5)
    out = open(args.out, "a", encoding="ascii", buffering=1)
    if args.ready:
        open(args.ready, "w").close()
    while running:
        try:
            line = connection.read_line()
        except (socket.timeout, TimeoutError):
            continue
        except ssl_want_read():
            continue
        seen = imapraw.now_ms()
        match = EXISTS.match(line)
        if match:
            out.write(f"{seen:.3f} {int(match.group(1))}\n")
        elif line.startswith(b"* BYE"):
            print(f"idle_floor: server said {line.strip()!r}", file=sys.stderr)
            return 1
    try:
        connection.sock.settimeout(5)
        connection.sock.sendall(b"DONE\r\n")
    except OSError:
        pass
    connection.logout()
    out.close()
    return 0


def ssl_want_read():
    import ssl
    return ssl.SSLWantReadError


if __name__ == "__main__":
    sys.exit(main())
