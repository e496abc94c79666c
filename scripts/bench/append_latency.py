#!/usr/bin/env python3
"""Latency benchmark driver: APPENDs messages one at a time and pairs each with its webhook and
with the bare IDLE client's EXISTS.

    append_latency.py --port P --ca CA --user U --password-file F --mailbox M --count N \
        --keys RECEIVER_KEYS_LOG --floor FLOOR_LOG --csv OUT.csv --json OUT.json \
        [--timeout 15] [--jitter-ms 200] [--users U1,U2,... --floor 'DIR/floor-{user}.log']

With --users (the scale phase: one profile per user, named after it), message i goes to user
i mod n, each user has its own floor client and file ({user} in --floor), and webhooks are
matched by (profile, UID).

For message i: waits a random 0..jitter ms (so appends do not lock into phase with the
server's 1 s IDLE timers), APPENDs it (LITERAL+), takes t0 = epoch-ms when the tagged OK is
read, and gets its UID from APPENDUID. It then waits (up to --timeout) until both
  * the receiver's --log-keys file has a line whose Idempotency-Key has that UID
    (`<profile>/<mailbox>/<uidvalidity>/<uid>/<flow>`), and
  * the floor client's file has `<ms> n` with n = the message's sequence number
    (messages already in the mailbox + i),
before appending the next. WebhookReceiverTool writes its key log once a second, so each
iteration takes about a second; the timestamps in the file are the receive times, so that
flush delay is not part of the figures.

Latency = receive time - t0, per UID; floor = EXISTS time - t0; added = latency - floor,
paired per message. Writes the per-message table (CSV) and a JSON summary.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import imapraw  # noqa: E402
import messages  # noqa: E402


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-p * len(ordered) // 100))))
    return ordered[rank - 1]


def summarize(values: list[float]) -> dict:
    return {
        "n": len(values),
        "p50": percentile(values, 50), "p90": percentile(values, 90), "p99": percentile(values, 99),
        "max": max(values) if values else None, "min": min(values) if values else None,
        "mean": sum(values) / len(values) if values else None,
    }


class Tail:
    """Reads lines appended to a file since the last call."""

    def __init__(self, path: str):
        self.path = path
        self.offset = 0
        self.partial = b""

    def lines(self) -> list[str]:
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self.offset)
                data = handle.read()
        except FileNotFoundError:
            return []
        self.offset += len(data)
        data = self.partial + data
        *complete, self.partial = data.split(b"\n")
        return [line.decode("utf-8", "replace") for line in complete if line.strip()]


def main() -> int:
    parser = argparse.ArgumentParser()
    imapraw.add_connection_arguments(parser, mailbox_required=True)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--keys", required=True)
    parser.add_argument("--floor", required=True)
    parser.add_argument("--csv", required=True)
    parser.add_argument("--json", required=True)
    parser.add_argument("--timeout", type=float, default=15.0)
    parser.add_argument("--jitter-ms", type=float, default=200.0)
    parser.add_argument("--users", help="comma-separated users, one profile each (named after the user)")
    args = parser.parse_args()

    rng = random.Random(7)
    users = args.users.split(",") if args.users else [args.user]
    password = imapraw.read_password(args.password_file)
    connections, base, floors, appended = {}, {}, {}, {}
    for user in users:
        connections[user] = imapraw.Connection(args.host, args.port, args.ca)
        connections[user].login(user, password)
        base[user] = connections[user].status_messages(args.mailbox)
        floors[user] = Tail(args.floor.format(user=user))
        appended[user] = 0
    keys = Tail(args.keys)
    received: dict[tuple[str, int], float] = {}   # (profile, uid) -> receive epoch-ms (first request)
    exists: dict[tuple[str, int], float] = {}     # (user, sequence number) -> EXISTS epoch-ms
    rows = []
    started = time.monotonic()

    def profile_of(user: str) -> str:
        return user if args.users else "bench"

    def poll() -> None:
        for line in keys.lines():
            stamp, _, key = line.partition(" ")
            parts = key.split("/")
            # <profile>/<mailbox>/<uidvalidity>/<uid>/<flow>; the mailbox has no '/' here.
            if len(parts) == 5 and parts[3].isdigit():
                received.setdefault((parts[0], int(parts[3])), float(stamp))
        for user, floor in floors.items():
            for line in floor.lines():
                stamp, _, n = line.partition(" ")
                if n.strip().isdigit():
                    exists.setdefault((user, int(n)), float(stamp))

    for i in range(1, args.count + 1):
        user = users[(i - 1) % len(users)]
        time.sleep(rng.uniform(0, args.jitter_ms) / 1000.0)
        body = messages.message(i, seed=int(time.time()), tag="latency", crlf=True)
        _, uid, t0 = connections[user].append(args.mailbox, body)
        if uid is None:
            print("append_latency: the server sent no APPENDUID", file=sys.stderr)
            return 2
        appended[user] += 1
        sequence = base[user] + appended[user]
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline:
            poll()
            if (profile_of(user), uid) in received and (user, sequence) in exists:
                break
            time.sleep(0.002)
        rows.append((i, user, uid, t0, sequence))
        if i % 50 == 0 or i == args.count:
            print(f"append_latency: {i}/{args.count} appended ({time.monotonic() - started:.0f} s)", file=sys.stderr)
    for connection in connections.values():
        connection.logout()
    time.sleep(1.2)  # one more receiver flush: catch a late first delivery of a timed-out one
    poll()

    latency, base_floor, added = [], [], []
    with open(args.csv, "w", encoding="ascii") as out:
        out.write("i,user,uid,append_ok_ms,floor_exists_ms,webhook_ms,floor_latency_ms,mailtrigger_latency_ms,added_ms\n")
        for i, user, uid, t0, sequence in rows:
            fl, mt = exists.get((user, sequence)), received.get((profile_of(user), uid))
            f_lat = fl - t0 if fl is not None else None
            m_lat = mt - t0 if mt is not None else None
            a = m_lat - f_lat if f_lat is not None and m_lat is not None else None
            if m_lat is not None:
                latency.append(m_lat)
            if f_lat is not None:
                base_floor.append(f_lat)
            if a is not None:
                added.append(a)
            fmt = lambda v: "" if v is None else f"{v:.3f}"  # noqa: E731
            out.write(f"{i},{user},{uid},{t0:.3f},{fmt(fl)},{fmt(mt)},{fmt(f_lat)},{fmt(m_lat)},{fmt(a)}\n")
    result = {
        "count": args.count,
        "users": len(users),
        "missing_webhook": sum(1 for _, user, uid, *_ in rows if (profile_of(user), uid) not in received),
        "missing_floor": sum(1 for _, user, _, _, sequence in rows if (user, sequence) not in exists),
        "mailtrigger": summarize(latency),
        "floor": summarize(base_floor),
        "added": summarize(added),
        # Percentile differences, for comparison with the paired figures.
        "added_by_percentile": {
            p: (percentile(latency, n) - percentile(base_floor, n)) if latency and base_floor else None
            for p, n in (("p50", 50), ("p90", 90), ("p99", 99))
        },
        "seconds": time.monotonic() - started,
    }
    with open(args.json, "w", encoding="ascii") as out:
        json.dump(result, out, indent=1)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
