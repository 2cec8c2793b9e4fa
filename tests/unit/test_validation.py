from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from sources.entities import get_entity
from sources.readers import ParsedFile, RawRecord, read_file
from sources.validation import ErrorCollector, validate_records


def validate(tmp_path: Path, entity: str, content: str, name: str = "f.csv", limit: int = 50):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    errors = ErrorCollector(limit)
    rows = validate_records(get_entity(entity), read_file(path), errors)
    return rows, errors


def messages(errors: ErrorCollector) -> list[str]:
    return [str(e) for e in errors.errors]


def test_only_identity_is_required_for_accounts(tmp_path: Path) -> None:
    rows, errors = validate(tmp_path, "accounts", "external_id,name\nA1,Acme\n")
    assert not errors
    assert rows[0].data.currency == "USD"
    assert rows[0].data.arr is None


def test_wrong_type_names_file_line_field_and_value(tmp_path: Path) -> None:
    _, errors = validate(tmp_path, "account", "external_id,name,arr\nA1,Acme,12000\nA2,Beta,lots\n")
    [message] = messages(errors)
    assert message.startswith(f"{tmp_path / 'f.csv'}, line 3, field 'arr': ")
    assert "'lots'" in message


def test_every_bad_row_is_reported_up_to_the_limit(tmp_path: Path) -> None:
    body = "external_id,name,arr\n" + "".join(f"A{i},N,x\n" for i in range(10))
    _, errors = validate(tmp_path, "account", body, limit=4)
    assert len(errors.errors) == 4
    assert errors.truncated


def test_missing_required_column_is_reported_once(tmp_path: Path) -> None:
    _, errors = validate(tmp_path, "contract", "external_id,account_external_id\nC1,A1\nC2,A1\n")
    assert messages(errors) == [
        f"{tmp_path / 'f.csv'}, line 1, field 'start_date': required column is missing from the header"
    ]


def test_unknown_column_is_an_error_not_silently_dropped(tmp_path: Path) -> None:
    _, errors = validate(tmp_path, "account", "external_id,name,revenue\nA1,Acme,5\n")
    [message] = messages(errors)
    assert "field 'revenue': unknown column" in message


def test_duplicate_external_id_points_at_the_first_occurrence(tmp_path: Path) -> None:
    _, errors = validate(tmp_path, "account", "external_id,name\nA1,Acme\nA2,Beta\nA1,Again\n")
    [message] = messages(errors)
    assert "line 4" in message
    assert "duplicate of line 2" in message


def test_duplicate_composite_key_in_usage(tmp_path: Path) -> None:
    body = "account_external_id,period_start,logins\nA1,2026-01-05,3\nA1,2026-01-05,4\nA1,2026-01-12,4\n"
    _, errors = validate(tmp_path, "usage", body)
    [message] = messages(errors)
    assert "line 3" in message and "duplicate of line 2" in message


def test_cross_field_rules_name_the_field(tmp_path: Path) -> None:
    body = "external_id,account_external_id,start_date,end_date\nC1,A1,2026-05-01,2026-01-01\n"
    _, errors = validate(tmp_path, "contract", body)
    [message] = messages(errors)
    assert "field 'end_date': must not be before start_date" in message


@pytest.mark.parametrize(
    ("survey", "score", "ok"), [("nps", 0, True), ("nps", 11, False), ("csat", 0, False), ("csat", 5, True)]
)
def test_survey_scores_follow_their_scale(tmp_path: Path, survey: str, score: int, ok: bool) -> None:
    body = f"external_id,account_external_id,survey,score,responded_on\nS1,A1,{survey},{score},2026-01-01\n"
    _, errors = validate(tmp_path, "surveys", body)
    assert bool(errors) is not ok


def test_lists_and_named_metrics_come_from_plain_csv_columns(tmp_path: Path) -> None:
    body = "account_external_id,period_start,features,metrics.exports,metrics.errors\nA1,2026-01-05,sso; api;sso,7,0\n"
    rows, errors = validate(tmp_path, "usage", body)
    assert not errors
    data = rows[0].data
    assert data.features == ["sso", "api", "sso"]
    assert data.features_used == 2
    assert data.metrics == {"exports": 7.0, "errors": 0.0}


def test_timestamps_are_stored_in_utc(tmp_path: Path) -> None:
    body = "external_id,account_external_id,opened_at\nT1,A1,2026-03-01T10:00:00+02:00\nT2,A1,2026-03-01 10:00\n"
    rows, errors = validate(tmp_path, "tickets", body)
    assert not errors
    assert rows[0].data.opened_at == datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    assert rows[1].data.opened_at == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def test_an_account_cannot_parent_itself(tmp_path: Path) -> None:
    _, errors = validate(tmp_path, "account", "external_id,name,parent_external_id\nA1,Acme,A1\n")
    assert "field 'parent_external_id': an account cannot be its own parent" in messages(errors)[0]


def test_json_nulls_mean_missing(tmp_path: Path) -> None:
    rows, errors = validate(tmp_path, "account", '[{"external_id": "A1", "name": "Acme", "currency": null}]', "a.json")
    assert not errors
    assert rows[0].data.currency == "USD"


@pytest.mark.parametrize("depth", [40, 500])
def test_nesting_the_json_reader_allows_is_still_a_located_error(tmp_path: Path, depth: int) -> None:
    """Just under the parser's own limit, a deep value must not crash whatever reads it next."""
    deep = "[" * depth + "]" * depth
    body = f'{{"external_id": "A1", "name": "x", "plan_limits": {{"seats": {deep}}}}}\n'
    body += f'{{"external_id": "A2", "name": "x", "industry": {deep}}}\n'
    _, errors = validate(tmp_path, "account", body, "a.jsonl")
    assert messages(errors) == [
        f"{tmp_path / 'a.jsonl'}, line 1, field 'plan_limits': is nested too deeply to read; flatten the record",
        f"{tmp_path / 'a.jsonl'}, line 2, field 'industry': is nested too deeply to read; flatten the record",
    ]


def test_records_without_a_file_are_held_to_the_same_depth() -> None:
    deep: list = []
    for _ in range(950):
        deep = [deep]
    parsed = ParsedFile("POST /events", "json", "item", None, [RawRecord(1, {"external_id": "A1", "name": deep})])
    errors = ErrorCollector()
    validate_records(get_entity("account"), parsed, errors)
    assert messages(errors) == ["POST /events, item 1, field 'name': is nested too deeply to read; flatten the record"]


def test_a_count_past_what_the_column_holds_is_a_located_error(tmp_path: Path) -> None:
    body = "external_id,name,seats_purchased\nA1,x,2147483647\nA2,x,2147483648\nA3,x,1" + "0" * 5000 + "\n"
    _, errors = validate(tmp_path, "account", body)
    found = messages(errors)
    assert [m.split(": ")[0] for m in found] == [
        f"{tmp_path / 'f.csv'}, line 3, field 'seats_purchased'",
        f"{tmp_path / 'f.csv'}, line 4, field 'seats_purchased'",
    ]
