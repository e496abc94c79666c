"""Deterministic, varied, realistic messages for the daemon benchmark (standard library only).

Mix (by index): about half text/plain (UTF-8, quoted-printable or 8bit), a quarter
multipart/alternative (text + HTML), a quarter multipart/mixed (text + a base64 attachment of
1-4 KB). Sizes are about 1.5 to 9 KB; every message has its own Message-ID. Line ends: LF (as
stored in a Maildir) or CRLF (for APPEND), see `message(..., crlf=)`.
"""
from __future__ import annotations

import base64
import datetime
import random
import quopri

_WORDS = ("invoice order shipment delivery report meeting schedule review budget quarterly update "
          "customer account payment reminder project status release notes server backup alert "
          "ticket request approval contract draft agenda summary weekly monthly team offsite "
          "travel expense receipt subscription renewal password security notice welcome").split()
_ACCENTED = ["café", "naïve", "résumé", "Zürich", "Ångström", "façade", "jalapeño", "München"]
_NAMES = ["Ada Lovelace", "Grace Hopper", "Bjørn Ødegård", "Zoë Martin", "Jean-Luc Picard", "Li Wei",
          "María José García", "Olu Adeyemi", "Sven Åberg", "Chloé Dubois"]
_DOMAINS = ["example.com", "example.org", "customer.example", "supplier.example", "lists.example.net"]


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(6, 16))]
    if rng.random() < 0.3:
        words.insert(rng.randrange(len(words)), rng.choice(_ACCENTED))
    return " ".join(words).capitalize() + "."


def _paragraphs(rng: random.Random, size: int) -> str:
    out, length = [], 0
    while length < size:
        paragraph = " ".join(_sentence(rng) for _ in range(rng.randint(2, 6)))
        out.append(paragraph)
        length += len(paragraph) + 2
    return "\n\n".join(out)


def _wrap(text: str, width: int = 72) -> str:
    lines = []
    for paragraph in text.split("\n\n"):
        line = ""
        for word in paragraph.split(" "):
            if line and len(line) + 1 + len(word) > width:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        lines.append(line)
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _address(rng: random.Random) -> str:
    name = rng.choice(_NAMES)
    local = name.split()[0].lower().encode("ascii", "ignore").decode() or "user"
    domain = rng.choice(_DOMAINS)
    if all(ord(c) < 128 for c in name):
        return f'"{name}" <{local}@{domain}>'
    encoded = base64.b64encode(name.encode()).decode()
    return f"=?UTF-8?B?{encoded}?= <{local}@{domain}>"


def _subject(rng: random.Random, index: int, tag: str) -> str:
    words = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(2, 6))).capitalize()
    subject = f"[{tag} {index}] {words}"
    if rng.random() < 0.25:
        return "=?UTF-8?Q?" + quopri.encodestring((subject + " " + rng.choice(_ACCENTED)).encode(), header=True).decode() + "?="
    return subject


def _qp(text: str) -> str:
    return quopri.encodestring(text.encode("utf-8")).decode("ascii")


def message(index: int, *, seed: int = 1, tag: str = "bench", crlf: bool = False,
            date: datetime.datetime | None = None) -> bytes:
    rng = random.Random(seed * 1_000_003 + index)
    date = date or datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(minutes=index)
    kind = ("plain", "plain", "alternative", "mixed")[index % 4]
    headers = [
        "Return-Path: <bounces@example.net>",
        "Received: from mx.example.net (mx.example.net [192.0.2.25])\n\tby imap.example.org with ESMTPS id "
        f"{rng.getrandbits(48):012x}\n\tfor <mt@example.org>; {date.strftime('%a, %d %b %Y %H:%M:%S +0000')}",
        f"From: {_address(rng)}",
        f"To: {_address(rng)}",
        f"Subject: {_subject(rng, index, tag)}",
        f"Date: {date.strftime('%a, %d %b %Y %H:%M:%S +0000')}",
        f"Message-ID: <{tag}-{seed}-{index}-{rng.getrandbits(32):08x}@example.com>",
        "MIME-Version: 1.0",
    ]
    if rng.random() < 0.5:
        headers.append(f"Cc: {_address(rng)}")
    if rng.random() < 0.3:
        headers.append("List-Id: Weekly updates <weekly.lists.example.net>")
    text = _wrap(_paragraphs(rng, rng.randint(800, 4000)))
    boundary = f"=_bench_{seed}_{index}_{rng.getrandbits(32):08x}"
    if kind == "plain":
        if rng.random() < 0.5:
            headers += ["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: quoted-printable"]
            body = _qp(text)
        else:
            headers += ["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"]
            body = text
    elif kind == "alternative":
        html_body = "<html><body>" + "".join(f"<p>{p}</p>\n" for p in text.split("\n\n")) + "</body></html>\n"
        headers.append(f'Content-Type: multipart/alternative; boundary="{boundary}"')
        body = (f"This is a multi-part message in MIME format.\n\n--{boundary}\n"
                "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
                f"{_qp(text)}\n--{boundary}\n"
                "Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
                f"{_qp(html_body)}\n--{boundary}--\n")
    else:
        attachment = bytes(rng.getrandbits(8) for _ in range(rng.randint(1024, 4096)))
        encoded = base64.encodebytes(attachment).decode("ascii")
        name = rng.choice(["report.pdf", "invoice.pdf", "photo.jpg", "data.csv", "Übersicht.xlsx"])
        headers.append(f'Content-Type: multipart/mixed; boundary="{boundary}"')
        body = (f"--{boundary}\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
                f"{text}\n--{boundary}\n"
                f'Content-Type: application/octet-stream; name="{name}"\n'
                f'Content-Disposition: attachment; filename="{name}"\n'
                f"Content-Transfer-Encoding: base64\n\n{encoded}--{boundary}--\n")
    raw = ("\n".join(headers) + "\n\n" + body).encode("utf-8")
    if crlf:
        raw = raw.replace(b"\n", b"\r\n")
    return raw
