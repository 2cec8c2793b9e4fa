from __future__ import annotations

import json
from pathlib import Path

import pytest

from sources import decoding
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
    assert next(iter(parsed.records)).values == {"external_id": "A1", "name": "Multi\nline"}


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
        read_all(write(tmp_path, "b.json", '[{"a": 1}, 3]'))
    assert "record 2" in str(info.value.errors[0])


def test_jsonl_reports_the_broken_line(tmp_path: Path) -> None:
    with pytest.raises(ImportFailed) as info:
        read_all(write(tmp_path, "a.jsonl", '{"external_id": "A1"}\n{"external_id": \n'))
    assert "line 2" in str(info.value.errors[0])
    assert "not valid JSON" in str(info.value.errors[0])


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ImportFailed) as info:
        read_file(tmp_path / "nope.csv")
    assert str(info.value.errors[0]).endswith("nope.csv: does not exist")


def read_all(path: Path) -> list:
    """Every record of the file; readers stream, so errors surface while iterating."""
    return list(read_file(path).records)


def only_error(info: pytest.ExceptionInfo[ImportFailed]) -> str:
    [error] = info.value.errors
    return str(error)


@pytest.mark.parametrize(
    ("name", "content", "where"),
    [
        (
            "deep.json",
            '[{"external_id": "A1"}, {"external_id": "A2", "plan_limits": ' + "[" * 100_000 + "]",
            "record 2",
        ),
        ("deep.jsonl", '{"external_id": "A1"}\n{"external_id": "A2", "x": ' + "[" * 100_000 + "\n", "line 2"),
    ],
)
def test_deep_nesting_is_located_not_a_crash(tmp_path: Path, name: str, content: str, where: str) -> None:
    with pytest.raises(ImportFailed) as info:
        read_all(write(tmp_path, name, content))
    message = only_error(info)
    assert message.startswith(f"{tmp_path / name}, {where}: ")
    assert "nested too deeply" in message


@pytest.mark.parametrize(
    ("name", "content", "where"),
    [
        ("a.json", b'[\n{"external_id": "A1"},\n{"external_id": "A\xff2"}\n]\n', "line 3"),
        ("a.jsonl", b'{"external_id": "A1"}\n{"external_id": "A2"}\n{"name": "Z\xc3"}\n', "line 3"),
        ("a.csv", b"external_id,name\nA1,x\nA2,x\nA3,\xe9t\xe9\n", "line 4"),
    ],
)
def test_invalid_utf8_names_file_and_line_in_every_format(
    tmp_path: Path, name: str, content: bytes, where: str
) -> None:
    with pytest.raises(ImportFailed) as info:
        read_all(write(tmp_path, name, content))
    message = only_error(info)
    assert message.startswith(f"{tmp_path / name}, {where}: ")
    assert "not valid UTF-8" in message


@pytest.mark.parametrize(
    ("name", "content", "where"),
    [
        ("a.json", '[{"external_id": "A1", "name": "x"}, {"external_id": "A2", "name": "x", "name": "y"}]', "record 2"),
        ("a.jsonl", '{"external_id": "A1"}\n{"external_id": "A2", "external_id": "A3"}\n', "line 2"),
        ("b.jsonl", '{"external_id": "A1", "metrics": {"x": 1, "x": 2}}\n', "line 1"),
    ],
)
def test_duplicate_json_keys_are_an_error_naming_the_key(tmp_path: Path, name: str, content: str, where: str) -> None:
    with pytest.raises(ImportFailed) as info:
        read_all(write(tmp_path, name, content))
    message = only_error(info)
    assert message.startswith(f"{tmp_path / name}, {where}, field '")
    assert "given twice" in message


@pytest.mark.parametrize("indent", [None, 2])
def test_json_array_cut_into_small_pieces_is_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, indent: int | None
) -> None:
    """Pieces of 97 bytes split records, numbers and multi-byte characters; none of it may show."""
    monkeypatch.setattr(decoding, "CHUNK_BYTES", 97)
    rows = [{"external_id": f"A{i}", "name": "Zoë " * (i % 7), "arr": i * 1001} for i in range(400)]
    path = write(tmp_path, "a.json", json.dumps(rows, indent=indent, ensure_ascii=False))
    assert [r.values for r in read_all(path)] == rows
    assert [r.row for r in read_all(path)][-1] == 400


def test_json_errors_after_many_pieces_name_the_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decoding, "CHUNK_BYTES", 97)
    lines = [json.dumps({"external_id": f"A{i}", "name": "Zoë"}, ensure_ascii=False) + "," for i in range(50)]
    body = ("[\n" + "\n".join(lines) + '\n{"external_id": "B", "name": "\xff"}\n]\n').encode("utf-8")
    bad = body.replace(b"\xc3\xbf", b"\xff")
    with pytest.raises(ImportFailed) as info:
        read_all(write(tmp_path, "a.json", bad))
    assert "line 52" in str(info.value.errors[0]) and "not valid UTF-8" in str(info.value.errors[0])
    broken = body.replace(b'"B"', b"B")
    with pytest.raises(ImportFailed) as info:
        read_all(write(tmp_path, "b.json", broken))
    assert "line 52" in str(info.value.errors[0]) and "not valid JSON" in str(info.value.errors[0])


def test_reading_a_file_twice_gives_the_same_records(tmp_path: Path) -> None:
    """The importer reads a file once to check it and again to write it; both passes must agree."""
    parsed = read_file(write(tmp_path, "a.csv", "external_id,name\nA1,x\nA2,y\n"))
    assert list(parsed.records) == list(parsed.records)
    assert len(list(parsed.records)) == 2


@pytest.mark.parametrize(
    ("name", "content", "where"),
    [
        ("a.json", '[{"external_id": "A1"}, {"external_id": "A2", "arr": 1' + "0" * 5000 + "}]", "record 2"),
        ("a.jsonl", '{"external_id": "A1"}\n{"external_id": "A2", "arr": 1' + "0" * 5000 + "}\n", "line 2"),
    ],
)
def test_a_number_too_long_to_read_is_located(tmp_path: Path, name: str, content: str, where: str) -> None:
    with pytest.raises(ImportFailed) as info:
        read_all(write(tmp_path, name, content))
    message = only_error(info)
    assert message.startswith(f"{tmp_path / name}, {where}: ")
    assert "too long" in message
