"""Text readers against public labelled data: each row of the source file is a case, its label the answer.

Offline the rule readers answer; with ``--live`` the configured model reads a fixed stratified sample
(``params.live_sample`` rows, the same rows every time) through the watchtowers' own interaction prompt.
Public data sets are read in place under ../shared/data and never copied into the repository.
"""

from __future__ import annotations

import csv
import random
import zlib
from collections.abc import Callable
from typing import Any

from agents.text_reading import InteractionReading
from evals.context import EvalContext, Outcome
from evals.spec import SHARED_DATA, SuiteSpec
from llm.structured import LlmReader, LlmStats
from prompts.loader import load_prompt, untrusted
from signals.intents import read_billing_friction, read_cancel_intent
from signals.sentiment import read_sentiment

RULES: dict[str, Callable[[str], bool]] = {
    "detractor": lambda text: read_sentiment(text).label == "negative",
    "cancel_intent": lambda text: read_cancel_intent(text).cancel,
    "billing_friction": lambda text: read_billing_friction(text).friction,
}


def _rows(spec: SuiteSpec) -> list[dict[str, str]]:
    source = spec.source or {}
    with (SHARED_DATA / source["file"]).open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    return [r for r in rows if all(r[k] in v for k, v in (source.get("where") or {}).items())]


def _split(row: dict[str, str], source: dict[str, Any]) -> str:
    """Which half a row is in: a named column (``split_by: domain``) or the CRC32 of its id (``split_by: hash``)."""
    held_out = source.get("held_out", [])
    if source.get("split_by") == "hash":
        return "held_out" if zlib.crc32(row[source["id"]].encode()) % 2 else "development"
    if source.get("split_by"):
        return "held_out" if row[source["split_by"]] in held_out else "development"
    return "all"


def _sample(rows: list[dict[str, str]], label: Callable[[dict[str, str]], bool], size: int) -> list[dict[str, str]]:
    """A fixed stratified sample: the same share of each label as the whole file, the same rows every run."""
    rng = random.Random(20261124)
    positives = [r for r in rows if label(r)]
    negatives = [r for r in rows if not label(r)]
    take = round(size * len(positives) / len(rows))
    return rng.sample(positives, take) + rng.sample(negatives, size - take)


def _model_reader(ctx: EvalContext, name: str) -> Callable[[str], bool]:
    reader = LlmReader(ctx.model, model_name="live", stats=LlmStats())
    prompt = load_prompt("read_interaction")
    rule = RULES[name]

    def read(text: str) -> bool:
        def rules_reading() -> InteractionReading:
            return InteractionReading(statements=[], cancel_intent=rule(text) if name == "cancel_intent" else False)

        result = reader.read(
            step="eval_read",
            prompt=prompt,
            variables={
                "participants": "1: Customer, customer",
                "kind": "email",
                "occurred_on": "",
                "text": untrusted(text, source="eval"),
            },
            schema=InteractionReading,
            deterministic=rules_reading,
        )
        if result.produced_by in ("deterministic", "fallback"):
            ctx.notes.append(f"{name}: the model did not answer for one row; its rule reading was used")
            return rule(text)
        reading = result.output
        if name == "cancel_intent":
            return reading.cancel_intent
        scores = [s.sentiment for s in reading.statements]
        return bool(scores) and sum(scores) / len(scores) <= -0.05

    return read


def run(spec: SuiteSpec, ctx: EvalContext) -> list[Outcome]:
    source = spec.source or {}
    reader_name = spec.params["reader"]
    positive = set(source["label"]["positive"])

    def label(row: dict[str, str]) -> bool:
        return row[source["label"]["field"]] in positive

    rows = _rows(spec)
    predict = RULES[reader_name]
    if ctx.live:
        if reader_name not in ("detractor", "cancel_intent"):
            ctx.notes.append(f"{spec.id}: no model reading exists for {reader_name}; the rules answered")
        else:
            rows = _sample(rows, label, int(spec.params.get("live_sample", 500)))
            predict = _model_reader(ctx, reader_name)
    group = source.get("group")
    return [
        Outcome(
            id=row[source["id"]],
            input={"split": _split(row, source), **({group: row[group]} if group else {})},
            expected=label(row),
            output=predict(row[source["text"]]),
        )
        for row in rows
    ]
