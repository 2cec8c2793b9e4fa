"""Page and briefing figures on a scored book: the portfolio dashboard, a CSM's book and the account page, each
timed in process (the app's own handling, no network), and the leadership briefing's production.

The book is built here (seeded, then one weekly run) unless ``--database-url`` names one already built and
scored. Each page is requested through the app with a signed-in person; the login page, which reads nothing,
is timed in the same loop as the floor every page pays (routing, session, template), and each page's p95 is
printed beside it as a ratio.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from agents.briefing.service import Briefer
from api.app import create_app
from core.db import make_engine
from core.identity import add_user
from core.models import Account
from core.settings import Settings

AS_OF = date(2026, 11, 22)
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PASSWORD = "bench-password-123"
ACCOUNT = Account.__table__  # type: ignore[attr-defined]


def _p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000 if len(values) > 1 else values[0] * 1000


def build_book(url: str, folder: Path, accounts: int) -> None:
    """Seeded and scored by the command line, as a team's own book is (the knowledge base is left out)."""
    command = str(Path(sys.executable).with_name("watchtower"))
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "WATCHTOWER_DATA_DIR": str(folder / "data"),
        "WATCHTOWER_KB_VECTORS": "false",
    }
    for args in (
        ["init"],
        ["seed", "--accounts", str(accounts), "--as-of", AS_OF.isoformat(), "--replace"],
        ["run", "--as-of", AS_OF.isoformat()],
    ):
        subprocess.run([command, *args], env=env, check=True, stdout=subprocess.DEVNULL)


def people(url: str) -> dict[str, str]:
    """A CS manager and the CSM with the largest book, signed up for this run (usernames by role)."""
    engine = make_engine(url)
    stamp = NOW.strftime("%H%M%S") + str(random.randint(100, 999))
    with engine.begin() as conn:
        owner = conn.execute(
            select(ACCOUNT.c.owner_csm)
            .where(ACCOUNT.c.owner_csm.is_not(None))
            .group_by(ACCOUNT.c.owner_csm)
            .order_by(func.count().desc())
            .limit(1)
        ).scalar_one()
        names = {"cs_manager": f"bench-mgr-{stamp}", "csm": f"bench-csm-{stamp}"}
        add_user(conn, username=names["cs_manager"], role="cs_manager", now=NOW, password=PASSWORD)
        add_user(conn, username=names["csm"], role="csm", now=NOW, email=owner, password=PASSWORD)
    engine.dispose()
    return names


def timed(client: TestClient, paths: list[str], rounds: int) -> dict[str, list[float]]:
    """Each path requested ``rounds`` times, interleaved with the login page so both see the same machine."""
    times: dict[str, list[float]] = {"/login": []}
    for _ in range(rounds):
        for path in paths:
            for key, target in (("/login", "/login"), (path, path)):
                t0 = time.perf_counter()
                answer = client.get(target)
                times.setdefault(key, []).append(time.perf_counter() - t0)
                if answer.status_code != 200:
                    raise RuntimeError(f"{target}: {answer.status_code} {answer.text[:200]}")
    return times


def bench(url: str, rounds: int, account_pages: int) -> None:
    names = people(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(ACCOUNT)).scalar_one()
        sample = list(conn.execute(select(ACCOUNT.c.external_id).order_by(ACCOUNT.c.id)).scalars())
    random.Random(3).shuffle(sample)
    app = create_app(Settings(database_url=url), engine=engine, clock=lambda: NOW)
    print(f"{total} accounts; {rounds} rounds per page, p50 / p95 in ms, p95 against the login page's p95")
    with TestClient(app, base_url="https://testserver") as client:
        for role, paths in (
            ("cs_manager", ["/dashboard"] + [f"/accounts/{a}" for a in sample[:account_pages]]),
            ("csm", ["/book", "/dashboard"]),
        ):
            client.cookies.clear()
            signed = client.post("/login", data={"username": names[role], "password": PASSWORD})
            if signed.status_code not in (200, 303):
                raise RuntimeError(f"sign-in as {role}: {signed.status_code}")
            times = timed(client, paths, rounds)
            floor = _p(times.pop("/login"), 95)
            pages: dict[str, list[float]] = {}
            for path, values in times.items():
                key = "/accounts/{id}" if path.startswith("/accounts/") else path
                pages.setdefault(key, []).extend(values)
            for key, values in pages.items():
                p95 = _p(values, 95)
                print(
                    f"  {role:10} {key:16} p50 {_p(values, 50):7.1f}  p95 {p95:7.1f}  "
                    f"= {p95 / floor:5.1f} x login ({floor:.1f} ms)  goal p95 < 200 ms: "
                    f"{'met' if p95 < 200 else 'MISSED'}"
                )
    briefer = Briefer.from_settings(engine, Settings(database_url=url))
    produced: list[float] = []
    for _ in range(3):
        t0 = time.perf_counter()
        briefer.produce(audience="leadership", as_of=AS_OF, now=NOW, deliver=False)
        produced.append(time.perf_counter() - t0)
    with engine.connect() as conn:
        t0 = time.perf_counter()
        conn.execute(select(ACCOUNT.c.id, ACCOUNT.c.arr, ACCOUNT.c.owner_csm)).all()
        scan = time.perf_counter() - t0
    print(
        f"  leadership briefing over {total} accounts: median {statistics.median(produced):.2f} s of 3 "
        f"(a bare scan of the account table: {scan * 1000:.1f} ms)"
    )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", help="A book already seeded and scored; otherwise one is built.")
    parser.add_argument("--accounts", type=int, default=10_000, help="Size of the book built when none is given.")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--account-pages", type=int, default=10, help="Distinct account pages in each round.")
    args = parser.parse_args()
    if args.database_url:
        bench(args.database_url, args.rounds, args.account_pages)
        return
    with tempfile.TemporaryDirectory(prefix="web-bench-") as folder:
        url = f"sqlite:///{Path(folder) / 'book.db'}"
        started = time.perf_counter()
        build_book(url, Path(folder), args.accounts)
        print(f"built and scored a {args.accounts}-account book in {time.perf_counter() - started:.0f} s")
        bench(url, args.rounds, args.account_pages)


if __name__ == "__main__":
    main()
