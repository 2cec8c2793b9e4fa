"""News from RSS 2.0 and Atom feeds, stored as market signals for the market-intel watchtower.

An item is tied to a customer when its title or summary names an account
(whole words, case-insensitive); that name becomes the signal's
``company_name``, which is how the market-intel tools find it. Items that
name no customer are skipped: the feed is about the book, not the world.
Fetching goes over HTTP with bounded, jittered retries.
"""

from __future__ import annotations

import hashlib
import logging
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import date
from email.utils import parsedate_to_datetime
from typing import Any
from xml.etree import ElementTree

from sqlalchemy import Engine, select
from tenacity import before_sleep_log, retry, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from core.models import Account
from sources.importer import ImportResult, import_records

log = logging.getLogger(__name__)
_ATOM = "{http://www.w3.org/2005/Atom}"
_TAGS = re.compile(r"<[^>]+>")


class FeedError(ValueError):
    """The feed could not be read or parsed; the message names the feed."""


@dataclass(frozen=True)
class FeedItem:
    guid: str
    title: str
    summary: str
    link: str | None
    published_on: date | None


def _text(node: ElementTree.Element | None) -> str:
    return _TAGS.sub(" ", "".join(node.itertext())).strip() if node is not None else ""


def _date(value: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(value).date()
    except (TypeError, ValueError):
        return None


def parse_feed(data: bytes, *, url: str) -> list[FeedItem]:
    try:
        # expat (2.4.1 and later, as Python 3.11 ships) refuses entity-expansion bombs.
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise FeedError(f"{url}: not a valid RSS or Atom document ({exc})") from None
    items = []
    if root.tag == f"{_ATOM}feed":
        for entry in root.iter(f"{_ATOM}entry"):
            link = entry.find(f"{_ATOM}link")
            href = link.get("href") if link is not None else None
            when = _text(entry.find(f"{_ATOM}published")) or _text(entry.find(f"{_ATOM}updated"))
            title = _text(entry.find(f"{_ATOM}title"))
            guid = _text(entry.find(f"{_ATOM}id")) or href or title
            summary = _text(entry.find(f"{_ATOM}summary")) or _text(entry.find(f"{_ATOM}content"))
            items.append(FeedItem(guid, title, summary, href, _date(when)))
    elif root.tag == "rss" or root.find("channel") is not None:
        for item in root.iter("item"):
            title, link = _text(item.find("title")), _text(item.find("link")) or None
            guid = _text(item.find("guid")) or link or title
            items.append(
                FeedItem(guid, title, _text(item.find("description")), link, _date(_text(item.find("pubDate"))))
            )
    else:
        raise FeedError(f"{url}: neither RSS nor Atom (root element <{root.tag}>)")
    return [i for i in items if i.title]


@retry(
    retry=retry_if_exception_type((TimeoutError, ConnectionError, urllib.error.URLError)),
    stop=stop_after_attempt(4),
    wait=wait_random_exponential(multiplier=0.5, max=10),
    before_sleep=before_sleep_log(log, logging.WARNING),
    reraise=True,
)
def fetch_feed(url: str, *, timeout: float = 20.0) -> bytes:
    if not url.startswith(("http://", "https://", "file://")):
        raise FeedError(f"{url}: only http(s) and file URLs are read")
    request = urllib.request.Request(url, headers={"User-Agent": "watchtower-feed/1"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read()


def _matcher(names: list[str]) -> re.Pattern[str] | None:
    if not names:
        return None
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def feed_signals(engine: Engine, items: list[FeedItem], *, url: str, as_of: date) -> list[dict[str, Any]]:
    """Market-signal rows for the items that name a customer; undated items take ``as_of``."""
    with engine.connect() as conn:
        names = {n.lower(): n for n in conn.execute(select(Account.name)).scalars()}
    pattern = _matcher(list(names.values()))
    rows = []
    for item in items:
        found = pattern.search(f"{item.title} {item.summary}") if pattern else None
        if found is None:
            continue
        digest = hashlib.sha256(f"{url}|{item.guid}".encode()).hexdigest()[:24]
        rows.append(
            {
                "external_id": f"feed-{digest}",
                "kind": "news",
                "title": item.title[:512],
                "body": item.summary or None,
                "source_url": item.link if item.link and item.link.startswith(("http://", "https://")) else None,
                "published_on": item.published_on or as_of,
                "company_name": names[found.group(0).lower()],
            }
        )
    return rows


def ingest_feed(engine: Engine, url: str, *, as_of: date, data: bytes | None = None) -> tuple[int, ImportResult | None]:
    """Fetch (unless ``data`` is given), parse and store a feed; returns (items read, import result)."""
    items = parse_feed(data if data is not None else fetch_feed(url), url=url)
    rows = feed_signals(engine, items, url=url, as_of=as_of)
    return len(items), (import_records(engine, "market_signal", rows, source=url) if rows else None)
