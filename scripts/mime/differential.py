#!/usr/bin/env python3
"""Differential test: mailtrigger's MIME parser against Python's ``email`` package.

    scripts/mime/differential.py --binary .build/debug/mailtrigger --corpus /tmp/mime-corpus [--generate 500]

With ``--generate N`` the corpus is (re)written first with gen_corpus.py (default seed). Then
for every ``*.eml`` in the corpus, ``BINARY inspect FILE.eml`` must exit 0 and print one JSON
payload; its fields are compared with reference.py's:

    subject       equal after collapsing whitespace runs to one space and trimming
    from/to/cc    same length and order; per mailbox the name (whitespace collapsed, "" = null)
                  and the address (case-insensitively)
    text          equal after turning CRLF/CR into LF, stripping trailing whitespace on every
                  line and trailing newlines at the end; null only equals null
    attachments   equal as multisets of (filename, contentType lower-cased, size)

A mismatch that one of ``KNOWN_DIFFERENCES`` explains (a deliberate disagreement, documented in
docs/mime-differential.md) does not fail the message but is reported. The output ends with
``differential: N passed, M failed``; the exit status is 1 if M > 0 or if fewer than
``--min-messages`` (default 500) messages were compared, 2 for usage errors.

``inspect`` runs in a small thread pool (``--jobs``, default 2) while this process computes the
reference. Only the standard library is used; nothing touches the network.
"""
from __future__ import annotations

import argparse
import collections
import concurrent.futures
import dataclasses
import difflib
import functools
import json
import os
import re
import shutil
import subprocess
import sys
import time
from typing import Any, Callable

sys.dont_write_bytecode = True  # importing the sibling modules leaves no __pycache__ in the repository
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_corpus  # noqa: E402  (sibling modules)
import reference  # noqa: E402

FIELDS = ("subject", "from", "to", "cc", "text", "attachments")
#: Pseudo-fields for failures that are not a field disagreement.
PROCESS_FIELDS = ("inspect", "reference", "schema")
MIN_MESSAGES = 500

# --------------------------------------------------------------------------------------------
# Normalisation and comparison
# --------------------------------------------------------------------------------------------


class ShapeError(ValueError):
    """The payload field does not have the documented JSON shape."""


