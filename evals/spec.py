"""Suite specs (``evals/registry/*.yaml``) and their cases (``evals/datasets/*.jsonl``).

A spec names the suite with a versioned id, says which failure modes it targets, which runner produces
outputs and which grader scores them, the metrics with the thresholds that fail the build, and where the
cases come from. Cases are rows: an input, the expected output and a one-line rationale. A new case is a
new row; a new suite is a new spec (and, only for a new kind of check, a runner or grader).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from core.config_errors import ConfigError

EVALS = Path(__file__).resolve().parent
REGISTRY = EVALS / "registry"
DATASETS = EVALS / "datasets"
SHARED_DATA = EVALS.parents[1] / "shared" / "data"

#: The group a held-out suite's thresholds apply to: the data its rules were not written on.
HELD_OUT = "held_out"

Aggregate = Literal["mean", "sum", "min", "max", "count", "precision", "recall", "f1"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Metric(Strict):
    """A number computed from the cases' grades; ``min``/``max`` are the thresholds CI holds it to.

    In a suite that holds data out the thresholds apply to the held-out group, never to the whole.
    """

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    grade: str = Field(description="The grade key it aggregates.")
    aggregate: Aggregate = "mean"
    #: Also report the metric per value of this case input field (an alert type, a domain).
    by: str | None = None
    min: float | None = None
    max: float | None = None

    @property
    def higher_is_better(self) -> bool:
        return self.max is None


class SuiteSpec(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*\.v[0-9]+$")
    title: str = Field(min_length=1)
    #: What the suite measures and the failure modes it is there to catch.
    description: str = Field(min_length=1)
    #: The agent or component the figures describe, for the model card.
    component: str = Field(min_length=1)
    runner: str
    grader: str
    #: JSONL cases under evals/datasets/, or a public data set under ../shared/data described by ``source``.
    dataset: str | None = None
    source: dict[str, Any] | None = None
    #: Settings the runner reads (book size, seed, days to walk, sample size with --live ...).
    params: dict[str, Any] = Field(default_factory=dict)
    metrics: list[Metric] = Field(min_length=1)
    #: Whether --live changes what runs (a model reads the texts); otherwise live and offline are the same.
    live: bool = False
    #: What the figures do not show, for the model card: the data's limits, known weak spots.
    limits: str | None = None

    @model_validator(mode="after")
    def _cases(self) -> SuiteSpec:
        if (self.dataset is None) == (self.source is None):
            raise ValueError("give exactly one of dataset (a JSONL file of cases) or source (a public data set)")
        if self.gated_group is not None:
            for metric in self.metrics:
                if (metric.min is not None or metric.max is not None) and metric.by != "split":
                    raise ValueError(
                        f"metric {metric.name!r} has a threshold but no 'by: split'; this suite holds data out "
                        f"and its thresholds apply to the {HELD_OUT} group"
                    )
        return self

    @property
    def gated_group(self) -> str | None:
        """The group thresholds apply to: ``held_out`` when the source splits its rows, else None (every case)."""
        return HELD_OUT if self.source is not None and self.source.get("split_by") else None


class Case(Strict):
    id: str
    input: dict[str, Any]
    expected: Any
    rationale: str = Field(min_length=1)


def read_cases(name: str, directory: Path = DATASETS) -> list[Case]:
    """Every row validated; a bad row names the file, line and field, and no case of the file is used."""
    path = directory / name
    cases: list[Case] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            raw.setdefault("id", f"{path.stem}:{number}")
            cases.append(Case.model_validate(raw))
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}, line {number}: not JSON: {exc.msg}") from None
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            field = ".".join(map(str, first["loc"])) or "(row)"
            raise ConfigError(f"{path}, line {number}, field '{field}': {first['msg']}") from None
    ids = [c.id for c in cases]
    if len(ids) != len(set(ids)):
        raise ConfigError(f"{path}: case ids must be unique")
    return cases
