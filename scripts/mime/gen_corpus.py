#!/usr/bin/env python3
"""Generate a deterministic corpus of varied RFC 5322 messages for the MIME differential test.

    scripts/mime/gen_corpus.py OUT_DIR [--count N] [--seed S] [--large]

writes ``OUT_DIR/0000.eml`` ... (raw bytes; CRLF line ends except a few messages with bare LF
or mixed line ends) and prints a summary of the features covered. The same count, seed and
options give byte-identical files (every message draws from its own ``random.Random`` seeded
with the corpus seed and its index; compressed data is written as stored deflate blocks, so
not even the local zlib matters). Existing ``NNNN.eml`` files in OUT_DIR are replaced; other
files are left alone.

Most messages are built with Python's ``email`` package (``EmailMessage`` with
``email.policy.default``; the older ``email.mime`` classes with ``compat32``); forms the builders
cannot make (lower-case quoted-printable, odd base64 line lengths, hand-written RFC 2231
continuations, encoded words with language tags, groups and comments in address lists,
missing close delimiters, headerless parts...) come from raw templates. Top-level headers are
written by hand, by ``EmailMessage`` or by ``email.header.Header`` (compat32).

``--large`` adds ``max(20, N // 20)`` messages with attachments of 100 KB to 2 MB (numbered
after the N ordinary ones), for the benchmark corpus.

Only the standard library is used.
"""
from __future__ import annotations

import argparse
import base64
import collections
import datetime
import html
import io
import os
import random
import re
import struct
import sys
import zipfile
import zlib
from email import encoders, policy
from email.header import Header
from email.headerregistry import Address, Group
from email.message import EmailMessage, Message
from email.mime.application import MIMEApplication
from email.mime.base import MIMEBase
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.parser import BytesParser
from email.utils import format_datetime, formataddr

sys.dont_write_bytecode = True  # importing the sibling modules leaves no __pycache__ in the repository
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference  # noqa: E402  (sibling module)

DEFAULT_SEED = 5322
DEFAULT_COUNT = 500

#: Every part is generated with "\n" line ends; the finished message is converted. Header
#: fields parsed from source (forwarded messages) are written back exactly as they were:
#: Python's refolding of address lists can encode the separating comma into an encoded word.
LF = policy.default.clone(linesep="\n", refold_source="none")
COMPAT_LF = policy.compat32.clone(linesep="\n")

# --------------------------------------------------------------------------------------------
# Sample text
# --------------------------------------------------------------------------------------------

SENTENCES = {
    "en": [
        "The quarterly report is attached; please review it before Thursday's meeting.",
        "Let me know if you have any questions about the new deployment schedule.",
        "We shipped version 2.3 last night, and the rollout went smoothly.",
        "Reminder: the office is closed on Monday for the holiday.",
        "Please find the minutes of yesterday's call below.",
        "Could you send me the updated spreadsheet by end of day?",
        "Cheers, and have a great weekend.",
        "Lunch is on me next time \u2014 thanks again for the help!",
        "\u201cSmart quotes\u201d and \u2018single quotes\u2019 sometimes sneak into plain text\u2026",
        "The invoice total is \u20ac1,250.00 including VAT.",
    ],
    "de": [
        "Die Gr\u00f6\u00dfe der Datei betr\u00e4gt ungef\u00e4hr zw\u00f6lf Megabyte.",
        "Gr\u00fc\u00dfe aus M\u00fcnchen und vielen Dank f\u00fcr Ihre schnelle Antwort!",
        "K\u00f6nnten Sie mir bitte die Unterlagen bis Freitag zusenden?",
        "Der Bericht f\u00fcr das erste Quartal ist fertig.",
        "Stra\u00dfe, Ma\u00df und Fu\u00df schreibt man mit \u00df.",
        "Die Rechnung \u00fcber 300 \u20ac ist beglichen.",
        "\u00dcber den Wolken muss die Freiheit wohl grenzenlos sein.",
    ],
    "fr": [
        "Le c\u0153ur a ses raisons que la raison ne conna\u00eet point.",
        "Voici le compte rendu de la r\u00e9union de mardi dernier.",
        "Pourriez-vous m'envoyer la facture corrig\u00e9e avant vendredi ?",
        "\u00c7a co\u00fbte 20 \u20ac pour les \u00e9l\u00e8ves.",
        "No\u00ebl approche : \u00e0 bient\u00f4t, ch\u00e8re amie !",
        "L'\u00e9t\u00e9 dernier, nous sommes all\u00e9s \u00e0 la plage pr\u00e8s de N\u00eemes.",
    ],
    "es": [
        "\u00bfD\u00f3nde est\u00e1 la biblioteca?",
        "Ma\u00f1ana enviar\u00e9 el informe con los \u00faltimos n\u00fameros.",
        "El ping\u00fcino comi\u00f3 jam\u00f3n y pi\u00f1a en el a\u00f1o nuevo.",
        "\u00a1Muchas gracias por tu ayuda con la migraci\u00f3n!",
        "La reuni\u00f3n ser\u00e1 a las diez en punto.",
    ],
    "cs": [
        "P\u0159\u00edli\u0161 \u017elu\u0165ou\u010dk\u00fd k\u016f\u0148 \u00fap\u011bl \u010f\u00e1belsk\u00e9 \u00f3dy.",
        "D\u011bkuji za rychlou odpov\u011b\u010f, p\u0159eji hezk\u00fd den.",
        "Zpr\u00e1va za prvn\u00ed \u010dtvrtlet\u00ed je v p\u0159\u00edloze.",
        "Sch\u016fzka se p\u0159esouv\u00e1 na \u010dtvrtek r\u00e1no.",
    ],
    "pl": [
        "Za\u017c\u00f3\u0142\u0107 g\u0119\u015bl\u0105 ja\u017a\u0144.",
        "Dzi\u0119kuj\u0119 za szybk\u0105 odpowied\u017a i pozdrawiam serdecznie.",
        "Raport kwartalny znajduje si\u0119 w za\u0142\u0105czniku.",
        "Spotkanie odb\u0119dzie si\u0119 w \u015brod\u0119 o godzinie dziesi\u0105tej.",
    ],
    "ru": [
        "\u0421\u044a\u0435\u0448\u044c \u0436\u0435 \u0435\u0449\u0451 \u044d\u0442\u0438\u0445 \u043c\u044f\u0433\u043a\u0438\u0445 \u0444\u0440\u0430\u043d\u0446\u0443\u0437\u0441\u043a\u0438\u0445 \u0431\u0443\u043b\u043e\u043a, \u0434\u0430 \u0432\u044b\u043f\u0435\u0439 \u0447\u0430\u044e.",
        "\u041e\u0442\u0447\u0451\u0442 \u0437\u0430 \u043f\u0435\u0440\u0432\u044b\u0439 \u043a\u0432\u0430\u0440\u0442\u0430\u043b \u0432\u043e \u0432\u043b\u043e\u0436\u0435\u043d\u0438\u0438.",
        "\u0421\u043f\u0430\u0441\u0438\u0431\u043e \u0437\u0430 \u0431\u044b\u0441\u0442\u0440\u044b\u0439 \u043e\u0442\u0432\u0435\u0442, \u0445\u043e\u0440\u043e\u0448\u0435\u0433\u043e \u0434\u043d\u044f!",
        "\u0412\u0441\u0442\u0440\u0435\u0447\u0430 \u043f\u0435\u0440\u0435\u043d\u043e\u0441\u0438\u0442\u0441\u044f \u043d\u0430 \u0447\u0435\u0442\u0432\u0435\u0440\u0433, \u0434\u0435\u0441\u044f\u0442\u044c \u0443\u0442\u0440\u0430.",
        "\u0428\u0438\u0440\u043e\u043a\u0430\u044f \u044d\u043b\u0435\u043a\u0442\u0440\u0438\u0444\u0438\u043a\u0430\u0446\u0438\u044f \u044e\u0436\u043d\u044b\u0445 \u0433\u0443\u0431\u0435\u0440\u043d\u0438\u0439 \u0434\u0430\u0441\u0442 \u043c\u043e\u0449\u043d\u044b\u0439 \u0442\u043e\u043b\u0447\u043e\u043a.",
    ],
    "el": [
        "\u039a\u03b1\u03bb\u03b7\u03bc\u03ad\u03c1\u03b1 \u03ba\u03cc\u03c3\u03bc\u03b5, \u03c4\u03b9 \u03ba\u03ac\u03bd\u03b5\u03b9\u03c2 \u03c3\u03ae\u03bc\u03b5\u03c1\u03b1;",
        "\u0397 \u03b1\u03bd\u03b1\u03c6\u03bf\u03c1\u03ac \u03c4\u03bf\u03c5 \u03c0\u03c1\u03ce\u03c4\u03bf\u03c5 \u03c4\u03c1\u03b9\u03bc\u03ae\u03bd\u03bf\u03c5 \u03b5\u03c0\u03b9\u03c3\u03c5\u03bd\u03ac\u03c0\u03c4\u03b5\u03c4\u03b1\u03b9.",
        "\u0395\u03c5\u03c7\u03b1\u03c1\u03b9\u03c3\u03c4\u03ce \u03c0\u03bf\u03bb\u03cd \u03b3\u03b9\u03b1 \u03c4\u03b7 \u03b3\u03c1\u03ae\u03b3\u03bf\u03c1\u03b7 \u03b1\u03c0\u03ac\u03bd\u03c4\u03b7\u03c3\u03b7.",
    ],
    "ja": [
        "\u3044\u308d\u306f\u306b\u307b\u3078\u3068 \u3061\u308a\u306c\u308b\u3092 \u308f\u304b\u3088\u305f\u308c\u305d \u3064\u306d\u306a\u3089\u3080",
        "\u7b2c\u4e00\u56db\u534a\u671f\u306e\u5831\u544a\u66f8\u3092\u6dfb\u4ed8\u3044\u305f\u3057\u307e\u3059\u3002",
        "\u3054\u78ba\u8a8d\u306e\u307b\u3069\u3001\u3088\u308d\u3057\u304f\u304a\u9858\u3044\u3044\u305f\u3057\u307e\u3059\u3002",
        "\u660e\u65e5\u306e\u4f1a\u8b70\u306f\u5348\u524d\u5341\u6642\u304b\u3089\u59cb\u307e\u308a\u307e\u3059\u3002",
        "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3067\u3059\u3002\u30ab\u30bf\u30ab\u30ca\u3068\u3072\u3089\u304c\u306a\u3068\u6f22\u5b57\u3002",
    ],
    "zh-hans": [
        "\u6211\u80fd\u541e\u4e0b\u73bb\u7483\u800c\u4e0d\u4f24\u8eab\u4f53\u3002",
        "\u7b2c\u4e00\u5b63\u5ea6\u7684\u62a5\u544a\u5df2\u9644\u4e0a\uff0c\u8bf7\u67e5\u6536\u3002",
        "\u611f\u8c22\u60a8\u7684\u5feb\u901f\u56de\u590d\uff0c\u795d\u60a8\u6709\u7f8e\u597d\u7684\u4e00\u5929\uff01",
        "\u4f1a\u8bae\u6539\u5230\u661f\u671f\u56db\u4e0a\u5348\u5341\u70b9\u3002",
        "\u6731\u9555\u57fa\u603b\u7406\u8bbf\u95ee\u4e86\u4e0a\u6d77\u3002",
    ],
    "zh-hant": [
        "\u6211\u80fd\u541e\u4e0b\u73bb\u7483\u800c\u4e0d\u50b7\u8eab\u9ad4\u3002",
        "\u7b2c\u4e00\u5b63\u7684\u5831\u544a\u5df2\u9644\u4e0a\uff0c\u8acb\u67e5\u6536\u3002",
        "\u611f\u8b1d\u60a8\u7684\u5feb\u901f\u56de\u8986\uff0c\u795d\u60a8\u6709\u7f8e\u597d\u7684\u4e00\u5929\uff01",
        "\u6703\u8b70\u6539\u5230\u661f\u671f\u56db\u4e0a\u5348\u5341\u9ede\u3002",
    ],
    "ko": [
        "\ub098\ub294 \uc720\ub9ac\ub97c \uba39\uc744 \uc218 \uc788\uc5b4\uc694. \uadf8\ub798\ub3c4 \uc544\ud504\uc9c0 \uc54a\uc544\uc694.",
        "1\ubd84\uae30 \ubcf4\uace0\uc11c\ub97c \ucca8\ubd80\ud569\ub2c8\ub2e4.",
        "\ube60\ub978 \ub2f5\ubcc0 \uac10\uc0ac\ud569\ub2c8\ub2e4. \uc88b\uc740 \ud558\ub8e8 \ubcf4\ub0b4\uc138\uc694!",
        "\ud68c\uc758\ub294 \ubaa9\uc694\uc77c \uc624\uc804 10\uc2dc\ub85c \ubcc0\uacbd\ub418\uc5c8\uc2b5\ub2c8\ub2e4.",
    ],
    "emoji": [
        "Party time \U0001f389 see you there \U0001f680",
        "Deploy finished \u2705 all green \U0001f49a",
        "Coffee \u2615 at 10? \U0001f600",
        "Weather: \u2600\ufe0f then \U0001f327\ufe0f later",
    ],
}

