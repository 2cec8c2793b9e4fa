"""The safetensors reader on files written here byte by byte from the format's definition."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from knowledge_base.tensor_file import TensorFileError, load_tensors


def write(path: Path, header: dict[str, object], body: bytes, *, pad_to: int = 8) -> Path:
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % pad_to)
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + body)
    return path


def test_tensors_come_back_with_their_shape_dtype_and_values(tmp_path: Path):
    weights = np.arange(6, dtype="<f4").reshape(2, 3) / 4
    positions = np.array([[0, 1, 2]], dtype="<i8")
    body = weights.tobytes() + positions.tobytes()
    path = write(
        tmp_path / "m.safetensors",
        {
            "__metadata__": {"format": "pt"},
            "w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
            "p": {"dtype": "I64", "shape": [1, 3], "data_offsets": [24, 48]},
        },
        body,
    )
    tensors = load_tensors(path)
    assert set(tensors) == {"w", "p"}
    np.testing.assert_array_equal(tensors["w"], weights)
    assert tensors["w"].dtype == np.float32
    np.testing.assert_array_equal(tensors["p"], positions)
    assert not tensors["w"].flags.writeable


def test_a_tensor_at_an_odd_offset_is_still_read_right(tmp_path: Path):
    flag = np.array([1], dtype="u1")
    weights = np.array([1.5, -2.25], dtype="<f4")
    path = write(
        tmp_path / "m.safetensors",
        {
            "flag": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]},
            "w": {"dtype": "F32", "shape": [2], "data_offsets": [1, 9]},
        },
        flag.tobytes() + weights.tobytes(),
    )
    tensors = load_tensors(path)
    np.testing.assert_array_equal(tensors["w"], weights)
    assert tensors["w"].flags.aligned


def test_a_truncated_file_names_the_tensor(tmp_path: Path):
    path = write(
        tmp_path / "cut.safetensors",
        {"w": {"dtype": "F32", "shape": [4, 4], "data_offsets": [0, 64]}},
        bytes(40),
    )
    with pytest.raises(TensorFileError, match=r"cut\.safetensors: tensor 'w' claims bytes 0\.\.64"):
        load_tensors(path)


def test_an_unknown_dtype_is_refused(tmp_path: Path):
    path = write(
        tmp_path / "m.safetensors", {"w": {"dtype": "F8_E4M3", "shape": [2], "data_offsets": [0, 2]}}, bytes(2)
    )
    with pytest.raises(TensorFileError, match="F8_E4M3"):
        load_tensors(path)


def test_a_file_that_is_not_safetensors_is_refused(tmp_path: Path):
    path = tmp_path / "model.bin"
    path.write_bytes(b"PK\x03\x04 a zip archive, as torch.save writes")
    with pytest.raises(TensorFileError, match="header length"):
        load_tensors(path)
