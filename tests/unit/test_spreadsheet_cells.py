from __future__ import annotations

import pytest

from sources.spreadsheet import neutralise, restore


@pytest.mark.parametrize(
    ("stored", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-x", "'-x"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("'=x", "''=x"),
        ("''@x", "'''@x"),
        ("'plain", "'plain"),
        ("plain = fine", "plain = fine"),
        ("", ""),
    ],
)
def test_neutralise_follows_the_owasp_rule_and_restore_undoes_it(stored: str, written: str) -> None:
    assert neutralise(stored) == written
    assert restore(written) == stored