#: Charsets each language is written in (the first is the most common).
CHARSETS = {
    "en": ["us-ascii", "utf-8", "iso-8859-1", "windows-1252"],
    "de": ["utf-8", "iso-8859-1", "iso-8859-15", "windows-1252"],
    "fr": ["utf-8", "iso-8859-15", "windows-1252", "iso-8859-1"],
    "es": ["utf-8", "iso-8859-1", "windows-1252"],
    "cs": ["utf-8", "iso-8859-2"],
    "pl": ["utf-8", "iso-8859-2"],
    "ru": ["utf-8", "koi8-r", "windows-1251", "iso-8859-5"],
    "el": ["utf-8", "iso-8859-7"],
    "ja": ["utf-8", "iso-2022-jp", "shift_jis", "euc-jp"],
    "zh-hans": ["utf-8", "gb2312", "gbk"],
    "zh-hant": ["utf-8", "big5"],
    "ko": ["utf-8", "euc-kr"],
    "emoji": ["utf-8"],
}
LANG_WEIGHTS = {"en": 30, "de": 8, "fr": 8, "es": 5, "cs": 4, "pl": 4, "ru": 8, "el": 3,
                "ja": 8, "zh-hans": 6, "zh-hant": 4, "ko": 4, "emoji": 4}
#: Charsets that are ASCII-only on the wire (may be sent 7bit).
SEVEN_BIT_CHARSETS = {"us-ascii", "iso-2022-jp"}

SPECIAL_LINES = [
    "From the desk of the project lead:",  # "From " at line start (mbox escaping territory)
    ".",  # a lone dot (SMTP transparency)
    "1 + 1 = 2, and a=b; 50% off =3D not an escape",
    "--",
    "-- not a boundary --",
    "col1\tcol2\tcol3",
    "trailing spaces here   ",
    "> quoted reply line",
    "> > doubly quoted",
    "",
]

PEOPLE = [
    ("John Smith", "john.smith", "en"), ("Alice Martin", "alice", "en"),
    ("Smith, John", "jsmith", "en"), ("Dr. Jane Doe", "jane.doe", "en"),
    ('John "JJ" Jones', "jj", "en"), ("Sales (EU)", "sales-eu", "en"),
    ("S\u00e9an O'Brien", "sean", "en"), ("J\u00f6rg M\u00fcller", "joerg", "de"),
    ("Fran\u00e7ois Lef\u00e8vre", "francois", "fr"), ("Jos\u00e9 N\u00fa\u00f1ez", "jose", "es"),
    ("\u0141ukasz \u017b\u00f3\u0142\u0107", "lukasz", "pl"), ("Ji\u0159\u00ed Dvo\u0159\u00e1k", "jiri", "cs"),
    ("\u0418\u0432\u0430\u043d \u041f\u0435\u0442\u0440\u043e\u0432", "ivan", "ru"),
    ("\u0396\u03c9\u03ae \u03a0\u03b1\u03c0\u03b1\u03b4\u03bf\u03c0\u03bf\u03cd\u03bb\u03bf\u03c5", "zoi", "el"),
    ("\u5c71\u7530\u592a\u90ce", "yamada", "ja"), ("\u738b\u5c0f\u660e", "wang", "zh-hans"),
    ("\u9673\u5927\u6587", "chan", "zh-hant"), ("\uae40\ucca0\uc218", "kim", "ko"),
    ("Support Team \U0001f680", "support", "emoji"), ("Billing Department", "billing", "en"),
    ("Mary-Ann O'Neil", "maryann", "en"), ("Zo\u00eb Saldana", "zoe", "en"),
]
DOMAINS = ["example.com", "example.org", "example.net", "mail.example.com", "corp.test",
           "lists.example.org", "xn--bcher-kva.example"]

FILENAMES_ASCII = ["report.pdf", "invoice-2024-03.pdf", "Quarterly Report Q1.pdf", "photo.png",
                   "scan_0001.jpg", "archive.zip", "data.csv", "notes.txt", "backup.bin",
                   "diagram.gif", "page.html", "meeting.ics", "contact.vcf", "config.json",
                   "README", "a;b.pdf", "file.with.many.dots.tar.gz"]
FILENAMES_UNICODE = ["r\u00e9sum\u00e9.pdf", "\u041e\u0442\u0447\u0451\u0442.pdf",
                     "\u8cc7\u6599.zip", "\u5831\u544a\u66f8.pdf", "Gr\u00fc\u00dfe.txt",
                     "\u20ac rates.csv", "\U0001f4ce attachment.png",
                     "\uacac\uc801\uc11c.pdf", "na\u00efve caf\u00e9 menu.pdf"]
FILENAMES_LONG = [
    "Annual financial statement for the fiscal year ending December thirty-first.pdf",
    "\u041e\u0442\u0447\u0451\u0442 \u0437\u0430 \u043f\u0435\u0440\u0432\u044b\u0439 "
    "\u043a\u0432\u0430\u0440\u0442\u0430\u043b \u2014 \u043e\u043a\u043e\u043d\u0447\u0430"
    "\u0442\u0435\u043b\u044c\u043d\u0430\u044f \u0432\u0435\u0440\u0441\u0438\u044f.pdf",
    "\u7b2c\u4e00\u56db\u534a\u671f\u306e\u5831\u544a\u66f8\u3068\u6dfb\u4ed8\u8cc7\u6599"
    "\u4e00\u5f0f\uff08\u6700\u7d42\u7248\uff09.pdf",
    "very_long_file_name_without_any_spaces_that_needs_folding_0123456789_abcdef.zip",
]

# --------------------------------------------------------------------------------------------
# Small deterministic helpers
# --------------------------------------------------------------------------------------------


def encodable(text: str, charset: str) -> bool:
    try:
        text.encode(charset)
        return True
    except UnicodeEncodeError:
        return False


_SENTENCE_CACHE: dict[tuple[str, str], list[str]] = {}


def sentences(lang: str, charset: str) -> list[str]:
    """The sample sentences of ``lang`` that ``charset`` can represent."""
    key = (lang, charset)
    if key not in _SENTENCE_CACHE:
        found = [s for s in SENTENCES[lang] if encodable(s, charset)]
        if not found:
            raise ValueError(f"no {lang} sentence fits {charset}")
        _SENTENCE_CACHE[key] = found
    return _SENTENCE_CACHE[key]


def zlib_stored(data: bytes) -> bytes:
    """A zlib stream of stored (uncompressed) blocks: identical with every zlib version."""
    out = bytearray(b"\x78\x01")
    chunks = [data[i:i + 65535] for i in range(0, len(data), 65535)] or [b""]
    for index, chunk in enumerate(chunks):
        final = 1 if index == len(chunks) - 1 else 0
        out += struct.pack("<BHH", final, len(chunk), len(chunk) ^ 0xFFFF) + chunk
    out += struct.pack(">I", zlib.adler32(data) & 0xFFFFFFFF)
    return bytes(out)


