"""RSS and Atom parsing; matching items to customers is tested with a database in integration."""

from __future__ import annotations

from datetime import date

import pytest

from sources.feeds import FeedError, parse_feed

RSS = b"""<?xml version="1.0"?>
<rss version="2.0"><channel><title>Trade news</title>
<item><title>Jane Doe joins Northwind Labs</title><link>https://news.example/1</link>
<guid>n-1</guid><description>&lt;p&gt;Jane Doe, previously at Acme Corp 12, has joined.&lt;/p&gt;</description>
<pubDate>Tue, 17 Nov 2026 09:00:00 GMT</pubDate></item>
<item><title></title><description>untitled items are skipped</description></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Funding</title>
<entry><title>Acme Corp 12 raises a round</title><id>urn:a:1</id>
<link href="https://news.example/a1"/><updated>2026-11-20T10:00:00Z</updated>
<summary>Series B.</summary></entry></feed>"""


def test_rss_items_with_dates_links_and_text_without_markup() -> None:
    [item] = parse_feed(RSS, url="https://news.example/rss")
    assert item.guid == "n-1"
    assert item.published_on == date(2026, 11, 17)
    assert item.link == "https://news.example/1"
    assert item.summary == "Jane Doe, previously at Acme Corp 12, has joined."


def test_atom_entries() -> None:
    [entry] = parse_feed(ATOM, url="https://news.example/atom")
    assert (entry.title, entry.guid, entry.published_on) == (
        "Acme Corp 12 raises a round",
        "urn:a:1",
        date(2026, 11, 20),
    )


@pytest.mark.parametrize(
    ("data", "message"), [(b"<html><body/></html>", "neither RSS nor Atom"), (b"<rss", "not a valid")]
)
def test_a_bad_feed_names_itself(data: bytes, message: str) -> None:
    with pytest.raises(FeedError, match=rf"https://x\.example/feed: {message}"):
        parse_feed(data, url="https://x.example/feed")
