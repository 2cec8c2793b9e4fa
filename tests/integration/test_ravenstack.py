"""The public RavenStack data goes through the ordinary importers via the documented mapping."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.models import Account, Contract, SupportTicket, UsageSnapshot
from sources.importer import import_file
from tests.conftest import SHARED_DATA

SOURCE = SHARED_DATA / "ravenstack_saas"
CONVERTER = Path(__file__).resolve().parents[2] / "examples" / "ravenstack" / "convert.py"


def load_converter():
    spec = importlib.util.spec_from_file_location("ravenstack_convert", CONVERTER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not SOURCE.exists(), reason=f"{SOURCE} not present; it ships in ../shared/data beside the repo")
def test_ravenstack_imports_through_the_same_importers(engine, tmp_path: Path) -> None:
    counts = load_converter().convert(SOURCE, tmp_path)
    for entity in ("account", "contract", "usage_snapshot", "support_ticket"):
        result = import_file(engine, entity, tmp_path / f"{entity}.csv")
        assert result.inserted == counts[entity]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Account)).scalar_one() == 500
        assert conn.execute(select(func.count()).select_from(Contract)).scalar_one() == 5000
        assert conn.execute(select(func.count()).select_from(SupportTicket)).scalar_one() == 2000
        usage_total = conn.execute(select(func.count()).select_from(UsageSnapshot)).scalar_one()
        churned = conn.execute(
            select(func.count()).select_from(Account).where(Account.status == "churned")
        ).scalar_one()
    assert usage_total == counts["usage_snapshot"]
    assert churned == 110  # accounts.churn_flag, per the data set's README
    again = import_file(engine, "contract", tmp_path / "contract.csv")
    assert again.unchanged == 5000
