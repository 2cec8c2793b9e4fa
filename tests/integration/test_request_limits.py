"""Who is asking is known before a body is read, and no body past the limit is read: against a real server.

The client here is a plain socket that sends the headers, then the body a
chunk at a time, and stops as soon as the server answers: the bytes it got to
send before the answer are an upper bound on what the server read. A server
that read the body before answering would take all 100 MB (and parse them).
"""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from api.app import create_app
from api.bounds import MAX_BODY_BYTES
from core.settings import Settings
from tests.integration.api_support import serving
from tests.integration.approval_support import NOW, POLICY, book_with_people, token_for

HUNDRED_MB = 100 * 1024 * 1024
CHUNK = 64 * 1024
#: What may be in flight (socket buffers on both sides) when the server answers without reading.
IN_FLIGHT = 8 * 1024 * 1024


@pytest.fixture
def server(engine, database_url) -> Iterator[tuple[str, dict[str, str]]]:
    people = book_with_people(engine)
    tokens = {role: token_for(engine, user) for role, user in people.items()}
    app = create_app(Settings(database_url=database_url), engine=engine, policy=POLICY, clock=lambda: NOW)
    with serving(app) as base:
        yield base, tokens


def _send(base: str, head: str, body: Iterator[bytes], *, timeout: float = 60) -> tuple[int, int, bytes]:
    """Send ``head`` and then ``body`` until the server answers; its status, the body bytes sent, the answer."""
    where = urlsplit(base)
    sent = 0
    with socket.create_connection((where.hostname, where.port), timeout=timeout) as sock:
        sock.sendall(head.encode())
        deadline = time.monotonic() + timeout
        try:
            for chunk in body:
                if select.select([sock], [], [], 0)[0]:
                    break
                sock.sendall(chunk)
                sent += len(chunk)
                assert time.monotonic() < deadline, "the server neither read nor answered"
        except (BrokenPipeError, ConnectionResetError):
            pass  # it answered and closed; the answer is still there to read
        sock.settimeout(timeout)
        answer = b""
        while b"\r\n\r\n" not in answer:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
    return status, sent, answer


def _zeros(total: int) -> Iterator[bytes]:
    for start in range(0, total, CHUNK):
        yield b"0" * min(CHUNK, total - start)


def _chunked(total: int) -> Iterator[bytes]:
    """The same bytes in HTTP/1.1 chunked encoding: no length is declared, so only counting can stop it."""
    for chunk in _zeros(total):
        yield f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    yield b"0\r\n\r\n"


def _head(
    path: str,
    *,
    length: int | None,
    token: str | None = None,
    cookie: str | None = None,
    kind: str = "application/json",
) -> str:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Type: {kind}"]
    lines.append(f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked")
    if token:
        lines.append(f"Authorization: Bearer {token}")
    if cookie:
        lines.append(f"Cookie: watchtower_session={cookie}")
    return "\r\n".join(lines) + "\r\n\r\n"


@pytest.mark.parametrize("token", [None, "wt_not-a-token"])
def test_an_unauthenticated_100mb_body_is_a_401_before_it_is_read(server, token):
    base, _ = server
    for path in ("/api/offers", "/api/approvals/1/decision", "/events"):
        started = time.monotonic()
        status, sent, answer = _send(base, _head(path, length=HUNDRED_MB, token=token), _zeros(HUNDRED_MB))
        assert status == 401, (path, answer[:300])
        assert sent < IN_FLIGHT, f"{path}: {sent:,} bytes were taken before the 401"
        assert time.monotonic() - started < 10


def test_an_unauthenticated_100mb_web_form_goes_to_sign_in_before_it_is_read(server):
    base, _ = server
    form = "application/x-www-form-urlencoded"
    head = _head("/approvals/1/decision", length=HUNDRED_MB, cookie="forged", kind=form)
    status, sent, answer = _send(base, head, _zeros(HUNDRED_MB))
    assert status == 303 and b"location: /login" in answer.lower(), answer[:300]
    assert sent < IN_FLIGHT


def test_a_declared_length_past_the_limit_is_a_413_before_it_is_read(server):
    base, tokens = server
    for path, role in (("/api/offers", "ae"), ("/events", "admin"), ("/login", None)):
        head = _head(path, length=HUNDRED_MB, token=tokens[role] if role else None)
        status, sent, answer = _send(base, head, _zeros(HUNDRED_MB))
        assert status == 413, (path, answer[:300])
        assert sent < IN_FLIGHT, f"{path}: {sent:,} bytes were taken before the 413"


def test_a_streamed_body_past_the_limit_is_a_413_once_the_limit_is_passed(server):
    base, tokens = server
    status, sent, answer = _send(base, _head("/events", length=None, token=tokens["admin"]), _chunked(HUNDRED_MB))
    assert status == 413, answer[:300]
    assert sent < MAX_BODY_BYTES + IN_FLIGHT, f"{sent:,} bytes were taken before the 413"


def test_a_body_within_the_limit_is_served_streamed_or_not(server):
    base, tokens = server
    event = {
        "external_id": "EVT-LIMIT-1",
        "account_external_id": "ACC-00001",
        "kind": "funding",
        "published_on": "2026-11-20",
        "title": "Raises a Series C",
    }
    body = json.dumps({"type": "market_signal", "events": [event]}).encode()
    padded = body + b" " * (MAX_BODY_BYTES - len(body))  # exactly the limit: JSON allows trailing space
    status, _, answer = _send(base, _head("/events", length=len(padded), token=tokens["admin"]), iter([padded]))
    assert status == 202, answer[:500]
    chunked = [f"{len(body):x}\r\n".encode() + body + b"\r\n", b"0\r\n\r\n"]
    status, _, answer = _send(base, _head("/events", length=None, token=tokens["admin"]), iter(chunked))
    assert status == 202, answer[:500]
