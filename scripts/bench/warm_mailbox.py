#!/usr/bin/env python3
"""Warm-up before the burst benchmark: makes Dovecot index a mailbox so that neither mailtrigger
nor mbsync pays for it. EXAMINEs the mailbox (Dovecot scans the Maildir and builds its index
and uidlist) and fetches `UID FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE)` (the metadata
both clients ask for), then prints the message count and the time taken.

    warm_mailbox.py --port P --ca CA --user U --password-file F --mailbox M
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import imapraw  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    imapraw.add_connection_arguments(parser)
    args = parser.parse_args()
    started = time.monotonic()
    connection = imapraw.Connection(args.host, args.port, args.ca, timeout=300)
    connection.login(args.user, imapraw.read_password(args.password_file))
    count = connection.select(args.mailbox, readonly=True)
    examined = time.monotonic()
    if count:
        untagged, _ = connection.command("UID FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE)")
    connection.logout()
    print(f"{count} messages; EXAMINE {examined - started:.2f} s, metadata FETCH {time.monotonic() - examined:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
