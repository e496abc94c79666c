#!/usr/bin/env python3
"""Reference MIME extraction with Python's standard ``email`` package.

For each message this module computes the fields of mailtrigger's payload that the
differential test compares (see docs/mime-differential.md):

    subject      str or None   decoded Subject, unfolded (line breaks removed)
    from/to/cc   [{"name": str|None, "address": str}]   groups flattened
    text         str or None   the best text/plain body, line ends "\\n"
    attachments  [{"filename": str|None, "contentType": "type/subtype", "size": int}]

It is both a module (``extract(raw_bytes) -> dict``) and a command:

    scripts/mime/reference.py FILE.eml...        one JSON object per line, in argument order

Rules, all on top of ``BytesParser(policy=email.policy.default)``:

* ``text``: ``msg.get_body(preferencelist=('plain',)).get_content()``. A charset Python does
  not know is decoded as UTF-8 with replacement characters instead of raising.
* ``attachments``: every leaf of the MIME tree (descending into multipart/*, never into
  message/*, which is itself one leaf) that has ``Content-Disposition: attachment``, or a
  filename (``get_filename()``, i.e. ``filename`` or Content-Type ``name``), or whose type is
  neither text/plain nor text/html. The parts chosen by ``get_body(('plain',))`` and
  ``get_body(('html',))`` are never attachments. ``size`` is the decoded byte count; for a
  message/* leaf it is the byte count of the encapsulated message as it appears in the source
  (Python re-parses it into objects, so the bytes are taken from a second parse in which
  message/* bodies are kept flat).
* Strings that still carry raw 8-bit bytes from a header (Python keeps them as surrogate
  escapes, e.g. in display names) are decoded as UTF-8, as RFC 6532 intends.
* An empty filename or display name is reported as null.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

__all__ = ["FIELDS", "parse", "extract", "extract_message", "main"]

#: The payload fields this module produces, in output order.
FIELDS = ("subject", "from", "to", "cc", "text", "attachments")

_PARSER = BytesParser(policy=policy.default)
_FOLD = re.compile(r"\r\n|\r|\n")


class _FlatMessage(EmailMessage):
    """An EmailMessage whose message/* bodies the parser leaves unparsed.

    ``email.feedparser`` decides whether to recurse into an encapsulated message by asking
    ``get_content_type()``/``get_content_maintype()``; answering application/octet-stream for
    message/* makes it store the body as a plain payload, byte for byte as in the source
    (minus the line end that belongs to the next boundary, as for any part).
    """

    def get_content_type(self) -> str:  # noqa: D401 - overrides EmailMessage
        ctype = super().get_content_type()
        return "application/octet-stream" if ctype.startswith("message/") else ctype


_FLAT_PARSER = BytesParser(_class=_FlatMessage, policy=policy.default)


def parse(raw: bytes) -> EmailMessage:
    """Parse raw message bytes exactly as the reference does."""
    return _PARSER.parsebytes(raw)


def _clean(value: str | None) -> str | None:
    """Turn surrogate-escaped raw bytes (from 8-bit headers) into text, decoding as UTF-8."""
    if value is None:
        return None
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        try:
            return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        except UnicodeEncodeError:
            return value.encode("utf-8", "replace").decode("utf-8")


def _subject(msg: EmailMessage) -> str | None:
    header = msg.get("subject")
    if header is None:
        return None
    return _clean(_FOLD.sub("", str(header)))


def _addresses(msg: EmailMessage, name: str) -> list[dict]:
    header = msg.get(name)
    if header is None:
        return []
    result = []
    for address in getattr(header, "addresses", ()):
        result.append({
            "name": _clean(address.display_name) or None,
            "address": _clean(address.addr_spec),
        })
    return result


def _text_of(part: EmailMessage) -> str:
    try:
        text = part.get_content()
    except LookupError:  # unknown charset
        payload = part.get_payload(decode=True) or b""
        text = payload.decode("utf-8", "replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _leaves(part: EmailMessage, path: tuple[int, ...] = ()):
    """Yield (path, part) for every leaf; message/* parts are leaves."""
    if part.get_content_maintype() == "multipart" and part.is_multipart():
        for index, child in enumerate(part.get_payload()):
            yield from _leaves(child, path + (index,))
    else:
        yield path, part


def _at(part: EmailMessage, path: tuple[int, ...]) -> EmailMessage:
    for index in path:
        part = part.get_payload()[index]
    return part


def _decoded_size(part: EmailMessage) -> int:
    payload = part.get_payload(decode=True)
    return len(payload) if payload is not None else 0


def _filename(part: EmailMessage) -> str | None:
    try:
        name = part.get_filename()
    except Exception:  # noqa: BLE001 - a malformed parameter must not abort the run
        return None
    return _clean(name) or None


def _attachments(msg: EmailMessage, raw: bytes, bodies: tuple) -> list[dict]:
    result = []
    flat = None
    for path, part in _leaves(msg):
        if any(part is body for body in bodies):
            continue
        ctype = part.get_content_type().lower()
        filename = _filename(part)
        if not (part.get_content_disposition() == "attachment"
                or filename is not None
                or ctype not in ("text/plain", "text/html")):
            continue
        if ctype.startswith("multipart/"):
            continue  # a multipart without a usable boundary: a broken container, not a file
        if part.get_content_maintype() == "message":
            if flat is None:
                flat = _FLAT_PARSER.parsebytes(raw)
            size = _decoded_size(_at(flat, path))
        else:
            size = _decoded_size(part)
        result.append({"filename": filename, "contentType": ctype, "size": size})
    return result


def extract_message(msg: EmailMessage, raw: bytes) -> dict:
    """The reference fields of an already parsed message (``raw`` is needed for message/* sizes)."""
    text_part = msg.get_body(preferencelist=("plain",))
    html_part = msg.get_body(preferencelist=("html",))
    return {
        "subject": _subject(msg),
        "from": _addresses(msg, "from"),
        "to": _addresses(msg, "to"),
        "cc": _addresses(msg, "cc"),
        "text": _text_of(text_part) if text_part is not None else None,
        "attachments": _attachments(msg, raw, (text_part, html_part)),
    }


def extract(raw: bytes) -> dict:
    """Parse ``raw`` and return the reference fields (keys in ``FIELDS`` order)."""
    return extract_message(parse(raw), raw)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Print, for each message, one JSON object (one line) with the fields "
                    "mailtrigger's payload must agree on, as Python's email package sees them.")
    parser.add_argument("files", nargs="+", metavar="FILE.eml", help="raw RFC 5322 message files")
    parser.add_argument("--pretty", action="store_true", help="indent the JSON (one object per block)")
    args = parser.parse_args(argv)

    out = sys.stdout
    if hasattr(out, "reconfigure"):
        out.reconfigure(encoding="utf-8")
    status = 0
    for name in args.files:
        try:
            with open(name, "rb") as handle:
                fields = extract(handle.read())
        except Exception as error:  # noqa: BLE001 - report and go on with the next file
            print(f"reference.py: {name}: {type(error).__name__}: {error}", file=sys.stderr)
            status = 1
            continue
        out.write(json.dumps(fields, ensure_ascii=False, indent=2 if args.pretty else None))
        out.write("\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
