"""A minimal IMAP client over a raw socket (TLS with the `ssl` module) for the daemon benchmark.

Deliberately not imaplib: the benchmark needs the exact moment a tagged OK or an untagged
`* n EXISTS` arrives, and IDLE, which imaplib (3.11) does not offer. Only what
scripts/bench-daemon.sh needs: LOGIN, SELECT/EXAMINE, CREATE, STATUS, APPEND with LITERAL+,
FETCH (responses with literals are read whole), IDLE/DONE, LOGOUT.
"""
from __future__ import annotations

import re
import socket
import ssl
import time

_LITERAL = re.compile(rb"\{(\d+)\+?\}\r\n$")


class IMAPError(Exception):
    pass


def now_ms() -> float:
    """Unix epoch in milliseconds (the clock WebhookReceiverTool --log-keys uses)."""
    return time.time() * 1000.0


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Connection:
    def __init__(self, host: str, port: int, cafile: str | None, timeout: float = 30.0):
        raw = socket.create_connection((host, port), timeout=timeout)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        context = ssl.create_default_context(cafile=cafile)
        self.sock = context.wrap_socket(raw, server_hostname=host)
        self.buffer = b""
        self.tag_number = 0
        greeting = self.read_response()
        if not greeting.startswith(b"* OK"):
            raise IMAPError(f"unexpected greeting {greeting[:100]!r}")

    # -- reading ---------------------------------------------------------------------------
    def _fill(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise IMAPError("connection closed by the server")
        self.buffer += data

    def read_line(self) -> bytes:
        """One line including CRLF."""
        while True:
            end = self.buffer.find(b"\r\n")
            if end >= 0:
                line, self.buffer = self.buffer[: end + 2], self.buffer[end + 2 :]
                return line
            self._fill()

    def read_response(self) -> bytes:
        """One response: a line, plus any literals it announces and the lines after them."""
        parts = []
        while True:
            line = self.read_line()
            parts.append(line)
            match = _LITERAL.search(line)
            if not match:
                return b"".join(parts)
            size = int(match.group(1))
            while len(self.buffer) < size:
                self._fill()
            parts.append(self.buffer[:size])
            self.buffer = self.buffer[size:]

    # -- commands --------------------------------------------------------------------------
    def next_tag(self) -> str:
        self.tag_number += 1
        return f"B{self.tag_number}"

    def command(self, text: str | bytes, *, literal: bytes | None = None) -> tuple[list[bytes], bytes]:
        """Sends a command (with an optional trailing LITERAL+ literal); returns (untagged, tagged)."""
        tag = self.next_tag()
        data = text.encode() if isinstance(text, str) else text
        if literal is not None:
            data += b" {%d+}\r\n" % len(literal) + literal
        self.sock.sendall(tag.encode() + b" " + data + b"\r\n")
        untagged = []
        prefix = tag.encode() + b" "
        while True:
            response = self.read_response()
            if response.startswith(prefix):
                if not response[len(prefix):].startswith(b"OK"):
                    raise IMAPError(f"{data[:60]!r} failed: {response.strip()[:200]!r}")
                return untagged, response
            untagged.append(response)

    def login(self, user: str, password: str) -> None:
        self.command(f"LOGIN {quote(user)} {quote(password)}")

    def select(self, mailbox: str, readonly: bool = True) -> int:
        """EXAMINE (or SELECT); returns the EXISTS count."""
        untagged, _ = self.command(f"{'EXAMINE' if readonly else 'SELECT'} {quote(mailbox)}")
        for line in untagged:
            match = re.match(rb"\* (\d+) EXISTS", line)
            if match:
                return int(match.group(1))
        return 0

    def create(self, mailbox: str) -> None:
        self.command(f"CREATE {quote(mailbox)}")

    def status_messages(self, mailbox: str) -> int:
        untagged, _ = self.command(f"STATUS {quote(mailbox)} (MESSAGES)")
        for line in untagged:
            match = re.search(rb"MESSAGES (\d+)", line)
            if match:
                return int(match.group(1))
        raise IMAPError("no STATUS MESSAGES in the reply")

    def append(self, mailbox: str, message: bytes) -> tuple[int | None, int | None, float]:
        """APPEND with LITERAL+; returns (uidvalidity, uid) from APPENDUID and the epoch-ms at
        which the tagged OK was read."""
        _, tagged = self.command(f"APPEND {quote(mailbox)}", literal=message)
        done = now_ms()
        match = re.search(rb"\[APPENDUID (\d+) (\d+)\]", tagged)
        if match:
            return int(match.group(1)), int(match.group(2)), done
        return None, None, done

    def idle_start(self) -> str:
        tag = self.next_tag()
        self.sock.sendall(tag.encode() + b" IDLE\r\n")
        while True:
            response = self.read_response()
            if response.startswith(b"+"):
                return tag
            if response.startswith(tag.encode() + b" "):
                raise IMAPError(f"IDLE refused: {response.strip()!r}")

    def logout(self) -> None:
        try:
            self.command("LOGOUT")
        except (IMAPError, OSError):
            pass
        try:
            self.sock.close()
        except OSError:
            pass


def add_connection_arguments(parser, mailbox_required: bool = False) -> None:
    """The options every benchmark client takes to reach the server."""
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password-file", required=True)
    if mailbox_required:
        parser.add_argument("--mailbox", required=True)
    else:
        parser.add_argument("--mailbox", default="INBOX")


def read_password(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.readline().rstrip("\r\n")
