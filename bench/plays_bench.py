"""Play engine throughput, and which plays open on which planted scenarios.

    python -m bench.plays_bench [--sizes 2000 10000] [--backends sqlite postgres] [--days 14]

For each backend and size: seed a book (52 weeks of usage), run the watchtowers
and scorecards once (no plays), then time the play engine on the first day
(triggers, day-1 steps and forecasts), the same day again (the idempotent
re-run), and each following day of a two-week walk. Prints seconds and
milliseconds per account, the runs opened per play, and for each seeded play
how many planted accounts it opened on (recall) and how many of its runs were
on planted accounts (precision).
"""

from __future__ import annotations

import argparse
import logging
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url

from actions.play_steps import make_play_engine
from agents.configuration import load_watchtower_config
from agents.cycle import CycleContext, run_cycle
from bench.cycle_bench import bench_database, drop_bench_schema
from core.db import make_engine
from core.models import Account, PlayRun
from core.schema import upgrade
from core.settings import Settings
from evals.alert_labels import read_labels
from playbooks.play_engine import load_play_configs
from scorecards.weekly import ScoringConfig
from sources.synthetic.generator import AccountGenerator, BookSpec
from sources.synthetic.writer import seed_book

AS_OF = date(2026, 11, 23)
#: Planted scenario -> the play that should open for it.
SCENARIO_PLAY = {
    "usage_decline": "usage_decline",
    "champion_departure": "champion_departure",
    "nps_detractor": "nps_detractor",
    "approaching_plan_limits": "approaching_plan_limits",
    "power_users": "power_users",
    "new_department": "department_expansion",
}


def bench(backend: str, size: int, days: int) -> None:
    url, schema = bench_database(backend, size)
    if backend == "sqlite":
        Path(make_url(url).database or "").unlink(missing_ok=True)
    engine = make_engine(url)
    upgrade(engine)
    labels_dir = Path(f"/tmp/watchtower-plays-bench-{backend}-{size}")
    seed_book(engine, AccountGenerator(BookSpec(accounts=size, seed=3, as_of=AS_OF, weeks=52)), labels_dir=labels_dir)
    settings = Settings(database_url=url, llm_model=None, _env_file=None)  # type: ignore[call-arg]
    ctx = CycleContext(
        engine=engine, settings=settings, config=load_watchtower_config(), scoring=ScoringConfig.load(), model=None
    )
    started = time.perf_counter()
    run_cycle(ctx, {"as_of": AS_OF, "trigger": "bench"})
    print(f"{backend:8} {size:7} watchtowers+scorecards {time.perf_counter() - started:8.1f}s (not plays)")
    playbook, forecast = load_play_configs()
    walk: list[float] = []
    for n, label in [(0, "day 1"), (0, "day 1 again"), *((d, "") for d in range(1, days))]:
        day = AS_OF + timedelta(days=n)
        plays = make_play_engine(playbook, forecast, now=datetime.combine(day, clock(9), tzinfo=UTC))
        began = time.perf_counter()
        counts = plays.run(engine, day)
        seconds = time.perf_counter() - began
        if label:
            steps = sum(v for k, v in counts.items() if ".step." in k)
            opened = sum(v for k, v in counts.items() if ".opened." in k)
            forecasts = sum(v for k, v in counts.items() if k.startswith("forecast.") and k != "forecast.flagged")
            print(
                f"{backend:8} {size:7} {label:12} {seconds:7.1f}s {seconds / size * 1000:6.2f} ms/account  "
                f"runs opened {opened}, steps {steps}, forecasts {forecasts}"
            )
        else:
            walk.append(seconds)
    if walk:
        mean = sum(walk) / len(walk)
        print(
            f"{backend:8} {size:7} {'days 2-' + str(days):12} {mean:7.1f}s a day {mean / size * 1000:6.2f} ms/account"
        )
    with engine.connect() as conn:
        runs = conn.execute(
            select(Account.external_id, PlayRun.play).join(Account, Account.id == PlayRun.account_id)
        ).all()
    labels = read_labels(labels_dir / "labels.jsonl")
    by_play: Counter[str] = Counter(play for _, play in runs)
    print("    runs by play: " + ", ".join(f"{p} {n}" for p, n in sorted(by_play.items())))
    for scenario, play in SCENARIO_PLAY.items():
        planted = {a for a, s in labels.items() if scenario in s}
        opened = {a for a, p in runs if p == play}
        hit = planted & opened
        precision = len(hit) / len(opened) if opened else float("nan")
        print(
            f"    {play:24} opened on {len(hit)}/{len(planted)} planted accounts; "
            f"{len(opened)} runs, precision {precision:.2f}"
        )
    engine.dispose()
    drop_bench_schema(schema)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--days", type=int, default=14)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    for backend in args.backends:
        for size in args.sizes:
            bench(backend, size, args.days)


if __name__ == "__main__":
    main()
