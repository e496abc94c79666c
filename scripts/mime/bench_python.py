#!/usr/bin/env python3
"""Throughput of Python's ``email`` package on a corpus: the comparison line for the Swift benchmark.

    scripts/mime/bench_python.py DIR [--repeat R]

Reads every ``*.eml`` in DIR into memory, then R times (default 3) parses each message with
``BytesParser(policy=email.policy.default)`` and extracts the fields reference.py extracts
(subject, from/to/cc, the text body, attachments with decoded sizes), and prints

    python-email: N messages, X MB, Y messages/s, Z MB/s

for the fastest repeat (wall clock; MB = 10^6 bytes of raw message). Only the standard
library is used.
"""
from __future__ import annotations

import argparse
import gc
import os
import sys
import time

sys.dont_write_bytecode = True  # importing the sibling modules leaves no __pycache__ in the repository
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference  # noqa: E402  (sibling module)


def load(directory: str) -> list[bytes]:
    """Every *.eml in ``directory``, in name order, as bytes."""
    names = sorted(n for n in os.listdir(directory) if n.endswith(".eml"))
    messages = []
    for name in names:
        with open(os.path.join(directory, name), "rb") as handle:
            messages.append(handle.read())
    return messages


def run_once(messages: list[bytes]) -> float:
    """Seconds to parse and extract every message once."""
    started = time.perf_counter()
    for raw in messages:
        reference.extract(raw)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Measure Python's email package (parse + reference extraction) on DIR/*.eml.")
    parser.add_argument("directory", metavar="DIR", help="corpus directory (e.g. from gen_corpus.py)")
    parser.add_argument("--repeat", type=int, default=3, metavar="R", help="repeats; the best counts (default 3)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if not os.path.isdir(args.directory):
        parser.error(f"{args.directory!r} is not a directory")
    messages = load(args.directory)
    if not messages:
        parser.error(f"no .eml files in {args.directory!r}")
    total = sum(len(raw) for raw in messages)
    best = float("inf")
    for _ in range(args.repeat):
        gc.collect()
        best = min(best, run_once(messages))
    megabytes = total / 1e6
    print(f"python-email: {len(messages)} messages, {megabytes:.1f} MB, "
          f"{len(messages) / best:.0f} messages/s, {megabytes / best:.2f} MB/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
