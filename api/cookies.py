"""Whether the session cookie is ``Secure``, and setting it the same way everywhere.

``Secure`` by default: a deployment behind a TLS proxy sees plain http from
the proxy, so asking the request's scheme would send the cookie unprotected.
Plain-http development is an explicit choice (``WATCHTOWER_COOKIE_SECURE=false``)
or ``watchtower web`` on a loopback address, where nothing crosses a network
and the demo's http://127.0.0.1:8000 must keep working; it says so when it does.
"""

from __future__ import annotations

import ipaddress

from fastapi import Request, Response

SESSION_COOKIE = "watchtower_session"
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def cookie_security(host: str, setting: bool | None) -> tuple[bool, str | None]:
    """For `watchtower web` on ``host``: Secure or not, and a note to print when the cookie is not Secure."""
    if setting is None and is_loopback(host):
        return False, (
            f"serving on loopback {host}: session cookies without Secure so http:// works for development; "
            "set WATCHTOWER_COOKIE_SECURE=true behind https"
        )
    secure = setting is not False
    return secure, None if secure else "WATCHTOWER_COOKIE_SECURE=false: session cookies also travel over plain http"


def secure_cookies(request: Request) -> bool:
    return request.app.state.cookie_secure


def set_cookie(request: Request, response: Response, name: str, value: str, *, max_age: int) -> None:
    response.set_cookie(
        name, value, max_age=max_age, httponly=True, samesite="strict", secure=secure_cookies(request), path="/"
    )


def clear_cookie(request: Request, response: Response, name: str) -> None:
    response.delete_cookie(name, httponly=True, samesite="strict", secure=secure_cookies(request), path="/")
