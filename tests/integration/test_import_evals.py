"""The import eval suite runs through the command line and holds every partial re-import case."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cli.main import app
from evals.catalog import load_specs
from evals.spec import read_cases


def test_partial_reimport_cases_all_keep_what_the_input_lacks(tmp_path: Path) -> None:
    spec = next(s for s in load_specs() if s.id == "imports.partial.v1")
    cases = {c.id for c in read_cases(spec.dataset or "")}
    # The three findings of the reliability probe are cases of their own.
    assert {"account_name_only", "contract_required_columns_only", "usage_event_key_only"} <= cases
    result = CliRunner().invoke(app, ["evals", "run", "--suite", "imports.partial.v1", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    [path] = sorted(tmp_path.glob("*.json"))
    suite = json.loads(path.read_text())["suites"]["imports.partial.v1"]
    assert suite["passed"] and suite["metrics"]["accuracy"]["value"] == 1.0, suite
    assert suite["cases"] == len(cases)
