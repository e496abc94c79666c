#!/usr/bin/env python3
"""Condenses a Swift runtime backtrace (what a test process prints when it crashes, or when
scripts/test.sh stops a run that hung) to what CI output has room for: why it stopped, and for
each thread the frames in this project's own code (Sources/, Tests/) — the place a thread was
blocked, or crashed — with the top frame of the others counted by kind.

A full backtrace of the debug test binary is over a thousand lines, mostly the test library's
and NIO's frames; the CI output shows only a part of a failing run.

Usage: backtrace-summary.py LOG   (the last backtrace in LOG)
"""
import collections
import re
import sys

# A frame's source location in this project (not in a dependency under .build/checkouts).
OWN_CODE = re.compile(r" at (?!\S*\.build/)(?:\S*/)?(Sources|Tests)/(\S+)$")
FRAME = re.compile(r"^\s*\d+\s+(?:\[[a-z]+\]\s+)*0x[0-9a-f]+\s+(.*)$")


def last_backtrace(lines):
    """The last backtrace, with the runtime's message before it ("...: Fatal error: ...")."""
    starts = [i for i, line in enumerate(lines) if line.startswith("*** Program crashed:")]
    if not starts:
        return []
    start = starts[-1]
    before = [line for line in lines[max(0, start - 6):start] if "Fatal error" in line]
    return before + lines[start:]


def summarise(lines, frames_per_thread=8):
    out = []
    threads = []
    for line in lines:
        if line.startswith("*** Program crashed:") or "Fatal error" in line or line.startswith("Platform:"):
            out.append(line)
        elif line.startswith("Thread "):
            threads.append((line.rstrip(":"), []))
        elif threads and FRAME.match(line):
            threads[-1][1].append(FRAME.match(line).group(1))
        elif line.startswith("Registers") or line.startswith("Images"):
            break
    idle = collections.defaultdict(list)
    for header, frames in threads:
        if header.endswith(" crashed"):
            # The crashed thread whole (its top is the runtime's, and a test's own frames may be
            # macro expansions with no file of the project).
            out.append(header + ":")
            out.extend(f"    {frame.split(' in mailtrigger')[0].split(' + ')[0][:150]}" for frame in frames[:12])
            continue
        own = [f for f in frames if OWN_CODE.search(f)]
        if not own:
            # By the thread's name: an event loop (NIO-...) waiting on a lock, not in epoll,
            # is one that something blocked.
            top = frames[0].split(" + ")[0] if frames else "(no frames)"
            idle[top].append(header.split('"')[1] if header.count('"') >= 2 else header)
            continue
        out.append(header + ":")
        for frame in own[:frames_per_thread]:
            symbol = frame.split(" in mailtrigger")[0].split(" + ")[0]
            where = OWN_CODE.search(frame)
            out.append(f"    {symbol[:150]}  ({where.group(1)}/{where.group(2)})")
    for top, names in sorted(idle.items(), key=lambda item: -len(item[1])):
        out.append(f"{len(names)} thread(s) outside the project's code, at {top[:120]}: {', '.join(sorted(names))}")
    return out


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8", errors="replace") as log:
        lines = log.read().split("\n")
    backtrace = last_backtrace(lines)
    if not backtrace:
        print("backtrace-summary: no backtrace in " + sys.argv[1])
        return 1
    print("\n".join(summarise(backtrace)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
