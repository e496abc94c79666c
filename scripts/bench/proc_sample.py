#!/usr/bin/env python3
"""CPU and memory of one process over a window.

    proc_sample.py PID SECONDS [--json OUT]

CPU% = (utime + stime after - before, from /proc/PID/stat, all threads) / clock ticks per
second / wall seconds * 100 (100 % = one core busy). RSS: VmRSS from /proc/PID/status, sampled
once a second; max and mean reported, plus VmHWM (the kernel's own peak) at the end.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time


def cpu_ticks(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    # fields[0] is the state (field 3); utime and stime are fields 14 and 15.
    return int(fields[11]) + int(fields[12])


def status_kb(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def threads(pid: int) -> int:
    return status_kb(pid, "Threads")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("pid", type=int)
    parser.add_argument("seconds", type=float)
    parser.add_argument("--json")
    args = parser.parse_args()
    hz = os.sysconf("SC_CLK_TCK")
    rss = []
    t0, c0 = time.monotonic(), cpu_ticks(args.pid)
    end = t0 + args.seconds
    next_sample = t0
    while True:
        now = time.monotonic()
        if now >= next_sample:
            rss.append(status_kb(args.pid, "VmRSS"))
            next_sample += 1.0
        if now >= end:
            break
        time.sleep(max(0.0, min(next_sample, end) - time.monotonic()))
    t1, c1 = time.monotonic(), cpu_ticks(args.pid)
    wall = t1 - t0
    result = {
        "seconds": wall,
        "cpu_seconds": (c1 - c0) / hz,
        "cpu_percent": (c1 - c0) / hz / wall * 100.0,
        "rss_max_mb": max(rss) / 1024.0,
        "rss_mean_mb": sum(rss) / len(rss) / 1024.0,
        "hwm_mb": status_kb(args.pid, "VmHWM") / 1024.0,
        "samples": len(rss),
        "threads": threads(args.pid),
    }
    if args.json:
        with open(args.json, "w") as out:
            json.dump(result, out, indent=1)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
