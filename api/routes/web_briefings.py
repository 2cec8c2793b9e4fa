"""The briefings archive: the weekly briefings a person may read, newest first, and each one as it was sent.

A briefing is served as the self-contained page it was stored as, under a policy stricter than the app's:
its inline styles and inline SVG, and nothing else (no script, no request to any origin, no form, no frame).
One someone may not read answers 404, like one that does not exist.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, status
from fastapi.responses import HTMLResponse

from agents.briefing.archive import briefing_html, list_briefings
from api.deps import Db, WebSession
from api.pages import page

router = APIRouter(include_in_schema=False)

BriefingId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The briefing's id.")]
#: Only what a stored briefing needs: its own inline CSS and inline SVG.
BRIEFING_POLICY = "; ".join(
    (
        "default-src 'none'",
        "style-src 'unsafe-inline'",
        "img-src data:",
        "form-action 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)


@router.get("/briefings")
def briefings_page(request: Request, engine: Db, session: WebSession) -> HTMLResponse:
    user, csrf = session
    with engine.connect() as conn:
        briefings = list_briefings(conn, user)
    return page(request, "briefings.html", user=user, csrf=csrf, briefings=briefings)


@router.get("/briefings/{briefing_id}")
def briefing_page(briefing_id: BriefingId, engine: Db, session: WebSession) -> HTMLResponse:
    user, _ = session
    with engine.connect() as conn:
        html = briefing_html(conn, user, briefing_id)
    if html is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no briefing {briefing_id}")
    return HTMLResponse(html, headers={"content-security-policy": BRIEFING_POLICY})