def _collapse(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip()


def norm_subject(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ShapeError(f"subject is {type(value).__name__}, not string|null")
    return _collapse(value)


def norm_addresses(value: Any) -> list[tuple[str | None, str]]:
    if not isinstance(value, list):
        raise ShapeError(f"address list is {type(value).__name__}, not array")
    result = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("address"), str) \
                or not isinstance(item.get("name"), (str, type(None))):
            raise ShapeError(f"bad mailbox {item!r}")
        name = _collapse(item["name"]) if item["name"] is not None else None
        result.append((name or None, item["address"].lower()))
    return result


def norm_text(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ShapeError(f"text is {type(value).__name__}, not string|null")
    lines = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).rstrip("\n")


def norm_attachments(value: Any) -> collections.Counter:
    if not isinstance(value, list):
        raise ShapeError(f"attachments is {type(value).__name__}, not array")
    result: collections.Counter = collections.Counter()
    for item in value:
        if (not isinstance(item, dict) or not isinstance(item.get("contentType"), str)
                or not isinstance(item.get("filename"), (str, type(None)))
                or not isinstance(item.get("size"), int) or isinstance(item.get("size"), bool)):
            raise ShapeError(f"bad attachment {item!r}")
        result[(item["filename"], item["contentType"].lower(), item["size"])] += 1
    return result


NORMALISE: dict[str, Callable[[Any], Any]] = {
    "subject": norm_subject, "from": norm_addresses, "to": norm_addresses, "cc": norm_addresses,
    "text": norm_text, "attachments": norm_attachments,
}


def field_equal(field: str, expected: Any, actual: Any) -> bool:
    """Whether two values of ``field`` agree under the comparison rules (shape errors: no)."""
    try:
        return NORMALISE[field](expected) == NORMALISE[field](actual)
    except ShapeError:
        return False


# --------------------------------------------------------------------------------------------
# Known differences
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Case:
    """One field mismatch, as a known-difference predicate sees it."""
    path: str
    raw: bytes
    message: Any  # the reference parse (email.message.EmailMessage)
    field: str
    expected: Any  # reference.py's value
    actual: Any  # mailtrigger's value
    payload: dict  # mailtrigger's whole payload


@dataclasses.dataclass(frozen=True)
class KnownDifference:
    """A deliberate disagreement: mismatches in ``fields`` for which ``predicate`` holds pass."""
    name: str
    fields: tuple[str, ...]
    reason: str
    predicate: Callable[[Case], bool]


def _split_head(raw: bytes) -> tuple[bytes, bytes]:
    match = re.search(rb"\r?\n\r?\n", raw)
    return (raw, b"") if match is None else (raw[:match.start()], raw[match.start():])


def _rewrite_fields(raw: bytes, names: tuple[bytes, ...], change: Callable[[bytes], bytes],
                    *, everywhere: bool = False) -> bytes:
    """Apply ``change`` to the values (folding included) of the named header fields.

    Only the top-level header block, unless ``everywhere`` (then every line that starts a
    field with such a name, including the headers of body parts). Fields that ``change``
    leaves alone keep their exact bytes, so sizes of enclosing parts do not move."""
    pattern = re.compile(rb"(?im)^(" + b"|".join(re.escape(n) for n in names)
                         + rb")([ \t]*:)(.*(?:\r?\n[ \t].*)*)")

    def fix(match: re.Match) -> bytes:
        value = match.group(3)
        changed = change(value)
        return match.group(0) if changed == value else match.group(1) + match.group(2) + changed
    if everywhere:
        return pattern.sub(fix, raw)
    head, rest = _split_head(raw)
    return pattern.sub(fix, head) + rest


def _join_adjacent_encoded_words(value: bytes) -> bytes:
    return re.sub(rb"(\?=)(?:\r?\n)?[ \t]+(?==\?)", rb"\1", value)


def _strip_comments(value: bytes) -> bytes:
    """Remove RFC 5322 comments (nested parentheses) outside quoted strings."""
    out, depth, quoted, escaped = bytearray(), 0, False, False
    for byte in value:
        char = chr(byte)
        if escaped:
            escaped = False
            if depth == 0:
                out.append(byte)
            continue
        if char == "\\":
            escaped = True
            if depth == 0:
                out.append(byte)
            continue
        if quoted:
            quoted = char != '"'
            out.append(byte)
        elif char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        elif depth == 0:
            quoted = char == '"'
            out.append(byte)
    return bytes(out)


@functools.lru_cache(maxsize=256)
def _extract_cached(raw: bytes) -> dict:
    return reference.extract(raw)


def matches_reference_after(rewrite: Callable[[bytes], bytes]) -> Callable[[Case], bool]:
    """A predicate: the message is one ``rewrite`` changes, and mailtrigger's value equals the
    reference's value for the rewritten message (i.e. what Python gives once its quirk is
    worked around in the input)."""
    def predicate(case: Case) -> bool:
        rewritten = rewrite(case.raw)
        if rewritten == case.raw:
            return False
        return field_equal(case.field, _extract_cached(rewritten)[case.field], case.actual)
    return predicate


def _undeclared_8bit_text(case: Case) -> bool:
    part = case.message.get_body(preferencelist=("plain",))
    if part is None or part.get_param("charset") is not None:
        return False
    payload = part.get_payload(decode=True) or b""
    if not re.search(rb"[\x80-\xff]", payload):
        return False
    for charset in ("utf-8", "windows-1252", "iso-8859-1"):
        try:
            candidate = payload.decode(charset)
        except UnicodeDecodeError:
            continue
        if field_equal("text", candidate, case.actual):
            return True
    return False


def unflow(text: str, delsp: bool = False) -> str:
    """Decode RFC 3676 format=flowed text (soft line breaks are a trailing space)."""
    out, current, depth_of_current = [], None, 0
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]  # space-stuffing
        flowed = content.endswith(" ") and content != "-- "
        if flowed and delsp:
            content = content[:-1]
        if current is not None and depth == depth_of_current:
            current += content
        else:
            if current is not None:
                out.append(">" * depth_of_current + (" " if depth_of_current else "") + current)
            current, depth_of_current = content, depth
        if not flowed:
            out.append(">" * depth + (" " if depth else "") + current)
            current = None
    if current is not None:
        out.append(">" * depth_of_current + (" " if depth_of_current else "") + current)
    return "\n".join(out)


