"""Schemathesis against a live server: every operation of the schema, a fixed seed, a bounded number of cases.

The server is ``watchtower web`` in a child process on a free loopback port,
over a seeded book with offers waiting in the queue; the tokens are made by
the app's own token mechanism. The run passes only with no server error, no
response that breaks the schema (body, status, content type, headers) and no
other failed check (tests/integration/schemathesis.toml names the one left
out and why). Its JSON report and its output are kept under the test's
tmp_path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from api.child_process import running_server
from core.db import make_engine
from core.schema import upgrade
from tests.integration.approval_support import account_ids, book_with_people, propose, token_for

pytestmark = pytest.mark.schemathesis

CONFIG = Path(__file__).with_name("schemathesis.toml")
SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
SEED = 20261201
#: Per operation and phase; about 1,700 cases a backend in all (under a minute here).
MAX_EXAMPLES = 100


def _seeded(database_url: str) -> dict[str, str]:
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        people = book_with_people(engine)
        for account in account_ids(engine)[:4]:
            propose(engine, account, {"discount_pct": 5}, by=people["ae"])
        return {
            "WATCHTOWER_ST_TOKEN": token_for(engine, people["cs_manager"]),
            "WATCHTOWER_ST_ADMIN_TOKEN": token_for(engine, people["admin"]),
        }
    finally:
        engine.dispose()


def test_schemathesis_finds_no_server_error_and_no_schema_violation(database_url, tmp_path):
    tokens = _seeded(database_url)
    report = tmp_path / "schemathesis.json"
    with running_server(database_url) as base:
        run = subprocess.run(
            [
                SCHEMATHESIS,
                "--config-file",
                str(CONFIG),
                "--no-color",
                "run",
                f"{base}/api/openapi.json",
                "--seed",
                str(SEED),
                "--max-examples",
                str(MAX_EXAMPLES),
                "--workers",
                "1",
                "--generation-database",
                "none",
                "--report",
                "json",
                "--report-json-path",
                str(report),
            ],
            env={**os.environ, **tokens},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    summary = json.loads(report.read_text()) if report.exists() else {}
    cases = summary.get("test_cases", {})
    (tmp_path / "schemathesis.log").write_text(run.stdout + run.stderr)
    tail = run.stdout[-6000:] + run.stderr[-2000:]
    assert run.returncode == 0, tail
    assert summary["operations"]["tested"] == summary["operations"]["total"] >= 8, summary["operations"]
    assert summary["failures"] == [] and summary["errors"] == [], tail
    assert cases["generated"] >= 1000, cases
