"""Scoring throughput on SQLite and Postgres, against a bare scan of the same rows.

    python -m bench.score_bench [--sizes 10000 100000] [--backends sqlite postgres]

For each backend and size: seed a book with 52 weeks of usage per account,
then, each in a fresh process so peak memory belongs to that step alone,
(1) run the loader's exact SELECTs and fetch every row (the bare scan) and
(2) score the book. Prints seconds, the score/scan ratio and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from core.db import make_engine
from core.schema import upgrade
from scorecards.weekly import ScoringConfig, score_book
from signals.loader import account_id_chunks, chunk_statements
from sources.synthetic.generator import AccountGenerator, BookSpec
from sources.synthetic.writer import seed_book

AS_OF = date(2026, 11, 23)
CHUNK = 2000
PG_URL = os.environ.get("WATCHTOWER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
logger = logging.getLogger("bench")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bare_scan(url: str) -> dict[str, float]:
    engine = make_engine(url)
    config = ScoringConfig.load()
    earliest = AS_OF - timedelta(days=config.model.trend_days)
    rows = 0
    started = time.perf_counter()
    with engine.connect() as conn:
        for ids in account_id_chunks(conn, CHUNK):
            for statement in chunk_statements(ids[0], ids[-1], as_of=AS_OF, earliest=earliest).values():
                rows += len(conn.execute(statement).all())
    return {"seconds": time.perf_counter() - started, "rows": rows, "peak_rss_mb": peak_rss_mb()}


def score(url: str) -> dict[str, float]:
    engine = make_engine(url)
    started = time.perf_counter()
    run = score_book(engine, ScoringConfig.load(), AS_OF, chunk_size=CHUNK)
    return {"seconds": time.perf_counter() - started, "accounts": run.accounts, "peak_rss_mb": peak_rss_mb()}


def in_child(step: str, url: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.score_bench", "--step", step, "--url", url],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def database(backend: str, size: int, folder: Path) -> tuple[str, Callable[[], None]]:
    if backend == "sqlite":
        path = folder / f"bench-{size}.db"
        path.unlink(missing_ok=True)
        return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    dsn = make_url(PG_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')

    def drop() -> None:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')

    url = (
        make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    )
    return url, drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgres"], choices=["sqlite", "postgres"])
    parser.add_argument("--folder", type=Path, default=Path("var/bench"))
    parser.add_argument("--step", choices=["scan", "score"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        print(json.dumps(bare_scan(args.url) if args.step == "scan" else score(args.url)))
        return

    args.folder.mkdir(parents=True, exist_ok=True)
    header = ("backend", "accounts", "seed s", "scan s", "score s", "ratio", "rows", "score MB")
    print(f"{header[0]:9} " + " ".join(f"{h:>{w}}" for h, w in zip(header[1:], (9, 8, 8, 8, 6, 10, 9), strict=True)))
    for backend in args.backends:
        for size in args.sizes:
            url, cleanup = database(backend, size, args.folder)
            try:
                engine = make_engine(url)
                upgrade(engine)
                started = time.perf_counter()
                seed_book(
                    engine, AccountGenerator(BookSpec(accounts=size, seed=1, as_of=AS_OF, weeks=52)), labels_dir=None
                )
                seeded = time.perf_counter() - started
                engine.dispose()
                scan = in_child("scan", url)
                scored = in_child("score", url)
                ratio = scored["seconds"] / scan["seconds"]
                print(
                    f"{backend:9} {size:>9} {seeded:>8.1f} {scan['seconds']:>8.1f} {scored['seconds']:>8.1f} "
                    f"{ratio:>6.1f} {scan['rows']:>10} {scored['peak_rss_mb']:>9.0f}",
                    flush=True,
                )
            finally:
                cleanup()


if __name__ == "__main__":
    main()
