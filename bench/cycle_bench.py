"""Weekly-cycle throughput on the rule path: the four watchtowers plus scorecards.

    python -m bench.cycle_bench [--sizes 2000] [--backends sqlite postgres]

For each backend and size: seed a book (52 weeks of usage), run the cycle
once (cold) and again for the same date (the idempotent re-run), and print
seconds, milliseconds per account and the run's counts.
"""

from __future__ import annotations

import argparse
import logging
import time
import uuid
from datetime import date
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from agents.configuration import load_watchtower_config
from agents.cycle import CycleContext, run_cycle
from bench.score_bench import PG_URL
from core.db import make_engine
from core.schema import upgrade
from core.settings import Settings
from evals.alert_labels import evaluate, read_labels
from scorecards.weekly import ScoringConfig
from sources.synthetic.generator import AccountGenerator, BookSpec
from sources.synthetic.writer import seed_book

AS_OF = date(2026, 11, 23)


def bench_database(backend: str, size: int) -> tuple[str, str | None]:
    if backend == "sqlite":
        return f"sqlite:////tmp/watchtower-cycle-bench-{size}.db", None
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    dsn = make_url(PG_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False), schema


def bench(backend: str, size: int) -> None:
    url, schema = bench_database(backend, size)
    if backend == "sqlite":
        Path(make_url(url).database or "").unlink(missing_ok=True)
    engine = make_engine(url)
    upgrade(engine)
    labels = Path(f"/tmp/watchtower-cycle-bench-{backend}-{size}")
    seed_book(engine, AccountGenerator(BookSpec(accounts=size, seed=3, as_of=AS_OF, weeks=52)), labels_dir=labels)
    settings = Settings(database_url=url, llm_model=None, _env_file=None)  # type: ignore[call-arg]
    for label in ("cold", "re-run"):
        ctx = CycleContext(
            engine=engine, settings=settings, config=load_watchtower_config(), scoring=ScoringConfig.load(), model=None
        )
        started = time.perf_counter()
        result = run_cycle(ctx, {"as_of": AS_OF, "trigger": "bench"})
        seconds = time.perf_counter() - started
        counts = result["counts"]
        print(
            f"{backend:8} {size:7} {label:7} {seconds:8.1f}s {seconds / result['accounts'] * 1000:7.1f} ms/account  "
            f"alerts opened {counts.get('alerts_opened', 0)}, updated {counts.get('alerts_updated', 0)}"
        )
    report = evaluate(engine, read_labels(labels / "labels.jsonl"))
    for score in report.scores.values():
        recall = "-" if score.recall is None else f"{score.recall:.2f}"
        precision = "-" if score.precision is None else f"{score.precision:.2f}"
        print(f"    {score.alert_type:24} recall {recall:>4} ({score.found}/{score.planted})  precision {precision:>4}")
    print(f"    healthy controls with any alert: {len(report.controls_alerted)} of {report.controls}")
    engine.dispose()
    drop_bench_schema(schema)


def drop_bench_schema(schema: str | None) -> None:
    if schema is not None:
        dsn = make_url(PG_URL).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgres"])
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    for backend in args.backends:
        for size in args.sizes:
            bench(backend, size)


if __name__ == "__main__":
    main()
