from __future__ import annotations

import pytest

from sources.entities import ENTITIES, get_entity
from sources.errors import UnknownEntity


@pytest.mark.parametrize(
    ("alias", "name"),
    [
        ("accounts", "account"),
        ("usage", "usage_snapshot"),
        ("market-signals", "market_signal"),
        ("METRICS", "account_metric"),
    ],
)
def test_aliases(alias: str, name: str) -> None:
    assert get_entity(alias).name == name


def test_unknown_entity_lists_the_choices() -> None:
    with pytest.raises(UnknownEntity, match="choose one of: account, contract"):
        get_entity("widgets")


@pytest.mark.parametrize("spec", list(ENTITIES.values()), ids=list(ENTITIES))
def test_every_import_field_lands_in_a_column(spec) -> None:
    """A field the importer accepts but the table cannot hold would be silently lost."""
    columns = set(spec.table.__table__.columns.keys())
    for field in spec.row_fields:
        if field in spec.reference_by_field:
            assert spec.reference_by_field[field].column in columns
        elif field == spec.participants_field:
            continue
        else:
            assert field in columns, f"{spec.name}.{field} has no column"
    for key in spec.key:
        assert key in columns
