from __future__ import annotations

import json
from pathlib import Path

import pytest

from sources.errors import ImportFailed
from sources.readers import read_file


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_csv_rows_are_numbered_by_the_line_they_start_on(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", 'external_id,name\nA1,"Multi\nline"\nA2,Plain\n')
    parsed = read_file(path)
    assert [r.row for r in parsed.records] == [2, 4]
    assert parsed.records[0].values == {"external_id": "A1", "name": "Multi\nline"}


def test_csv_skips_blank_lines_but_keeps_numbering(tmp_path: Path) -> None:
    parsed = read_file(write(tmp_path, "a.csv", "external_id,name\n\nA1,x\n"))
    assert [r.row for r in parsed.records] == [3]


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    parsed = read_file(write(tmp_path, "a.csv", "\ufeffexternal_id,name\nA1,x\n".encode()))
    assert parsed.columns == ("external_id", "name")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "is empty"),
        ("external_id,name\n", "has no data rows"),
        ("external_id,external_id\nA,B\n", "names column 'external_id' twice"),
        ("external_id,name\nA1,x,extra\n", "has 3 cells but the header has 2 columns"),
    ],
)
def test_unreadable_csv_is_located(tmp_path: Path, content: str, expected: str) -> None:
    with pytest.raises(ImportFailed) as info:
        read_file(write(tmp_path, "bad.csv", content))
    assert expected in str(info.value.errors[0])
    assert "bad.csv" in str(info.value.errors[0])


def test_wrong_encoding_names_the_line_and_the_fix(tmp_path: Path) -> None:
    path = write(tmp_path, "latin.csv", "external_id,name\nA1,Müller\n".encode("latin-1"))
    with pytest.raises(ImportFailed) as info:
        read_file(path)
    message = str(info.value.errors[0])
    assert "line 2" in message
    assert "not valid UTF-8" in message
    assert "re-save the file as UTF-8" in message


def test_json_array_records_are_numbered(tmp_path: Path) -> None:
    path = write(tmp_path, "a.json", json.dumps([{"external_id": "A1"}, {"external_id": "A2"}]))
    parsed = read_file(path)
    assert parsed.row_label == "record"
    assert [r.row for r in parsed.records] == [1, 2]


def test_json_must_be_an_array_of_objects(tmp_path: Path) -> None:
    with pytest.raises(ImportFailed) as info:
        read_file(write(tmp_path, "a.json", '{"external_id": "A1"}'))
    assert "must hold a JSON array of objects" in str(info.value.errors[0])
    with pytest.raises(ImportFailed) as info:
        read_file(write(tmp_path, "b.json", '[{"a": 1}, 3]'))
    assert "record 2" in str(info.value.errors[0])


def test_jsonl_reports_the_broken_line(tmp_path: Path) -> None:
    with pytest.raises(ImportFailed) as info:
        read_file(write(tmp_path, "a.jsonl", '{"external_id": "A1"}\n{"external_id": \n'))
    assert "line 2" in str(info.value.errors[0])
    assert "not valid JSON" in str(info.value.errors[0])


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ImportFailed) as info:
        read_file(tmp_path / "nope.csv")
    assert str(info.value.errors[0]).endswith("nope.csv: does not exist")
