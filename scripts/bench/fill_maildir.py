#!/usr/bin/env python3
"""Fills a Dovecot Maildir++ mailbox directly on disk (much faster than one `doveadm save` per
message), or creates empty mailboxes.

    fill_maildir.py MAILDIR_ROOT --uid UID [--mailbox NAME] [--count N] [--seed S]
    fill_maildir.py MAILDIR_ROOT --uid UID --create-mailboxes PREFIX --number K

MAILDIR_ROOT is the user's `~/Maildir` (INBOX); mailbox NAME lives in `MAILDIR_ROOT/.NAME`.
Messages (scripts/bench/messages.py, LF line ends as a Maildir stores them) go to `cur/` with
`:2,` (no flags) and `S=`/`W=` sizes in their names, so Dovecot neither moves them from `new/`
nor reads them to learn their sizes. Everything is chowned to UID (the user's uid and gid).
"""
from __future__ import annotations

import argparse
import datetime
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import messages  # noqa: E402


def make_mailbox(root: str, name: str | None, uid: int) -> str:
    path = root if name in (None, "INBOX") else os.path.join(root, "." + name)
    for sub in ("", "cur", "new", "tmp"):
        directory = os.path.join(path, sub)
        os.makedirs(directory, mode=0o700, exist_ok=True)
        os.chown(directory, uid, uid)
    if path != root:
        marker = os.path.join(path, "maildirfolder")
        open(marker, "a").close()
        os.chown(marker, uid, uid)
    return path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("root")
    parser.add_argument("--uid", type=int, required=True)
    parser.add_argument("--mailbox")
    parser.add_argument("--count", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--create-mailboxes")
    parser.add_argument("--number", type=int, default=0)
    args = parser.parse_args()

    make_mailbox(args.root, None, args.uid)
    if args.create_mailboxes:
        for k in range(1, args.number + 1):
            make_mailbox(args.root, f"{args.create_mailboxes}{k:03d}", args.uid)
        print(f"created {args.number} mailboxes {args.create_mailboxes}001..")
        return 0

    path = make_mailbox(args.root, args.mailbox, args.uid)
    cur = os.path.join(path, "cur")
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    total = 0
    pid = os.getpid()
    for i in range(1, args.count + 1):
        date = start + datetime.timedelta(seconds=37 * i)
        data = messages.message(i, seed=args.seed, tag="burst", date=date)
        vsize = len(data) + data.count(b"\n")  # with CRLF line ends, as IMAP sends it
        stamp = int(date.timestamp())
        name = f"{stamp}.M{i:06d}P{pid}.bench,S={len(data)},W={vsize}:2,"
        target = os.path.join(cur, name)
        with open(target, "wb") as handle:
            handle.write(data)
        os.chown(target, args.uid, args.uid)
        os.chmod(target, 0o600)
        os.utime(target, (stamp, stamp))
        total += len(data)
    print(f"wrote {args.count} messages ({total / 1e6:.1f} MB, {total / max(1, args.count) / 1024:.1f} KB average) to {cur}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