def _flowed_text(case: Case) -> bool:
    part = case.message.get_body(preferencelist=("plain",))
    if part is None or str(part.get_param("format", "")).lower() != "flowed" or case.expected is None:
        return False
    delsp = str(part.get_param("delsp", "")).lower() == "yes"
    return field_equal("text", unflow(case.expected, delsp), case.actual)


def _truncated_text(case: Case) -> bool:
    if case.payload.get("textTruncated") is not True:
        return False
    want, got = norm_text(case.expected), norm_text(case.actual)
    return isinstance(want, str) and isinstance(got, str) and want.startswith(got)


#: Deliberate disagreements between mailtrigger and Python. A mismatch in one of ``fields``
#: passes when ``predicate(case)`` is true; each use is reported. Keep the predicates narrow
#: (accept mailtrigger's value only when it is the specific better answer) and keep this table
#: in step with docs/mime-differential.md.
KNOWN_DIFFERENCES: list[KnownDifference] = [
    KnownDifference(
        name="display-name-adjacent-encoded-words",
        fields=("from", "to", "cc"),
        reason="RFC 2047 6.2: whitespace between adjacent encoded words is not displayed. Python "
               "drops it in unstructured fields (Subject) but keeps it inside display names "
               "(\"=?utf-8?q?Jo?= =?utf-8?q?rg?=\" gives \"Jo rg\"). Accepted when mailtrigger "
               "equals Python's answer for the same field with that whitespace removed.",
        predicate=matches_reference_after(lambda raw: _rewrite_fields(
            raw, (b"from", b"to", b"cc"), _join_adjacent_encoded_words)),
    ),
    KnownDifference(
        name="content-type-comment",
        fields=("text", "attachments"),
        reason="RFC 2045 allows comments in Content-Type (\"text/plain (body); charset=...\"). "
               "Python's get_content_type() keeps the comment in the type, so the part is no "
               "longer text/plain. Accepted when mailtrigger equals Python's answer with the "
               "comments removed.",
        predicate=matches_reference_after(lambda raw: _rewrite_fields(
            raw, (b"content-type",), _strip_comments, everywhere=True)),
    ),
    KnownDifference(
        name="undeclared-charset-8bit",
        fields=("text",),
        reason="A text part with 8-bit bytes and no charset: RFC 2045 says us-ascii, so Python "
               "replaces every non-ASCII byte with U+FFFD. Accepted when mailtrigger decoded the "
               "bytes as UTF-8, Windows-1252 or ISO-8859-1 instead.",
        predicate=_undeclared_8bit_text,
    ),
    KnownDifference(
        name="format-flowed",
        fields=("text",),
        reason="Python returns format=flowed text (RFC 3676) as sent. Accepted when mailtrigger "
               "returns it unflowed (soft line breaks joined); the raw form already matches.",
        predicate=_flowed_text,
    ),
    KnownDifference(
        name="text-truncated",
        fields=("text",),
        reason="The payload caps text at --max-body-bytes (1 MiB of UTF-8 by default) and says so "
               "with textTruncated; Python has no cap. Accepted when textTruncated is true and "
               "mailtrigger's text is a prefix of Python's.",
        predicate=_truncated_text,
    ),
]

# --------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Result:
    """The outcome for one message."""
    path: str
    mismatches: dict[str, str] = dataclasses.field(default_factory=dict)  # field -> detail
    excused: dict[str, str] = dataclasses.field(default_factory=dict)  # field -> known difference

    @property
    def passed(self) -> bool:
        return not self.mismatches


def run_inspect(binary: str, path: str, timeout: float) -> tuple[dict | None, str | None]:
    """Run ``binary inspect path``; returns (payload, None) or (None, error)."""
    try:
        proc = subprocess.run([binary, "inspect", path], capture_output=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout:g} s"
    except OSError as error:
        return None, f"cannot run: {error}"
    if proc.returncode != 0:
        stderr = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        return None, f"exit status {proc.returncode}" + (": " + " | ".join(stderr) if stderr else "")
    try:
        payload = json.loads(proc.stdout)
    except ValueError as error:
        return None, f"stdout is not JSON ({error}): {proc.stdout[:200]!r}"
    if not isinstance(payload, dict):
        return None, f"stdout is JSON {type(payload).__name__}, not an object"
    return payload, None


