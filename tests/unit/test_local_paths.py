"""Which ``back`` and ``next`` paths the web pages follow: a path on this site, never another host.

Browsers drop tabs and line breaks from a URL before reading it, so ``/<TAB>/evil.example`` is followed as
``//evil.example``, another site; a path with any control character or backslash after the slash goes home.
"""

from __future__ import annotations

import pytest

from api.pages import local


@pytest.mark.parametrize(
    "path",
    ["//evil.example", "/\\evil.example", "/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "/\x00"],
)
def test_a_path_a_browser_reads_as_another_host_goes_home(path: str) -> None:
    assert local(path) == "/"


@pytest.mark.parametrize("path", ["/approvals", "/approvals?kind=renewal&page=2", "/outbox?page=3", "/accounts/ACC-1"])
def test_a_path_on_this_site_is_kept(path: str) -> None:
    assert local(path) == path
