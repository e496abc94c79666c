#!/usr/bin/env python3
"""Looks for secrets in log files: the test suite's proof that no secret reaches a log.

scripts/test.sh runs it after `swift test` over everything the tests left behind — every
daemon's log, the output of every CLI command the tests ran (MT_CLI_TRANSCRIPT), the test
output itself — with the secrets the tests used: the IMAP password, the OAuth client secret,
every token the OAuth test server issued, the webhook signing keys.

Each secret is looked for as it is and in the forms it takes on the wire: base64 (alone, and
inside SASL PLAIN, XOAUTH2 and OAUTHBEARER initial responses for each user given) and
percent-encoded. A hit is reported with the file and line, the secret masked; the exit status
is 1 when anything is found, 0 otherwise.

Usage: scan-secrets.py [--secret S]... [--secrets-file F]... [--user U]... PATH...
       scan-secrets.py --self-test
PATHs are files or directories (searched recursively). Only text logs are read: *.log, *.txt,
*.jsonl, *.out, *.err; SQLite databases (which hold OAuth tokens by design) and configuration
files (which hold what the operator wrote) are not logs.
"""
import argparse
import base64
import os
import sys
import tempfile
import urllib.parse

LOG_SUFFIXES = (".log", ".txt", ".jsonl", ".out", ".err")
MIN_LENGTH = 8


def forms(secret, users):
    """The byte strings under which `secret` could appear."""
    raw = secret.encode()
    found = {raw, base64.b64encode(raw), urllib.parse.quote(secret, safe="").encode()}
    for user in users:
        for sasl in (b"\0" + user.encode() + b"\0" + raw,  # PLAIN (RFC 4616)
                     b"user=" + user.encode() + b"\x01auth=Bearer " + raw + b"\x01\x01",  # XOAUTH2
                     b"n,a=" + user.encode() + b",\x01auth=Bearer " + raw + b"\x01\x01"):  # OAUTHBEARER (RFC 7628)
            found.add(base64.b64encode(sasl))
    return found


def mask(secret):
    return secret[:3] + "…" + f"({len(secret)} characters)"


def log_files(paths):
    for path in paths:
        if os.path.isfile(path):
            yield path
        for root, _, names in os.walk(path):
            for name in names:
                if name.endswith(LOG_SUFFIXES) and "issued-tokens" not in name:
                    yield os.path.join(root, name)


def scan(paths, secrets, users):
    """Returns [(file, line number, masked secret, form index)] and the number of files read."""
    needles = [(secret, form) for secret in secrets for form in sorted(forms(secret, users))]
    hits, files = [], 0
    for path in log_files(paths):
        files += 1
        try:
            with open(path, "rb") as f:
                for number, line in enumerate(f, 1):
                    for secret, form in needles:
                        if form in line:
                            hits.append((path, number, mask(secret), "as is" if form == secret.encode() else "encoded"))
        except OSError as error:
            print(f"scan-secrets: cannot read {path}: {error}", file=sys.stderr)
    return hits, files


def self_test():
    """The scanner finds each planted form, and nothing in a clean file."""
    secret, user = "planted-secret-123", "mt1"
    with tempfile.TemporaryDirectory() as directory:
        clean = os.path.join(directory, "clean.log")
        with open(clean, "w") as f:
            f.write("nothing to see here planted-secret\n")
        for index, form in enumerate(sorted(forms(secret, [user]))):
            with open(os.path.join(directory, f"planted-{index}.log"), "wb") as f:
                f.write(b"prefix " + form + b" suffix\n")
        hits, files = scan([directory], [secret], [user])
        planted = len(forms(secret, [user]))
        found = {os.path.basename(path) for path, *_ in hits}
        ok = files == planted + 1 and found == {f"planted-{i}.log" for i in range(planted)}
        print(f"scan-secrets self-test: {len(found)} of {planted} planted forms found, clean file clean: {'ok' if ok else 'FAILED'}")
        return 0 if ok else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--secret", action="append", default=[])
    parser.add_argument("--secrets-file", action="append", default=[])
    parser.add_argument("--user", action="append", default=[])
    parser.add_argument("--self-test", action="store_true")
    parser.add_argument("paths", nargs="*")
    args = parser.parse_args()
    if args.self_test:
        return self_test()
    secrets = set(args.secret)
    for path in args.secrets_file:
        if os.path.exists(path):
            with open(path) as f:
                secrets.update(line.strip() for line in f if line.strip())
    short = sorted(s for s in secrets if len(s) < MIN_LENGTH)
    if short:
        print(f"scan-secrets: {len(short)} secret(s) shorter than {MIN_LENGTH} characters not scanned", file=sys.stderr)
    secrets = sorted(s for s in secrets if len(s) >= MIN_LENGTH)
    hits, files = scan(args.paths, secrets, args.user)
    for path, number, masked, how in hits:
        print(f"scan-secrets: SECRET FOUND {masked} ({how}) in {path}:{number}")
    print(f"scan-secrets: {len(secrets)} secrets in {len(secrets) and len(forms(secrets[0], args.user))} forms each, "
          f"{files} log files: {len(hits)} found")
    return 1 if hits else 0


if __name__ == "__main__":
    sys.exit(main())