def _show(value: Any) -> str:
    if isinstance(value, collections.Counter):
        value = sorted(([f, t, s] for (f, t, s), n in value.items() for _ in range(n)),
                       key=lambda item: json.dumps(item))
    return json.dumps(value, ensure_ascii=False)


def describe(field: str, expected: Any, actual: Any) -> str:
    """A short human-readable diff of one field."""
    try:
        want = NORMALISE[field](expected)
    except ShapeError as error:  # cannot happen for reference output, but stay robust
        return f"reference value malformed: {error}"
    if field not in actual:
        return "missing from the payload"
    try:
        got = NORMALISE[field](actual[field])
    except ShapeError as error:
        return f"wrong shape: {error}"
    if field == "text" and isinstance(want, str) and isinstance(got, str):
        diff = list(difflib.unified_diff(want.split("\n"), got.split("\n"), "reference", "mailtrigger",
                                         n=1, lineterm=""))
        shown = diff[:16] + ([f"... ({len(diff) - 16} more diff lines)"] if len(diff) > 16 else [])
        return "\n".join(line[:160] for line in shown)
    if field == "attachments":
        missing, extra = want - got, got - want
        return f"only in reference: {_show(missing)}\nonly in mailtrigger: {_show(extra)}"
    return f"reference:   {_show(want)}\nmailtrigger: {_show(got)}"


_MISSING = object()  # a payload field that is absent


def reference_of(raw: bytes) -> tuple[Any, dict | None, str | None]:
    """(parsed message, reference fields, None) or (None, None, error)."""
    try:
        message = reference.parse(raw)
        return message, reference.extract_message(message, raw), None
    except Exception as error:  # noqa: BLE001 - a reference crash is a finding, not a stop
        return None, None, f"{type(error).__name__}: {error}"


def compare(path: str, raw: bytes, payload: dict, known: list[KnownDifference],
            computed: tuple[Any, dict | None, str | None] | None = None) -> Result:
    """Compare one payload with the reference for the same bytes (``computed``: reference_of(raw))."""
    result = Result(path)
    message, expected, error = computed or reference_of(raw)
    if error is not None:
        result.mismatches["reference"] = error
        return result
    for field in FIELDS:
        actual = payload.get(field, _MISSING)
        if actual is not _MISSING and field_equal(field, expected[field], actual):
            continue
        case = Case(path, raw, message, field, expected[field], actual, payload)
        explained = next((k for k in known if field in k.fields and actual is not _MISSING
                          and _safe(k.predicate, case)), None)
        if explained is not None:
            result.excused[field] = explained.name
        else:
            result.mismatches[field] = describe(field, expected[field], payload)
    return result


def _safe(predicate: Callable[[Case], bool], case: Case) -> bool:
    try:
        return bool(predicate(case))
    except Exception:  # noqa: BLE001 - a broken predicate explains nothing
        return False


def corpus_files(directory: str, only: list[str] | None) -> list[str]:
    names = sorted(n for n in os.listdir(directory) if n.endswith(".eml"))
    if only:
        wanted = set(only)
        names = [n for n in names if n in wanted or n.removesuffix(".eml") in wanted]
    return [os.path.join(directory, n) for n in names]


