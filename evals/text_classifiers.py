"""The rule path's text readers on public labelled data: detractor detection and cancel intent.

Detractor detection uses the airline tweets (negative vs not). The sentiment
threshold is VADER's usual one and was not tuned here; the service-failure cues
were written while looking at the development half (tweet ids whose CRC32 is
even), so the held-out half is the figure to quote. Cancel intent uses the
DSTC11 utterances: the rules were written against the insurance domain and
banking plus finance are held out.

    python -m evals.text_classifiers [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import csv
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from signals.intents import read_cancel_intent
from signals.sentiment import read_sentiment

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
AIRLINE = "airline_tweets_sentiment/airline_tweets_sentiment.csv"
DSTC11 = "dstc11_customer_service_intents/dstc11_customer_intent_utterances.csv"


@dataclass(frozen=True)
class Scores:
    name: str
    n: int
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def score(name: str, rows: Iterable[tuple[str, bool]], predict: Callable[[str], bool]) -> Scores:
    tp = fp = fn = n = 0
    for text, truth in rows:
        guess = predict(text)
        n += 1
        tp += guess and truth
        fp += guess and not truth
        fn += truth and not guess
    return Scores(name, n, tp, fp, fn)


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def development_half(tweet_id: str) -> bool:
    return zlib.crc32(tweet_id.encode()) % 2 == 0


def detractor_scores(data: Path) -> list[Scores]:
    rows = _read(data / AIRLINE)

    def negative(text: str) -> bool:
        return read_sentiment(text).label == "negative"

    def split(dev: bool | None) -> list[tuple[str, bool]]:
        return [
            (r["text"], r["airline_sentiment"] == "negative")
            for r in rows
            if dev is None or development_half(r["tweet_id"]) is dev
        ]

    return [
        score("detractor: airline, held-out half", split(False), negative),
        score("detractor: airline, development half", split(True), negative),
        score("detractor: airline, all", split(None), negative),
    ]


def cancel_scores(data: Path) -> list[Scores]:
    rows = _read(data / DSTC11)

    def cancel(text: str) -> bool:
        return read_cancel_intent(text).cancel

    def split(domains: set[str]) -> list[tuple[str, bool]]:
        return [(r["utterance"], r["retention_signal"] == "cancel_or_close") for r in rows if r["domain"] in domains]

    return [
        score("cancel intent: banking + finance (held out)", split({"banking", "finance"}), cancel),
        score("cancel intent: insurance (rules written on it)", split({"insurance"}), cancel),
        score("cancel intent: all", split({"insurance", "banking", "finance"}), cancel),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    print(f"{'set':50} {'n':>6} {'precision':>9} {'recall':>7} {'F1':>6}")
    for s in [*detractor_scores(args.data), *cancel_scores(args.data)]:
        print(f"{s.name:50} {s.n:6} {s.precision:9.3f} {s.recall:7.3f} {s.f1:6.3f}")


if __name__ == "__main__":
    main()