def png_bytes(rng: random.Random, width: int, height: int) -> bytes:
    """A valid RGB PNG with random pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = b"".join(b"\x00" + rng.randbytes(width * 3) for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib_stored(rows)) + chunk(b"IEND", b""))


def zip_bytes(rng: random.Random, members: int, size: int) -> bytes:
    """A stored (uncompressed) zip archive with fixed timestamps."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for index in range(members):
            info = zipfile.ZipInfo(f"file{index}.dat", date_time=(2024, 1, 2, 3, 4, 6))
            info.create_system = 3
            info.external_attr = 0o644 << 16
            archive.writestr(info, rng.randbytes(max(0, size // max(1, members))))
    return buffer.getvalue()


def binary_of(rng: random.Random, kind: str, size: int) -> bytes:
    """Plausible bytes for an attachment of ``kind`` (pdf, png, jpeg, gif, zip, bin, ...)."""
    if kind == "png":
        side = max(1, int((max(size, 64) / 3) ** 0.5))
        return png_bytes(rng, side, side)
    if kind == "zip":
        return zip_bytes(rng, rng.randint(1, 4), size)
    body = rng.randbytes(size)
    if kind == "pdf":
        return (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\nstream\n"
                + body + b"\nendstream\n%%EOF\n")
    if kind == "jpeg":
        return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + body + b"\xff\xd9"
    if kind == "gif":
        return b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + body + b"\x3b"
    return body


#: kind -> (content type, typical extension)
BINARY_TYPES = {
    "pdf": ("application/pdf", "pdf"), "png": ("image/png", "png"), "jpeg": ("image/jpeg", "jpg"),
    "gif": ("image/gif", "gif"), "zip": ("application/zip", "zip"),
    "bin": ("application/octet-stream", "bin"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "mp3": ("audio/mpeg", "mp3"),
}


def qp_encode(data: bytes, *, maxlen: int = 76, lower: bool = False, binary: bool = False) -> bytes:
    """Quoted-printable (RFC 2045 6.7) with "\\n" hard breaks and "=\\n" soft breaks.

    ``lower`` writes hex digits in lower case (legal to decode, common from some mailers);
    ``binary`` encodes line ends too (=0D=0A), as for non-text data.
    """
    hexfmt = "={:02x}" if lower else "={:02X}"
    lines = [data] if binary else data.split(b"\n")
    out = []
    for line in lines:
        tokens = []
        for position, byte in enumerate(line):
            last = position == len(line) - 1
            if (33 <= byte <= 126 and byte != 61) or (byte in (9, 32) and not last):
                tokens.append(chr(byte))
            else:
                tokens.append(hexfmt.format(byte))
        current = ""
        for token in tokens:
            if len(current) + len(token) > maxlen - 1:
                out.append(current + "=")
                current = ""
            current += token
        out.append(current)
    return "\n".join(out).encode("ascii")


def b64_encode(data: bytes, line_length: int | None = 76) -> bytes:
    """Base64 wrapped at ``line_length`` characters (None: one unwrapped line)."""
    encoded = base64.b64encode(data)
    if not line_length:
        return encoded
    return b"\n".join(encoded[i:i + line_length] for i in range(0, len(encoded), line_length))


_Q_SAFE = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")


def _encoded_word(text: str, charset: str, encoding: str, label: str, lang: str | None,
                  lower_hex: bool) -> str:
    data = text.encode(charset)
    if encoding.upper() == "B":
        payload = base64.b64encode(data).decode("ascii")
    else:
        fmt = "={:02x}" if lower_hex else "={:02X}"
        payload = "".join("_" if byte == 32 else chr(byte) if byte in _Q_SAFE else fmt.format(byte)
                          for byte in data)
    tag = f"*{lang}" if lang else ""
    return f"=?{label}{tag}?{encoding}?{payload}?="


def encode_words(text: str, charset: str, encoding: str = "B", *, label: str | None = None,
                 lang: str | None = None, lower_hex: bool = False, max_length: int = 75) -> list[str]:
    """RFC 2047 encoded words for ``text``, split at character boundaries (<= max_length each)."""
    label = label or charset
    words, chunk = [], ""
    for char in text:
        candidate = chunk + char
        if chunk and len(_encoded_word(candidate, charset, encoding, label, lang, lower_hex)) > max_length:
            words.append(_encoded_word(chunk, charset, encoding, label, lang, lower_hex))
            chunk = char
        else:
            chunk = candidate
    if chunk or not words:
        words.append(_encoded_word(chunk, charset, encoding, label, lang, lower_hex))
    return words


def fold(name: str, tokens: list[str], *, width: int = 76, fold_ws: str = " ") -> str:
    """``Name: tok tok ...`` folded before a token when a line would pass ``width``."""
    lines, current = [], f"{name}:"
    for token in tokens:
        if len(current) + 1 + len(token) > width and current.strip() not in (f"{name}:", ""):
            lines.append(current)
            current = fold_ws + token
        else:
            current += " " + token
    lines.append(current)
    return "\n".join(lines)


def header_block(lines: list[str]) -> bytes:
    """Join (already folded) header fields into a block ending in "\\n"."""
    return "".join(line + "\n" for line in lines).encode("utf-8")


def entity(headers: list[str], body: bytes) -> bytes:
    """A MIME entity: header fields, a blank line, the body (all "\\n" line ends)."""
    return header_block(headers) + b"\n" + body


def quote_param(value: str) -> str:
    """A parameter value, quoted if it is not a bare RFC 2045 token."""
    if value and re.fullmatch(r"[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+", value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def multipart(subtype: str, boundary: str, parts: list[bytes], *, params: str = "",
              preamble: str | None = None, epilogue: str | None = None, close: bool = True,
              padding: str = "", headers: list[str] | None = None, ctype_case: str | None = None,
              ) -> bytes:
    """A hand-written multipart entity (RFC 2046 5.1.1)."""
    ctype = ctype_case or f"multipart/{subtype}"
    head = list(headers or []) + [f"Content-Type: {ctype}; boundary={quote_param(boundary)}{params}"]
    body = b""
    if preamble is not None:
        body += preamble.encode("ascii") + b"\n"
    for part in parts:
        body += f"--{boundary}{padding}\n".encode("ascii") + part + b"\n"
    if close:
        body += f"--{boundary}--{padding}".encode("ascii")
        body += b"\n" + epilogue.encode("ascii") if epilogue is not None else b"\n"
    else:
        body = body[:-1]  # the message simply ends after the last part
    return entity(head, body)


# --------------------------------------------------------------------------------------------
# The generator
# --------------------------------------------------------------------------------------------


class Draft:
    """State for building one message: its random source, language and feature tags."""

    def __init__(self, seed: int, index: int):
        self.rng = random.Random(f"mailtrigger-mime-corpus:{seed}:{index}")
        self.index = index
        self.tags: list[str] = []
        self.header_style = "raw"  # raw | python | compat32
        self.lang = self.weighted(LANG_WEIGHTS)
        self.boundary_serial = 0

    # -- randomness ---------------------------------------------------------------------------
    def weighted(self, table: dict):
        keys = list(table)
        return self.rng.choices(keys, weights=[table[k] for k in keys])[0]

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def tag(self, *tags: str) -> None:
        self.tags.extend(tags)

    # -- text ---------------------------------------------------------------------------------
    def charset_for(self, lang: str | None = None) -> str:
        options = CHARSETS[lang or self.lang]
        return options[0] if self.chance(0.45) else self.rng.choice(options)

    def text(self, lang: str, charset: str, size: int | None = None, *, specials: bool = True) -> str:
        """Paragraphs of sample sentences, about ``size`` characters, ending in a newline."""
        if size is None:
            size = self.rng.choice([40, 120, 400, 900, 1500, 3000, 6000]) if self.chance(0.93) \
                else self.rng.choice([20000, 60000])
        pool = sentences(lang, charset)
        lines, length = [], 0
        if self.chance(0.5):
            lines += ["Hello,", ""]
        while length < size:
            roll = self.rng.random()
            if roll < 0.1 and specials:
                line = self.rng.choice(SPECIAL_LINES)
            elif roll < 0.2:
                # a long line, which quoted-printable must break softly (kept < 998 octets raw)
                line = " ".join(self.rng.choice(pool) for _ in range(4))[:240]
            elif roll < 0.35:
                line = ""
            else:
                line = " ".join(self.rng.choice(pool) for _ in range(self.rng.randint(1, 2)))
            lines.append(line)
            length += len(line) + 1
        if self.chance(0.4):
            lines += ["", "-- ", "Sent from the corpus generator"]
        return "\n".join(lines) + "\n"

    def html(self, lang: str, charset: str, *, images: list[str] = (), size: int | None = None) -> str:
        body = self.text(lang, charset, size, specials=False).strip("\n")
        paragraphs = "".join(f"<p>{html.escape(p)}</p>\n" for p in body.split("\n\n"))
        imgs = "".join(f'<img src="cid:{cid}" alt="image">\n' for cid in images)
        return (f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">'
                f"</head>\n<body>\n{paragraphs}{imgs}</body></html>\n")

    def flowed(self, lang: str, charset: str) -> str:
        """A format=flowed body (RFC 3676): soft breaks are a space before the line end."""
        pool = sentences(lang, charset)
        out = []
        for _ in range(self.rng.randint(1, 4)):
            words = " ".join(self.rng.choice(pool) for _ in range(self.rng.randint(2, 5))).split(" ")
            line = ""
            for word in words:
                if line and len(line) + len(word) > 66:
                    out.append(line + " ")
                    line = word
                else:
                    line = f"{line} {word}" if line else word
            out += [line, ""]
        return "\n".join(out) + "\n"

    def boundary(self) -> str:
        self.boundary_serial += 1
        n, r = self.boundary_serial, self.rng
        style = r.randrange(9)
        if style == 0:
            return f"----=_Part_{r.randint(0, 99999)}_{r.randint(10**8, 10**9)}.{r.randint(10**12, 10**13)}"
        if style == 1:
            return f"=_{r.randbytes(12).hex()}"
        if style == 2:
            return f"b{n}_{r.randbytes(16).hex()}"
        if style == 3:
            return f"Apple-Mail=_{r.randbytes(4).hex().upper()}-{r.randbytes(2).hex().upper()}-{r.randbytes(6).hex().upper()}"
        if style == 4:
            return f"000000000000{r.randbytes(7).hex()}"
        if style == 5:
            return f"simple boundary {n}"
        if style == 6:
            return f"'()+_,-./:=? {n}{r.randbytes(3).hex()}"
        if style == 7:
            return f"XX{n}"
        return ("=-" + r.randbytes(30).hex())[:70]

    # -- addresses ----------------------------------------------------------------------------
    def person(self) -> tuple[str, str, str, str]:
        name, local, lang = self.rng.choice(PEOPLE)
        return name, local, self.rng.choice(DOMAINS), lang

    def mailbox(self) -> str:
        """One mailbox in one of many textual forms."""
        name, local, domain, lang = self.person()
        addr = f"{local}@{domain}"
        ascii_name = encodable(name, "ascii")
        atom_name = ascii_name and re.fullmatch(r"[A-Za-z0-9 !#$%&'*+\-/=?^_`{|}~]+", name)
        styles = {"bare": 10, "angle": 4, "quoted": 14, "encoded": 18, "comment": 4,
                  "name-comment": 2, "encoded-in-quotes": 2, "quoted-local": 1}
        if atom_name:
            styles["atom"] = 20
        if not ascii_name:
            styles["raw-utf8"] = 1
        style = self.weighted(styles)
        if style in ("quoted", "encoded", "encoded-in-quotes"):
            style = "quoted" if ascii_name else ("encoded" if style == "quoted" else style)
        self.tag(f"address:{style}")
        if style == "bare":
            return addr
        if style == "angle":
            return f"<{addr}>"
        if style == "atom":
            return f"{name} <{addr}>"
        if style == "comment":
            return f"{addr} ({name if ascii_name else local})"
        if style == "name-comment":
            return f"{quote_param(name) if ascii_name else local} <{addr}> (work)"
        if style == "quoted-local":
            return f'"{local} x"@{domain}'
        if style == "raw-utf8":
            return f'"{name}" <{addr}>'
        if style == "quoted":  # always quoted, even where an atom would do
            escaped = name.replace("\\", "\\\\").replace('"', '\\"')
            return f'"{escaped}" <{addr}>'
        charset = "utf-8" if self.chance(0.6) else self.rng.choice(
            [c for c in CHARSETS[lang] if encodable(name, c)] or ["utf-8"])
        words = encode_words(name, charset, self.rng.choice("BQ"))
        if style == "encoded-in-quotes":
            return f'"{" ".join(words)}" <{addr}>'
        return f"{' '.join(words)} <{addr}>"

    def address_field(self, name: str, count: int, *, groups: bool = True) -> str:
        items = [self.mailbox() for _ in range(count)]
        if groups and self.chance(0.08):
            self.tag("address:group")
            members = [self.mailbox() for _ in range(self.rng.randint(1, 3))]
            label = self.rng.choice(["Team", '"Sales, EU"', "Project X"])
            items.insert(self.rng.randrange(len(items) + 1), f"{label}: {', '.join(members)};")
        if groups and self.chance(0.04):
            self.tag("address:empty-group")
            items.append("undisclosed-recipients:;")
        tokens = [item + ("," if i < len(items) - 1 else "") for i, item in enumerate(items)]
        return fold(name, tokens, fold_ws=" " if self.chance(0.8) else "\t")

    # -- subjects -----------------------------------------------------------------------------
    def subject_text(self, lang: str, charset: str) -> str:
        text = self.rng.choice(sentences(lang, charset))
        return text if self.chance(0.5) else text[: self.rng.randint(8, max(9, len(text)))].rstrip()

    def subject(self) -> str | None:
        """A hand-written Subject field (None: no Subject at all)."""
        r = self.rng
        styles = {"plain": 18, "long-folded": 8, "encoded": 20, "encoded-multi": 12, "mixed": 10,
                  "language-tag": 4, "header-class": 8, "missing": 2, "empty": 2, "raw-utf8": 2,
                  "odd-case": 5}
        style = self.weighted(styles)
        self.tag(f"subject:{style}")
        lang = self.lang
        if style == "plain":
            return "Subject: " + self.subject_text("en", "us-ascii")
        if style == "long-folded":
            words = " ".join(self.rng.choice(sentences("en", "us-ascii")) for _ in range(3)).split()
            return fold("Subject", words, fold_ws=r.choice([" ", "\t", "  "]))
        if style == "missing":
            return None
        if style == "empty":
            return r.choice(["Subject:", "Subject: "])
        if style == "raw-utf8":
            return "Subject: " + self.subject_text(lang if lang != "en" else "de", "utf-8")
        if lang == "en" and r.random() < 0.7:
            lang = r.choice(["de", "ru", "ja", "emoji", "fr"])
        charset = self.charset_for(lang)
        if charset == "us-ascii":
            charset = "utf-8"
        text = self.subject_text(lang, charset)
        encoding = r.choice("BQ") if charset != "iso-2022-jp" else "B"
        if style == "header-class":
            # email.header.Header picks the encoding for the charset and folds itself.
            return "Subject: " + fix_codec_labels(Header(text, charset, header_name="Subject").encode(
                linesep="\n").encode("ascii")).decode("ascii")
        if style == "odd-case":
            label = r.choice([charset.upper(), charset.title(), charset])
            encoding = encoding.lower()
            words = encode_words(text, charset, encoding, label=label, lower_hex=True)
            return fold("Subject", words)
        if style == "language-tag":
            tag = {"emoji": "en", "zh-hans": "zh-CN", "zh-hant": "zh-TW"}.get(lang, lang)
            words = encode_words(text, charset, encoding, lang=tag)
            return fold("Subject", words)
        if style == "encoded":
            return fold("Subject", encode_words(text, charset, encoding))
        if style == "encoded-multi":
            # several short encoded words side by side, maybe in different charsets/encodings
            words = encode_words(text, charset, encoding, max_length=r.randint(20, 40))
            if r.random() < 0.3:
                words += encode_words(" " + self.subject_text("de", "iso-8859-1"), "iso-8859-1", "Q")
            return fold("Subject", words, fold_ws=r.choice([" ", "\t"]))
        # mixed: plain words around encoded words
        prefix = r.choice(["Re:", "Fwd:", "AW:", "[list-name]", "Re: [ticket #4711]"])
        suffix = r.choice(["", "(urgent)", "- reminder", "2024"])
        tokens = [prefix] + encode_words(text, charset, encoding) + ([suffix] if suffix else [])
        return fold("Subject", tokens)

    # -- whole header block -------------------------------------------------------------------
    def date(self) -> datetime.datetime:
        base = datetime.datetime(2019, 1, 1, tzinfo=datetime.timezone.utc)
        offset = datetime.timezone(datetime.timedelta(minutes=self.rng.choice([0, 60, -300, 330, 540, -480])))
        return (base + datetime.timedelta(seconds=self.rng.randrange(5 * 365 * 86400))).astimezone(offset)

    def top_headers(self) -> bytes:
        """The message's own header fields (no MIME fields), in the chosen style."""
        r = self.rng
        message_id = f"<{self.index}.{r.randbytes(6).hex()}@corpus.mailtrigger.test>"
        date = self.date()
        if self.header_style == "python":
            return self._python_headers(message_id, date)
        if self.header_style == "compat32":
            return self._compat32_headers(message_id, date)
        lines = []
        if self.chance(0.3):
            lines.append(fold("Received", f"from mx{r.randint(1, 9)}.example.net (mx.example.net "
                                          f"[192.0.2.{r.randint(1, 254)}]) by mail.example.com with "
                                          f"ESMTPS id {r.randbytes(5).hex()} for <alice@example.com>; "
                                          f"{email_date(date)}".split(), fold_ws="\t"))
        if not self.chance(0.01):
            lines.append(self.address_field(r.choice(["From", "From", "from", "FROM"]), 1, groups=False))
        else:
            self.tag("address:no-from")
        if self.chance(0.05):
            self.tag("address:reply-to")
            lines.append(self.address_field("Reply-To", 1, groups=False))
        to_count = r.choice([1, 1, 1, 2, 3, 5, 12])
        lines.append(self.address_field("To", to_count))
        if self.chance(0.35):
            self.tag("address:cc")
            lines.append(self.address_field(r.choice(["Cc", "CC", "cc"]), r.randint(1, 4)))
        subject = self.subject()
        if subject is not None:
            lines.append(subject)
        lines.append(f"Date: {email_date(date)}")
        lines.append(f"Message-ID: {message_id}")
        if self.chance(0.2):
            parent = f"<{r.randbytes(8).hex()}@example.org>"
            lines += [f"In-Reply-To: {parent}", f"References: <{r.randbytes(8).hex()}@example.org>\n {parent}"]
        if self.chance(0.2):
            lines.append(f"X-Mailer: {r.choice(['Corpus Mailer 1.0', 'Microsoft Outlook 16.0', 'Apple Mail (2.3654)'])}")
        return header_block(lines)

    def _python_headers(self, message_id: str, date: datetime.datetime) -> bytes:
        """Headers rendered by EmailMessage (policy.default encodes and folds them itself)."""
        self.tag("headers:python", "subject:python")
        people = self._people()
        group = self.chance(0.15)
        if group:
            self.tag("address:group")
        lang = self.lang
        subject = self.subject_text(lang, "utf-8") if not self.chance(0.2) else \
            " ".join(self.rng.choice(sentences(lang, "utf-8")) for _ in range(3))
        named = self.chance(0.8)

        def render(people: dict) -> bytes:
            def address(person) -> Address:
                name, local, domain, _ = person
                return Address(display_name=name if named else "", username=local, domain=domain)
            msg = EmailMessage(policy=LF)
            msg["From"] = address(people["From"][0])
            to = [address(p) for p in people["To"]]
            msg["To"] = to[:-2] + [Group("Team", to[-2:])] if group and len(to) > 2 else to
            if people["Cc"]:
                msg["Cc"] = [address(p) for p in people["Cc"]]
            msg["Subject"] = subject
            msg["Date"] = date
            msg["Message-ID"] = message_id
            return msg.as_bytes().split(b"\n\n", 1)[0] + b"\n"
        return self._render_clean(render, people)

    def _compat32_headers(self, message_id: str, date: datetime.datetime) -> bytes:
        """Headers rendered by compat32 Message + email.header.Header (charset-specific words)."""
        self.tag("headers:compat32", "subject:header-class")
        people = self._people()
        charset = self.charset_for()
        subject = Header(self.subject_text(self.lang, charset), charset)
        choices = {id(p): self.rng.choice([c for c in CHARSETS[p[3]] if encodable(p[0], c)] or ["utf-8"])
                   for group in people.values() for p in group}

        def render(people: dict) -> bytes:
            def address(person) -> str:
                name, local, domain, _ = person
                if encodable(name, "ascii"):
                    return formataddr((name, f"{local}@{domain}"))
                return Header(name, choices[id(person)]).encode() + f" <{local}@{domain}>"
            msg = Message(policy=COMPAT_LF)
            msg["From"] = address(people["From"][0])
            msg["To"] = ", ".join(address(p) for p in people["To"])
            if people["Cc"]:
                msg["Cc"] = ", ".join(address(p) for p in people["Cc"])
            msg["Subject"] = subject
            msg["Date"] = email_date(date)
            msg["Message-ID"] = message_id
            return msg.as_bytes(policy=COMPAT_LF).split(b"\n\n", 1)[0] + b"\n"
        return self._render_clean(render, people)

    def _people(self) -> dict[str, list]:
        people = {"From": [self.person()], "To": [self.person() for _ in range(self.rng.randint(1, 4))],
                  "Cc": [self.person() for _ in range(self.rng.randint(1, 3))] if self.chance(0.3) else []}
        if people["Cc"]:
            self.tag("address:cc")
        return people

    def _render_clean(self, render, people: dict) -> bytes:
        """Render headers with the email package, working around its generator bugs.

        Python's header folders sometimes write an empty encoded word (invalid RFC 2047) or
        fold the comma between two mailboxes into an encoded word (so the list no longer
        parses), and compat32's Header labels gb2312 and big5 words with codec names
        ("eucgb2312_cn", "big5_tw") that no mailer writes. Labels are corrected; for the rest
        recipients are dropped until the block re-parses to the intended addresses.
        """
        for _ in range(12):
            block = fix_codec_labels(render(people))
            parsed = reference.parse(block + b"\n")
            ok = not EMPTY_ENCODED_WORD.search(block)
            for field in ("From", "To", "Cc"):
                header = parsed.get(field)
                got = [a.addr_spec.lower() for a in header.addresses] if header is not None else []
                ok = ok and got == [f"{p[1]}@{p[2]}".lower() for p in people[field]]
            if ok:
                return block
            if len(people["To"]) > 1:
                people["To"].pop()
            elif people["Cc"]:
                people["Cc"].pop()
            else:
                people = {k: [(local, local, domain, lang) for _, local, domain, lang in v]
                          for k, v in people.items()}
        raise AssertionError(f"message {self.index}: cannot render clean headers with the email package")


def fix_codec_labels(block: bytes) -> bytes:
    """email.header.Header writes Python codec names as charset labels; use the MIME names."""
    return re.sub(rb"=\?(eucgb2312_cn|big5_tw)\?", lambda m: {b"eucgb2312_cn": b"=?gb2312?",
                                                          b"big5_tw": b"=?big5?"}[m.group(1)], block)


EMPTY_ENCODED_WORD = re.compile(rb"=\?[^?\s]+\?[bBqQ]\?\?=")


def email_date(date: datetime.datetime) -> str:
    return format_datetime(date)


# --------------------------------------------------------------------------------------------
# Parts
# --------------------------------------------------------------------------------------------


def set_boundaries(m: Draft, msg) -> None:
    """Give every multipart a boundary from the message's rng (the email package would use the
    global random module)."""
    for part in msg.walk():
        if part.get_content_maintype() == "multipart" and part.get_boundary() is None:
            part.set_boundary(m.boundary())


def py_bytes(m: Draft, msg) -> bytes:
    set_boundaries(m, msg)
    return msg.as_bytes(policy=LF if isinstance(msg, EmailMessage) else COMPAT_LF)


def pick_cte(m: Draft, charset: str, text: str) -> str | None:
    """A transfer encoding that can carry ``text`` in ``charset`` (None: let Python choose)."""
    if charset == "utf-16":
        return "base64"
    seven = charset in SEVEN_BIT_CHARSETS or encodable(text, "ascii")
    options = {"quoted-printable": 4, "base64": 3, None: 3}
    options["7bit" if seven else "8bit"] = 4
    return m.weighted(options)


def py_text(m: Draft, text: str, subtype: str = "plain", charset: str = "utf-8",
            cte: str | None = "auto", **extra) -> EmailMessage:
    """A text part built with EmailMessage.set_content."""
    part = EmailMessage(policy=LF)
    if cte == "auto":
        cte = pick_cte(m, charset, text)
    part.set_content(text, subtype=subtype, charset=charset, cte=cte, **extra)
    m.tag(f"build:set_content-{cte or 'auto'}")
    return part


def raw_text(m: Draft, text: str, subtype: str = "plain", charset: str | None = "utf-8",
             cte: str | None = None, *, extra_headers: list[str] = (), params: str = "") -> bytes:
    """A hand-encoded text part, with odd but legal forms of the fields and encodings."""
    r = m.rng
    if charset is not None and charset.lower().startswith("utf-16"):
        cte = "base64"
    if cte is None:
        seven = charset is None or charset in SEVEN_BIT_CHARSETS or encodable(text, "ascii")
        cte = m.weighted({"quoted-printable": 4, "base64": 3, "7bit" if seven else "8bit": 4})
    if charset is None:
        data = text.encode("ascii")
    elif charset.lower() == "utf-16be":
        data = b"\xfe\xff" + text.encode("utf-16-be")
    else:
        data = text.encode(charset)
    if cte == "quoted-printable":
        lower = r.random() < 0.35
        maxlen = r.choice([76, 76, 72, 60, 40])
        body = qp_encode(data, maxlen=maxlen, lower=lower)
        if lower and re.search(rb"=[0-9a-f]{2}", body) and re.search(rb"=(?:[a-f][0-9a-f]|[0-9][a-f])", body):
            m.tag("qp:lower-case-hex")
        label = r.choice(["quoted-printable", "Quoted-Printable", "QUOTED-PRINTABLE"])
    elif cte == "base64":
        length = r.choice([76, 76, 64, 72, 60, 100, None])
        m.tag(f"base64:line-{length or 'unwrapped'}")
        body = b64_encode(data, length)
        if r.random() < 0.1:
            body = body.replace(b"\n", b" \n")  # trailing blanks after base64 lines
            m.tag("base64:trailing-blanks")
        label = r.choice(["base64", "Base64", "BASE64"])
    else:
        body = data
        label = cte
    ctype = f"text/{subtype}"
    if charset is not None:
        shown = charset if charset.lower() != "utf-16be" else "utf-16"
        shown = r.choice([shown, shown.upper(), f'"{shown}"']) if r.random() < 0.3 else shown
        ctype += f"; charset={shown}"
    ctype += params
    if r.random() < 0.1:
        ctype = ctype.replace("text/", "Text/").replace("charset", "Charset")
        m.tag("headers:odd-case")
    headers = [f"Content-Type: {ctype}"]
    if cte != "7bit" or r.random() < 0.6:
        headers.append(f"Content-Transfer-Encoding: {label}")
    return entity(headers + list(extra_headers), body)


def percent_encode(data: bytes, *, lower: bool = False) -> str:
    """RFC 2231 extended-value octets: letters, digits and ._- as is, the rest %XX."""
    fmt = "%{:02x}" if lower else "%{:02X}"
    return "".join(chr(b) if b < 128 and (chr(b).isalnum() or chr(b) in "._-") else fmt.format(b)
                   for b in data)


def attachment_spec(m: Draft, *, large: bool = False) -> dict:
    """What to attach: type, data, filename form."""
    r = m.rng
    kind = m.weighted({"pdf": 6, "png": 5, "jpeg": 3, "gif": 1, "zip": 3, "bin": 3, "docx": 1,
                       "mp3": 1, "csv": 3, "txt": 2, "htmlfile": 1, "ics": 1, "json": 1, "empty": 1})
    if large:
        kind = r.choice(["pdf", "zip", "bin", "png", "jpeg"])
        size = r.randint(100_000, 2_000_000)
    else:
        size = r.choice([0, 50, 700, 3000, 9000, 25000, 60000]) if kind != "empty" else 0
    spec: dict = {"kind": kind}
    if kind in BINARY_TYPES:
        ctype, ext = BINARY_TYPES[kind]
        spec.update(ctype=ctype, data=binary_of(r, kind, size), ext=ext)
    elif kind == "empty":
        spec.update(ctype="application/octet-stream", data=b"", ext="dat")
    else:
        lang = r.choice(["en", "de", "ru", "ja"])
        charset = r.choice(["utf-8", CHARSETS[lang][-1]])
        if kind == "csv":
            pool = sentences(lang, charset)
            rows = ["id,name,amount"] + [f"{i},\"{r.choice(pool)[:20]}\",{r.randint(1, 9999)}.{r.randint(0, 99):02d}"
                                         for i in range(max(1, size // 40))]
            text, ctype, ext = "\n".join(rows) + "\n", "text/csv", "csv"
        elif kind == "txt":
            text, ctype, ext = m.text(lang, charset, max(10, size // 4)), "text/plain", "txt"
        elif kind == "htmlfile":
            text, ctype, ext = m.html(lang, charset, size=max(10, size // 4)), "text/html", "html"
        elif kind == "ics":
            text = ("BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nSUMMARY:Review\n"
                    "DTSTART:20240301T100000Z\nEND:VEVENT\nEND:VCALENDAR\n")
            ctype, ext, charset = "text/calendar", "ics", "utf-8"
        else:
            text = '{"key": "value", "n": %d}\n' % r.randint(0, 10**6)
            ctype, ext, charset = "application/json", "json", "utf-8"
        spec.update(ctype=ctype, text=text, charset=charset, ext=ext)
    form = m.weighted({"ascii": 10, "unicode": 5, "long": 2, "none": 2})
    if form == "ascii":
        base = r.choice(FILENAMES_ASCII)
        spec["filename"] = base.rsplit(".", 1)[0] + "." + spec["ext"] if "." in base else base
    elif form == "unicode":
        base = r.choice(FILENAMES_UNICODE)
        spec["filename"] = base.rsplit(".", 1)[0] + "." + spec["ext"]
    elif form == "long":
        spec["filename"] = r.choice(FILENAMES_LONG).rsplit(".", 1)[0] + "." + spec["ext"]
    else:
        spec["filename"] = None
    m.tag(f"filename-source:{form}")
    return spec


def add_py_attachment(m: Draft, msg: EmailMessage, spec: dict) -> None:
    """Attach ``spec`` with EmailMessage.add_attachment (Python writes RFC 2231 when needed)."""
    r = m.rng
    disposition = "inline" if spec["ctype"].startswith("image/") and r.random() < 0.3 else "attachment"
    kwargs = {"disposition": disposition}
    if spec["filename"] is not None:
        kwargs["filename"] = spec["filename"]
    if "data" in spec:
        maintype, subtype = spec["ctype"].split("/")
        cte = "base64" if r.random() < 0.9 or not spec["data"] else "quoted-printable"
        msg.add_attachment(spec["data"], maintype, subtype, cte=cte, **kwargs)
    else:
        subtype = spec["ctype"].split("/")[1]
        if spec["ctype"] == "application/json":
            msg.add_attachment(spec["text"].encode("utf-8"), "application", "json", **kwargs)
        else:
            msg.add_attachment(spec["text"], subtype=subtype, charset=spec["charset"],
                               cte=pick_cte(m, spec["charset"], spec["text"]) or "base64", **kwargs)


def raw_attachment(m: Draft, spec: dict) -> bytes:
    """A hand-written attachment part with one of many filename/parameter forms."""
    r = m.rng
    ctype = spec["ctype"]
    data = spec["data"] if "data" in spec else spec["text"].encode(spec["charset"])
    name = spec["filename"]
    if "text" in spec and ctype.startswith("text/"):
        ctype += f"; charset={spec['charset']}"
    disposition = r.choice(["attachment", "attachment", "attachment", "inline", "ATTACHMENT", None])
    ct_params, cd_params = "", ""
    if name is not None:
        ascii_name = encodable(name, "ascii")
        form = m.weighted({"quoted": 8, "token": 3 if re.fullmatch(r"[A-Za-z0-9._-]+", name) else 0,
                           "name-only": 5, "both": 3, "rfc2231": 5, "rfc2231-lang": 2,
                           "rfc2231-continuation": 4, "continuation-plain": 2 if ascii_name else 0,
                           "encoded-word": 3, "name-encoded-word": 2,
                           "uppercase": 1})
        m.tag(f"filename:{form}")
        pct = percent_encode(name.encode("utf-8"))
        if form == "quoted":
            cd_params = f'; filename="{name}"'
            if not ascii_name:
                m.tag("filename:raw-utf8")
        elif form == "token":
            cd_params = f"; filename={name}"
        elif form == "name-only":
            ct_params = f'; name="{name}"' if ascii_name else \
                f'; name="{" ".join(encode_words(name, "utf-8", "B"))}"'
            disposition = r.choice([None, "attachment", "inline"])
        elif form == "both":
            ct_params = f'; name="{name}"' if ascii_name else f"; name*=utf-8''{pct}"
            cd_params = f'; filename="{name}"' if ascii_name else f"; filename*=utf-8''{pct}"
        elif form == "rfc2231":
            cd_params = f"; filename*={r.choice(['utf-8', 'UTF-8'])}''{pct}"
        elif form == "rfc2231-lang":
            charset = "iso-8859-1" if encodable(name, "iso-8859-1") else "utf-8"
            encoded = percent_encode(name.encode(charset), lower=True)
            cd_params = f"; filename*={charset}'en'{encoded}"
        elif form == "rfc2231-continuation":
            pieces = re.findall(r"(?:%[0-9A-F]{2}|[^%]){1,18}", pct)
            cd_params = ";\n " + ";\n ".join(
                (f"filename*{i}*=utf-8''{p}" if i == 0 else f"filename*{i}*={p}") for i, p in enumerate(pieces))
        elif form == "continuation-plain":
            pieces = [name[i:i + 12] for i in range(0, len(name), 12)]
            cd_params = ";\n " + ";\n ".join(f'filename*{i}="{p}"' for i, p in enumerate(pieces))
        elif form == "encoded-word":
            cd_params = f'; filename="{" ".join(encode_words(name, "utf-8", r.choice("BQ")))}"'
        elif form == "name-encoded-word":
            ct_params = f'; name="{" ".join(encode_words(name, "utf-8", "B"))}"'
            cd_params = f'; filename="{" ".join(encode_words(name, "utf-8", "B"))}"'
        elif form == "uppercase":
            cd_params = f'; FILENAME="{name}"'
        if disposition is None and cd_params:
            disposition = "attachment"
    else:
        m.tag("filename:none")
    cte = "base64" if r.random() < 0.85 or "data" not in spec else "quoted-printable"
    if "text" in spec and r.random() < 0.4:
        cte = "quoted-printable"
    if cte == "base64":
        length = r.choice([76, 76, 64, 72, None])
        body = b64_encode(data, length)
        m.tag(f"base64:line-{length or 'unwrapped'}")
    else:
        body = qp_encode(data, lower=r.random() < 0.3, binary="data" in spec)
    headers = [f"Content-Type: {ctype}{ct_params}", f"Content-Transfer-Encoding: {cte}"]
    if disposition is not None:
        extra = f'; size={len(data)}; creation-date="Tue, 05 Mar 2024 10:00:00 +0000"' if r.random() < 0.1 else ""
        headers.append(f"Content-Disposition: {disposition}{cd_params}{extra}")
    if ctype.startswith("image/") and r.random() < 0.5:
        headers.append(f"Content-ID: <{r.randbytes(6).hex()}@corpus>")
    return entity(headers, body)


# --------------------------------------------------------------------------------------------
# Message kinds. Each returns the MIME entity (MIME headers + body) with "\n" line ends; the
# top-level header fields are added by build().
# --------------------------------------------------------------------------------------------


def kind_plain(m: Draft) -> bytes:
    """Single text/plain part built by EmailMessage.set_content in any charset."""
    charset = m.charset_for()
    msg = py_text(m, m.text(m.lang, charset), charset=charset)
    return py_bytes(m, msg)


def kind_plain_raw(m: Draft) -> bytes:
    """Single text/plain part, hand-encoded (QP lower-case hex, base64 widths, utf-16, flowed)."""
    r = m.rng
    variant = m.weighted({"encoded": 10, "utf-16": 2, "flowed": 2, "alias": 2, "unknown-charset": 1})
    m.tag(f"plain:{variant}")
    headers = ["MIME-Version: 1.0"] if r.random() < 0.9 else []
    if variant == "utf-16":
        charset = r.choice(["utf-16", "utf-16be"])
        return header_block(headers) + raw_text(m, m.text(m.lang, "utf-8", r.choice([60, 500, 3000])), charset=charset)
    if variant == "flowed":
        charset = r.choice(["utf-8", "us-ascii"])
        lang = m.lang if charset == "utf-8" else "en"
        text = m.flowed(lang, charset)
        return header_block(headers) + raw_text(m, text, charset=charset, params="; format=flowed",
                                                cte=r.choice(["8bit" if charset == "utf-8" else "7bit", "quoted-printable"]))
    if variant == "alias":
        # charset labels that are not the preferred MIME names but that every mailer meets
        label, codec, lang = r.choice([("utf8", "utf-8", "de"), ("latin1", "iso-8859-1", "fr"),
                                       ("cp1252", "windows-1252", "en"), ("UTF-8", "utf-8", "ru"),
                                       ('"Windows-1252"', "windows-1252", "de")])
        text = m.text(lang, codec, 300)
        body = text.encode(codec)
        m.tag(f"charset-label:{label.strip(chr(34))}")
        cte = r.choice(["8bit", "quoted-printable"])
        if cte == "quoted-printable":
            body = qp_encode(body)
        return entity(headers + [f"Content-Type: text/plain; charset={label}",
                                 f"Content-Transfer-Encoding: {cte}"], body)
    if variant == "unknown-charset":
        label = r.choice(["unknown-8bit", "x-unknown", "x-user-defined-corpus"])
        m.tag(f"charset-label:{label}")
        return entity(headers + [f"Content-Type: text/plain; charset={label}"],
                      m.text("en", "us-ascii", 200).encode("ascii"))
    charset = m.charset_for()
    return header_block(headers) + raw_text(m, m.text(m.lang, charset), charset=charset)


def kind_alternative(m: Draft) -> bytes:
    """multipart/alternative text + html with EmailMessage (sometimes html first)."""
    charset = m.charset_for()
    text, page = m.text(m.lang, charset), m.html(m.lang, charset)
    if m.chance(0.85):
        msg = py_text(m, text, charset=charset)
        msg.add_alternative(page, subtype="html", charset=charset, cte=pick_cte(m, charset, page))
    else:
        m.tag("alternative:html-first")
        msg = py_text(m, page, "html", charset=charset)
        msg.add_alternative(text, charset=charset, cte=pick_cte(m, charset, text))
    return py_bytes(m, msg)


def kind_alternative_raw(m: Draft) -> bytes:
    """Hand-written multipart/alternative, parts in (possibly different) charsets/encodings."""
    r = m.rng
    charset = m.charset_for()
    parts = [raw_text(m, m.text(m.lang, charset), charset=charset),
             raw_text(m, m.html(m.lang, "utf-8"), "html", "utf-8")]
    if r.random() < 0.1:
        m.tag("alternative:three-parts")
        parts.append(raw_text(m, "<p>Rich text</p>\n", "enriched", "us-ascii"))
    return header_block(["MIME-Version: 1.0"]) + multipart(
        "alternative", m.boundary(), parts,
        preamble="This is a multi-part message in MIME format." if r.random() < 0.5 else None)


def body_py(m: Draft) -> EmailMessage:
    """A text or text+html body built by EmailMessage (the start of most messages)."""
    charset = m.charset_for()
    msg = py_text(m, m.text(m.lang, charset), charset=charset)
    if m.chance(0.4):
        page = m.html(m.lang, charset)
        msg.add_alternative(page, subtype="html", charset=charset, cte=pick_cte(m, charset, page))
    return msg


def kind_mixed(m: Draft) -> bytes:
    """multipart/mixed with 1-4 attachments via EmailMessage.add_attachment."""
    msg = body_py(m)
    for _ in range(m.rng.choice([1, 1, 2, 3, 4])):
        add_py_attachment(m, msg, attachment_spec(m))
    return py_bytes(m, msg)


def kind_mixed_compat32(m: Draft) -> bytes:
    """The older email.mime API: MIMEMultipart, MIMEText, MIMEApplication, MIMEImage, MIMEBase."""
    r = m.rng
    m.header_style = r.choice(["compat32", "raw"])
    outer = MIMEMultipart("mixed", boundary=m.boundary())
    charset = m.charset_for()
    text = MIMEText(m.text(m.lang, charset), "plain", charset)
    if r.random() < 0.4:
        alt = MIMEMultipart("alternative", boundary=m.boundary())
        alt.attach(text)
        alt.attach(MIMEText(m.html(m.lang, "utf-8"), "html", "utf-8"))
        outer.attach(alt)
    else:
        outer.attach(text)
    for _ in range(r.randint(1, 3)):
        spec = attachment_spec(m)
        name = spec["filename"]
        if "data" not in spec:
            part = MIMEText(spec["text"], spec["ctype"].split("/")[1], spec["charset"])
        elif spec["ctype"].startswith("image/"):
            part = MIMEImage(spec["data"], _subtype=spec["ctype"].split("/")[1])
            if r.random() < 0.5:
                part.add_header("Content-ID", f"<{r.randbytes(5).hex()}@corpus>")
        elif r.random() < 0.5:
            part = MIMEApplication(spec["data"], _subtype=spec["ctype"].split("/")[1])
        else:
            part = MIMEBase(*spec["ctype"].split("/"))
            part.set_payload(spec["data"])
            encoders.encode_base64(part)
        if name is not None:
            how = r.choice(["plain", "rfc2231", "name-only"])
            m.tag(f"filename:compat32-{how}")
            if how == "name-only":
                part.set_param("name", name if encodable(name, "ascii") else ("utf-8", "", name))
            elif how == "rfc2231" or not encodable(name, "ascii"):
                part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", name))
            else:
                part.add_header("Content-Disposition", "attachment", filename=name)
        else:
            part.add_header("Content-Disposition", "attachment")
        outer.attach(part)
    return outer.as_bytes(policy=COMPAT_LF)


def kind_mixed_raw(m: Draft) -> bytes:
    """Hand-written multipart/mixed with odd filename forms (RFC 2231, name=, encoded words)."""
    r = m.rng
    charset = m.charset_for()
    parts = [raw_text(m, m.text(m.lang, charset), charset=charset)]
    for _ in range(r.choice([1, 2, 2, 3, 4])):
        parts.append(raw_attachment(m, attachment_spec(m)))
    if r.random() < 0.15:
        m.tag("mixed:text-attachment-with-filename-first")
        parts.insert(0, parts.pop())
    return header_block(["MIME-Version: 1.0"]) + multipart("mixed", m.boundary(), parts)


def inline_images(m: Draft, count: int) -> list[tuple[str, bytes, str]]:
    return [(f"{m.rng.randbytes(6).hex()}@corpus.example", png_bytes(m.rng, 8 + i, 8), f"image{i + 1}.png")
            for i in range(count)]


def kind_related(m: Draft) -> bytes:
    """multipart/related html with inline images (Content-ID), in or without alternative."""
    r = m.rng
    charset = m.charset_for()
    images = inline_images(m, r.randint(1, 3))
    page = m.html(m.lang, charset, images=[cid for cid, _, _ in images])
    if r.random() < 0.7:
        msg = py_text(m, m.text(m.lang, charset), charset=charset)
        msg.add_alternative(page, subtype="html", charset=charset)
        html_part = msg.get_payload()[1]
    else:
        m.tag("related:html-only")
        msg = py_text(m, page, "html", charset=charset)
        html_part = msg
    for cid, data, name in images:
        kwargs = {"filename": name} if r.random() < 0.6 else {}
        html_part.add_related(data, "image", "png", cid=f"<{cid}>",
                              disposition="inline" if r.random() < 0.7 else None, **kwargs)
    return py_bytes(m, msg)


def kind_related_raw(m: Draft) -> bytes:
    """Hand-written related with a start parameter and type=, images before the html root."""
    r = m.rng
    images = inline_images(m, r.randint(1, 2))
    root_cid = f"root.{r.randbytes(4).hex()}@corpus"
    page = raw_text(m, m.html(m.lang, "utf-8", images=[c for c, _, _ in images]), "html", "utf-8",
                    extra_headers=[f"Content-ID: <{root_cid}>"])
    parts = [entity([f'Content-Type: image/png; name="{name}"', "Content-Transfer-Encoding: base64",
                     f"Content-ID: <{cid}>", "Content-Disposition: inline"], b64_encode(data))
             for cid, data, name in images]
    parts.append(page)
    m.tag("related:start-parameter")
    related = multipart("related", m.boundary(), parts, params=f'; type="text/html"; start="<{root_cid}>"')
    alt = multipart("alternative", m.boundary(), [raw_text(m, m.text(m.lang, "utf-8"), charset="utf-8"), related])
    return header_block(["MIME-Version: 1.0"]) + alt


def inner_message(m: Draft, seed_offset: int) -> bytes:
    """A small complete message to forward (it may have attachments of its own)."""
    sub = Draft(m.rng.randrange(10**9), seed_offset)
    kind = sub.rng.choice([kind_plain, kind_alternative, kind_mixed, kind_plain_raw])
    body = kind(sub)
    return sub.top_headers() + body


def kind_forward(m: Draft) -> bytes:
    """message/rfc822 attachments, via EmailMessage.add_attachment or hand-written."""
    r = m.rng
    if r.random() < 0.5:
        msg = body_py(m)
        for i in range(r.choice([1, 1, 2])):
            inner = BytesParser(policy=LF).parsebytes(inner_message(m, i))
            kwargs = {"filename": r.choice(["forwarded.eml", "Fwd: meeting.eml"])} if r.random() < 0.4 else {}
            msg.add_attachment(inner, disposition=r.choice(["attachment", "inline"]), **kwargs)
        m.tag("forward:python")
        return py_bytes(m, msg)
    parts = [raw_text(m, "See the forwarded message below.\n", charset="us-ascii")]
    for i in range(r.choice([1, 2])):
        headers = ["Content-Type: message/rfc822" + (f'; name="{r.choice(["orig.eml", "message.eml"])}"' if r.random() < 0.3 else "")]
        if r.random() < 0.6:
            headers.append(f"Content-Disposition: {r.choice(['attachment', 'inline'])}")
        if r.random() < 0.3:
            headers.append("Content-Transfer-Encoding: 7bit")
        parts.append(entity(headers, inner_message(m, i).rstrip(b"\n") + b"\n"))
    m.tag("forward:raw")
    return header_block(["MIME-Version: 1.0"]) + multipart("mixed", m.boundary(), parts)


def kind_nested(m: Draft) -> bytes:
    """mixed[alternative[text, related[html, images]], attachments, maybe a forwarded message]."""
    r = m.rng
    charset = m.charset_for()
    images = inline_images(m, r.randint(1, 2))
    msg = py_text(m, m.text(m.lang, charset), charset=charset)
    msg.add_alternative(m.html(m.lang, charset, images=[c for c, _, _ in images]), subtype="html", charset=charset)
    for cid, data, name in images:
        msg.get_payload()[1].add_related(data, "image", "png", cid=f"<{cid}>", filename=name)
    for _ in range(r.randint(1, 3)):
        add_py_attachment(m, msg, attachment_spec(m))
    if r.random() < 0.3:
        msg.add_attachment(BytesParser(policy=LF).parsebytes(inner_message(m, 7)))
        m.tag("forward:nested")
    return py_bytes(m, msg)


def kind_html_only(m: Draft) -> bytes:
    """No text/plain at all: single html, html + attachment, or alternative with html only."""
    r = m.rng
    charset = m.charset_for()
    variant = r.choice(["single", "single", "mixed", "alternative-html-only"])
    m.tag(f"html-only:{variant}")
    page = m.html(m.lang, charset)
    if variant == "single":
        msg = py_text(m, page, "html", charset=charset)
        return py_bytes(m, msg)
    if variant == "mixed":
        msg = py_text(m, page, "html", charset=charset)
        add_py_attachment(m, msg, attachment_spec(m))
        return py_bytes(m, msg)
    return header_block(["MIME-Version: 1.0"]) + multipart(
        "alternative", m.boundary(), [raw_text(m, page, "html", charset)])


def kind_attachment_only(m: Draft) -> bytes:
    """No body text: a single-part attachment message, or multipart/mixed of attachments only."""
    r = m.rng
    spec = attachment_spec(m)
    if r.random() < 0.5:
        m.tag("attachment-only:single-part")
        return header_block(["MIME-Version: 1.0"]) + raw_attachment(m, spec)
    m.tag("attachment-only:mixed")
    return header_block(["MIME-Version: 1.0"]) + multipart(
        "mixed", m.boundary(), [raw_attachment(m, spec), raw_attachment(m, attachment_spec(m))])


def kind_dsn(m: Draft) -> bytes:
    """multipart/report (delivery status notification)."""
    r = m.rng
    original = inner_message(m, 3)
    status = ("Reporting-MTA: dns; mx.example.net\nArrival-Date: Tue, 5 Mar 2024 10:00:00 +0000\n\n"
              "Final-Recipient: rfc822; nobody@example.org\nAction: failed\nStatus: 5.1.1\n"
              "Diagnostic-Code: smtp; 550 5.1.1 user unknown\n").encode("ascii")
    last = (entity(["Content-Type: message/rfc822"], original.rstrip(b"\n") + b"\n") if r.random() < 0.6
            else entity(["Content-Type: text/rfc822-headers"], original.split(b"\n\n", 1)[0] + b"\n"))
    parts = [raw_text(m, "This is the mail system at host mx.example.net.\n\n"
                         "I'm sorry to have to inform you that your message could not\nbe delivered.\n",
                      charset="us-ascii", cte="7bit"),
             entity(["Content-Type: message/delivery-status"], status), last]
    m.tag("report:delivery-status")
    return header_block(["MIME-Version: 1.0"]) + multipart(
        "report", m.boundary(), parts, params="; report-type=delivery-status")


def kind_signed(m: Draft) -> bytes:
    """multipart/signed (PGP/MIME) around a text or mixed body."""
    r = m.rng
    charset = m.charset_for()
    inner = raw_text(m, m.text(m.lang, charset), charset=charset, cte="quoted-printable")
    if r.random() < 0.4:
        inner = multipart("mixed", m.boundary(), [inner, raw_attachment(m, attachment_spec(m))])
    signature = (b"-----BEGIN PGP SIGNATURE-----\n\n" + b64_encode(r.randbytes(300), 64)
                 + b"\n=abcd\n-----END PGP SIGNATURE-----\n")
    sig = entity(['Content-Type: application/pgp-signature; name="signature.asc"',
                  'Content-Description: OpenPGP digital signature',
                  'Content-Disposition: attachment; filename="signature.asc"'], signature)
    m.tag("signed:pgp")
    return header_block(["MIME-Version: 1.0"]) + multipart(
        "signed", m.boundary(), [inner, sig],
        params='; micalg=pgp-sha256; protocol="application/pgp-signature"')


def kind_digest(m: Draft) -> bytes:
    """multipart/digest: header-less parts default to message/rfc822."""
    parts = [b"\n" + inner_message(m, i).rstrip(b"\n") + b"\n" for i in range(m.rng.randint(2, 3))]
    intro = raw_text(m, "Today's topics: 1. hello 2. world\n", charset="us-ascii", cte="7bit")
    digest = multipart("digest", m.boundary(), parts)
    m.tag("structure:digest")
    return header_block(["MIME-Version: 1.0"]) + multipart("mixed", m.boundary(), [intro, digest])


def kind_apple_inline(m: Draft) -> bytes:
    """Apple Mail style: text, an inline image, more text, all in multipart/mixed."""
    r = m.rng
    charset = m.charset_for()
    image = png_bytes(r, 10, 10)
    parts = [raw_text(m, m.text(m.lang, charset, 300), charset=charset),
             entity(['Content-Type: image/png; name="IMG_0001.png"', "Content-Transfer-Encoding: base64",
                     'Content-Disposition: inline; filename="IMG_0001.png"'], b64_encode(image)),
             raw_text(m, m.text(m.lang, charset, 200), charset=charset)]
    if r.random() < 0.3:
        m.tag("body:inline-text-with-filename")
        parts[0] = raw_text(m, m.text(m.lang, charset, 300), charset=charset,
                            extra_headers=['Content-Disposition: inline; filename="body.txt"'])
    m.tag("apple:inline-parts")
    return header_block(["MIME-Version: 1.0"]) + multipart("mixed", m.boundary(), parts)


def kind_odd_structure(m: Draft) -> bytes:
    """Legal but unusual multipart syntax."""
    r = m.rng
    variant = r.choice(["preamble-epilogue", "padding", "headerless-part", "no-close-delimiter",
                        "boundary-prefix", "uppercase", "empty-part", "blank-lines", "nested-deep"])
    m.tag(f"structure:{variant}")
    charset = m.charset_for()
    text = raw_text(m, m.text(m.lang, charset), charset=charset)
    att = raw_attachment(m, attachment_spec(m))
    mv = header_block(["MIME-Version: 1.0"])
    if variant == "preamble-epilogue":
        return mv + multipart("mixed", m.boundary(), [text, att],
                              preamble="This is a multi-part message in MIME format.\n\n--not the boundary",
                              epilogue="This is the epilogue.\nIt is ignored.\n")
    if variant == "padding":
        return mv + multipart("mixed", m.boundary(), [text, att], padding=r.choice([" ", "\t", "   "]))
    if variant == "headerless-part":
        plain = m.text("en", "us-ascii", 200).encode("ascii")
        return mv + multipart("mixed", m.boundary(), [b"\n" + plain, att])
    if variant == "no-close-delimiter":
        return mv + multipart("mixed", m.boundary(), [text, att], close=False)
    if variant == "boundary-prefix":
        outer = f"=_outer{r.randbytes(4).hex()}"
        inner = multipart("alternative", outer + "_inner", [text, raw_text(m, m.html(m.lang, "utf-8"), "html")])
        return mv + multipart("mixed", outer, [inner, att])
    if variant == "uppercase":
        return mv + multipart("mixed", m.boundary(), [text, att], ctype_case="MULTIPART/Mixed")
    if variant == "empty-part":
        empty = entity(["Content-Type: text/plain; charset=us-ascii"], b"")
        return mv + multipart("mixed", m.boundary(), [text, empty, att])
    if variant == "blank-lines":
        return mv + multipart("mixed", m.boundary(), [text + b"\n\n", att], preamble="")
    inner = text
    for subtype in ["mixed", "alternative", "related", "mixed"]:
        inner = multipart(subtype, m.boundary(), [inner] + ([att] if subtype == "mixed" else []))
    return mv + inner


def kind_minimal(m: Draft) -> bytes:
    """Messages at the edge: no Content-Type, no MIME-Version, empty body, headers only."""
    r = m.rng
    variant = r.choice(["no-content-type", "no-mime-version", "text-no-charset", "empty-body",
                        "headers-only", "blank-body", "content-type-comment"])
    m.tag(f"minimal:{variant}")
    plain = m.text("en", "us-ascii", r.choice([30, 300])).encode("ascii")
    if variant == "no-content-type":
        return header_block(["MIME-Version: 1.0"]) + b"\n" + plain
    if variant == "no-mime-version":
        return b"\n" + plain
    if variant == "text-no-charset":
        return entity(["MIME-Version: 1.0", "Content-Type: text/plain"], plain)
    if variant == "empty-body":
        return entity(["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"], b"")
    if variant == "headers-only":
        return header_block(["MIME-Version: 1.0"])
    if variant == "blank-body":
        return entity(["Content-Type: text/plain; charset=us-ascii"], b"\n\n\n")
    return entity(["MIME-Version: 1.0 (generated by hand)",
                   "Content-Type: text/plain (plain text); charset=us-ascii (ascii)"], plain)


def kind_undeclared_8bit(m: Draft) -> bytes:
    """8-bit UTF-8 body with no charset declared (RFC 2045 says us-ascii)."""
    text = m.text(m.rng.choice(["de", "fr", "ru"]), "utf-8", 300)
    m.tag("body:undeclared-charset-8bit")
    headers = ["MIME-Version: 1.0"]
    if m.chance(0.5):
        headers += ["Content-Type: text/plain", "Content-Transfer-Encoding: 8bit"]
    return entity(headers, text.encode("utf-8"))


def kind_large(m: Draft) -> bytes:
    """Benchmark message: text (sometimes long) plus 1-2 attachments of 100 KB - 2 MB."""
    r = m.rng
    charset = m.charset_for()
    msg = py_text(m, m.text(m.lang, charset, r.choice([500, 500, 200_000])), charset=charset)
    for _ in range(r.randint(1, 2)):
        add_py_attachment(m, msg, attachment_spec(m, large=True))
    m.tag("size:large-attachments")
    return py_bytes(m, msg)


#: kind -> (builder, weight)
KINDS = {
    "plain": (kind_plain, 14), "plain-raw": (kind_plain_raw, 10),
    "alternative": (kind_alternative, 10), "alternative-raw": (kind_alternative_raw, 3),
    "mixed": (kind_mixed, 12), "mixed-compat32": (kind_mixed_compat32, 8),
    "mixed-raw": (kind_mixed_raw, 9), "related": (kind_related, 5), "related-raw": (kind_related_raw, 2),
    "nested": (kind_nested, 5), "forward": (kind_forward, 5), "html-only": (kind_html_only, 4),
    "attachment-only": (kind_attachment_only, 2), "dsn": (kind_dsn, 2), "signed": (kind_signed, 2),
    "digest": (kind_digest, 1), "apple-inline": (kind_apple_inline, 2),
    "odd-structure": (kind_odd_structure, 10), "minimal": (kind_minimal, 6),
    "undeclared-8bit": (kind_undeclared_8bit, 1),
}


def build(seed: int, index: int, *, large: bool = False) -> tuple[bytes, list[str]]:
    """Message ``index`` of the corpus with ``seed``: (raw bytes, generator tags)."""
    m = Draft(seed, index)
    names = list(KINDS)
    if large:
        kind = "large"
        body = kind_large(m)
    else:
        # the first len(KINDS) messages cover every kind once; the rest are drawn by weight
        kind = names[index] if index < len(names) else m.rng.choices(
            names, weights=[KINDS[n][1] for n in names])[0]
        if kind in ("plain", "alternative", "mixed", "nested", "related") and m.chance(0.25):
            m.header_style = "python"
        elif kind in ("plain", "alternative") and m.chance(0.1):
            m.header_style = "compat32"
        body = KINDS[kind][0](m)
    m.tag(f"kind:{kind}")
    raw = m.top_headers() + body
    if EMPTY_ENCODED_WORD.search(raw):
        raise AssertionError(f"message {index}: empty encoded word (invalid RFC 2047)")
    if b"\r" in raw:
        raise AssertionError(f"message {index}: bare CR in generated LF text")
    ending = m.weighted({"CRLF": 94, "LF": 5, "mixed": 1})
    if ending == "CRLF":
        raw = raw.replace(b"\n", b"\r\n")
    elif ending == "mixed":
        head, sep, rest = raw.partition(b"\n\n")
        raw = head.replace(b"\n", b"\r\n") + b"\r\n\r\n" + rest if sep else raw.replace(b"\n", b"\r\n")
    return raw, m.tags


# --------------------------------------------------------------------------------------------
# Feature summary (read back from the bytes, not from what the generator meant to do)
# --------------------------------------------------------------------------------------------

_EW = re.compile(r"=\?([^?*\s]+)(\*[^?\s]+)?\?([bBqQ])\?[^?\s]*\?=")


def features(raw: bytes, tags: list[str]) -> set[str]:
    """The features of one message, as a set of "category:value" strings."""
    found = set(tags)
    crlf = raw.count(b"\r\n")
    lf = raw.count(b"\n") - crlf
    found.add("line-ends:" + ("CRLF" if lf == 0 else "LF" if crlf == 0 else "mixed"))
    size = len(raw)
    found.add("size:" + ("<2KB" if size < 2000 else "<10KB" if size < 10_000 else "<100KB" if size < 100_000
                         else "<1MB" if size < 1_000_000 else ">=1MB"))
    msg = reference.parse(raw)
    subject = msg.get("subject")
    if subject is not None:
        raw_subject = _raw_header(raw, b"subject")
        words = _EW.findall(raw_subject)
        for charset, lang, encoding in words:
            found.add(f"subject-encoded-word:{encoding.upper()}")
            found.add(f"subject-charset:{charset.lower()}")
            if lang:
                found.add("subject-encoded-word:language-tag")
        if len(words) > 1:
            found.add("subject-encoded-word:adjacent")
        if words and _EW.sub("", raw_subject).strip():
            found.add("subject-encoded-word:mixed-with-plain")
        if "\n" in raw_subject:
            found.add("subject:folded")
    if "Content-Type" not in msg:
        found.add("structure:no-content-type")
    if "MIME-Version" not in msg:
        found.add("structure:no-mime-version")
    depth = _multipart_depth(msg)
    if depth >= 2:
        found.add("structure:nested-multipart")
    for part in msg.walk():
        ctype = part.get_content_type()
        if part.get_content_maintype() == "multipart":
            found.add(f"multipart:{part.get_content_subtype()}")
            continue
        found.add(f"part-type:{ctype}")
        cte = str(part.get("content-transfer-encoding", "(none)")).lower()
        found.add(f"transfer-encoding:{cte}")
        if part.get_content_maintype() == "text":
            found.add(f"charset:{str(part.get_param('charset', '(none)')).lower()}")
        if cte == "quoted-printable" and isinstance(part.get_payload(), str):
            if re.search(r"=\r?\n", part.get_payload()):
                found.add("qp:soft-line-break")
        if part.get("content-id"):
            found.add("part:content-id")
        disposition = part.get_content_disposition()
        if disposition:
            found.add(f"disposition:{disposition}")
    fields = reference.extract_message(msg, raw)
    found.add("body:" + ("text" if fields["text"] else "empty-text" if fields["text"] == "" else "no-text"))
    if msg.get_body(("html",)) is not None and fields["text"] is None:
        found.add("body:html-only")
    for attachment in fields["attachments"]:
        found.add(f"attachment-type:{attachment['contentType']}")
        found.add("attachment:" + ("with-filename" if attachment["filename"] else "no-filename"))
        if attachment["filename"] and not encodable(attachment["filename"], "ascii"):
            found.add("attachment:non-ascii-filename")
    for name in ("to", "cc"):
        if len(fields[name]) > 3:
            found.add(f"address:many-{name}")
    if "filename*0" in raw.decode("latin-1"):
        found.add("filename:rfc2231-continuation")
    elif "filename*=" in raw.decode("latin-1"):
        found.add("filename:rfc2231")
    return found


def _raw_header(raw: bytes, name: bytes) -> str:
    head = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[0]
    match = re.search(rb"(?im)^" + name + rb":(.*(?:\r?\n[ \t].*)*)", head)
    return match.group(1).decode("latin-1") if match else ""


def _multipart_depth(part) -> int:
    if part.get_content_maintype() != "multipart" or not part.is_multipart():
        return 0
    return 1 + max((_multipart_depth(p) for p in part.get_payload()), default=0)


def summarise(counter: collections.Counter, total: int, size: int, out=sys.stdout) -> None:
    """Print feature counts grouped by category, deterministically ordered."""
    print(f"corpus: {total} messages, {size / 1e6:.1f} MB", file=out)
    groups: dict[str, list[tuple[str, int]]] = collections.defaultdict(list)
    for feature, count in counter.items():
        category, _, value = feature.partition(":")
        groups[category].append((value, count))
    for category in sorted(groups):
        items = sorted(groups[category], key=lambda item: (-item[1], item[0]))
        print(f"  {category}: " + ", ".join(f"{value}={count}" for value, count in items), file=out)


def generate(out_dir: str, count: int = DEFAULT_COUNT, seed: int = DEFAULT_SEED, *,
             large: bool = False, quiet: bool = False) -> list[str]:
    """Write the corpus into ``out_dir``; returns the file paths. Prints the summary unless quiet."""
    os.makedirs(out_dir, exist_ok=True)
    for name in os.listdir(out_dir):
        if re.fullmatch(r"\d{4,}\.eml", name):
            os.remove(os.path.join(out_dir, name))
    extra = max(20, count // 20) if large else 0
    width = max(4, len(str(count + extra - 1)))
    counter: collections.Counter = collections.Counter()
    paths, total_size = [], 0
    for index in range(count + extra):
        raw, tags = build(seed, index, large=index >= count)
        path = os.path.join(out_dir, f"{index:0{width}d}.eml")
        with open(path, "wb") as handle:
            handle.write(raw)
        paths.append(path)
        total_size += len(raw)
        counter.update(features(raw, tags))
    if not quiet:
        summarise(counter, len(paths), total_size)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Generate a deterministic corpus of varied RFC 5322/MIME messages "
                    "(OUT_DIR/NNNN.eml) and print the features covered.")
    parser.add_argument("out_dir", metavar="OUT_DIR", help="directory to write (created if missing)")
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT,
                        help=f"number of ordinary messages (default {DEFAULT_COUNT})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"corpus seed (default {DEFAULT_SEED})")
    parser.add_argument("--large", action="store_true",
                        help="also write max(20, COUNT/20) messages with 100 KB - 2 MB attachments (benchmark)")
    parser.add_argument("--quiet", action="store_true", help="do not print the feature summary")
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error("--count must be positive")
    generate(args.out_dir, args.count, args.seed, large=args.large, quiet=args.quiet)
    return 0


if __name__ == "__main__":
    sys.exit(main())