def resolve_binary(binary: str) -> str | None:
    if os.sep in binary or (os.altsep and os.altsep in binary):
        return os.path.abspath(binary) if os.path.isfile(binary) and os.access(binary, os.X_OK) else None
    return shutil.which(binary)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Compare `mailtrigger inspect` with Python's email package on a corpus.")
    parser.add_argument("--binary", required=True, metavar="PATH", help="the mailtrigger executable")
    parser.add_argument("--corpus", required=True, metavar="DIR", help="directory of *.eml messages")
    parser.add_argument("--generate", type=int, metavar="N",
                        help="first write N messages into DIR with gen_corpus.py (replaces NNNN.eml)")
    parser.add_argument("--seed", type=int, default=gen_corpus.DEFAULT_SEED,
                        help=f"seed for --generate (default {gen_corpus.DEFAULT_SEED})")
    parser.add_argument("--jobs", type=int, default=2, help="parallel inspect processes (default 2)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per inspect (default 30)")
    parser.add_argument("--show", type=int, default=10, help="failing messages to detail (default 10)")
    parser.add_argument("--min-messages", type=int, default=MIN_MESSAGES,
                        help=f"fail if fewer messages were compared (default {MIN_MESSAGES})")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="compare only these files (e.g. 0042.eml)")
    parser.add_argument("--report", metavar="FILE", help="also write every mismatch and excuse as JSON")
    parser.add_argument("--schema", metavar="FILE",
                        help="also validate every payload against this JSON Schema (needs the jsonschema package)")
    args = parser.parse_args(argv)

    binary = resolve_binary(args.binary)
    if binary is None:
        parser.error(f"--binary {args.binary!r} is not an executable file")
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8", errors="backslashreplace")
    started = time.monotonic()
    if args.generate is not None:
        if args.generate < 1:
            parser.error("--generate must be positive")
        gen_corpus.generate(args.corpus, args.generate, args.seed, quiet=True)
        print(f"generated {args.generate} messages in {args.corpus} (seed {args.seed})")
    if not os.path.isdir(args.corpus):
        parser.error(f"--corpus {args.corpus!r} is not a directory")
    files = corpus_files(args.corpus, args.only)
    print(f"comparing {len(files)} messages: {binary} inspect vs Python {sys.version.split()[0]} email")

    validator = None
    if args.schema:
        try:
            import jsonschema  # noqa: PLC0415 - optional, only for --schema
        except ImportError:
            parser.error("--schema needs the jsonschema package (pip install jsonschema)")
        with open(args.schema, encoding="utf-8") as handle:
            schema = json.load(handle)
        jsonschema.Draft202012Validator.check_schema(schema)
        validator = jsonschema.Draft202012Validator(schema)

    results: list[Result] = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(run_inspect, binary, path, args.timeout) for path in files]
        for path, future in zip(files, futures):
            with open(path, "rb") as handle:
                raw = handle.read()
            computed = reference_of(raw)  # while the pool runs inspect
            payload, error = future.result()
            if error is not None:
                result = Result(path, mismatches={"inspect": error})
            else:
                result = compare(path, raw, payload, KNOWN_DIFFERENCES, computed)
                if validator is not None:
                    violation = next(iter(validator.iter_errors(payload)), None)
                    if violation is not None:
                        where = "/".join(str(p) for p in violation.absolute_path) or "(root)"
                        result.mismatches["schema"] = f"{where}: {violation.message}"
            results.append(result)
    elapsed = time.monotonic() - started

    failed = [r for r in results if not r.passed]
    by_field = collections.Counter(f for r in failed for f in r.mismatches)
    print("mismatches by field: " + ", ".join(f"{f}={by_field[f]}" for f in FIELDS + PROCESS_FIELDS))
    excused = collections.defaultdict(list)
    for r in results:
        for field, name in r.excused.items():
            excused[name].append(f"{os.path.basename(r.path)}:{field}")
    only_known = sum(1 for r in results if r.passed and r.excused)
    print(f"passed only through known differences: {only_known} messages")
    for known in KNOWN_DIFFERENCES:
        uses = excused.get(known.name, [])
        shown = ", ".join(uses[:8]) + (f", ... ({len(uses) - 8} more)" if len(uses) > 8 else "")
        print(f"known difference {known.name}: {len(uses)} field(s)" + (f" [{shown}]" if uses else ""))
    for r in failed[:args.show]:
        print(f"--- {os.path.basename(r.path)}")
        for field, detail in r.mismatches.items():
            print(f"  {field}:")
            for line in detail.splitlines():
                print(f"    {line}")
    if len(failed) > args.show:
        print(f"... and {len(failed) - args.show} more failing messages")
    if args.report:
        with open(args.report, "w", encoding="utf-8") as handle:
            json.dump([{"file": os.path.basename(r.path), "mismatches": r.mismatches, "excused": r.excused}
                       for r in results if r.mismatches or r.excused], handle, ensure_ascii=False, indent=1)
    sys.stdout.flush()
    print(f"differential: {len(results)} messages in {elapsed:.1f} s with {args.jobs} workers", file=sys.stderr)
    status = 0
    if failed:
        status = 1
    if len(results) < args.min_messages:
        print(f"too few messages compared: {len(results)} < {args.min_messages}")
        status = 1
    sys.stdout.flush()
    print(f"differential: {len(results) - len(failed)} passed, {len(failed)} failed")
    return status


if __name__ == "__main__":
    sys.exit(main())
