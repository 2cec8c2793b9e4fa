"""One-time messages after a form post ("Approval 12: approved"), carried from the server to the next page.

Never from the query string: a link such as ``/?error=call+this+number`` would
otherwise show an attacker's words in the site's own banner. The message rides
in a short-lived cookie signed with the session id, which only this browser's
server-side session knows (the session cookie is HttpOnly), so a cookie the
server did not write, or one written for another session, is ignored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Literal

from fastapi import Request, Response

from api.cookies import SESSION_COOKIE, clear_cookie, set_cookie

FLASH_COOKIE = "watchtower_flash"
#: Long enough for the redirect that follows the post; a flash is shown once and then cleared.
FLASH_SECONDS = 60
#: Cookies hold about 4 KB; a message longer than this is cut.
MAX_TEXT = 600
Kind = Literal["message", "error"]


def _signature(session: str, payload: str) -> str:
    return hmac.new(session.encode(), payload.encode(), hashlib.sha256).hexdigest()


def flash(request: Request, response: Response, *, kind: Kind, text: str) -> None:
    session = request.cookies.get(SESSION_COOKIE)
    if not session:
        return  # only signed-in pages post forms; without a session there is nobody to tell
    raw = json.dumps({"kind": kind, "text": text[:MAX_TEXT]}, ensure_ascii=True).encode()
    payload = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    set_cookie(request, response, FLASH_COOKIE, f"{payload}.{_signature(session, payload)}", max_age=FLASH_SECONDS)


def read_flash(request: Request) -> dict[Kind, str]:
    """The message this session's server left for this page, if any (``{"message": ...}`` or ``{"error": ...}``)."""
    cookie = request.cookies.get(FLASH_COOKIE, "")
    session = request.cookies.get(SESSION_COOKIE, "")
    payload, _, signature = cookie.partition(".")
    if not (payload and session and hmac.compare_digest(signature, _signature(session, payload))):
        return {}
    try:
        value = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError:
        return {}
    kind, text = value.get("kind"), value.get("text")
    return {kind: text} if kind in ("message", "error") and isinstance(text, str) else {}


def clear_flash(request: Request, response: Response) -> None:
    if FLASH_COOKIE in request.cookies:
        clear_cookie(request, response, FLASH_COOKIE)
