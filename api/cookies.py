"""Whether the session cookie is ``Secure``, and setting it the same way everywhere.

``Secure`` always, unless plain-http development is chosen explicitly
(``WATCHTOWER_COOKIE_SECURE=false``). A deployment behind a TLS proxy sees plain
http from the proxy (often on a loopback address), so neither the request's
scheme nor the listening address can say whether the cookie crosses a network
unprotected. Browsers treat http://127.0.0.1 and http://localhost as secure
contexts and keep Secure cookies there, so the demo's http://127.0.0.1:8000
works without the opt-out (tests/e2e signs in that way in Chromium).
"""

from __future__ import annotations

from fastapi import Request, Response

SESSION_COOKIE = "watchtower_session"


def cookie_security(setting: bool | None) -> tuple[bool, str | None]:
    """For `watchtower web`: Secure or not, and a note to print when the cookie is not Secure."""
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
