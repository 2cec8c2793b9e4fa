"""Read a ``.safetensors`` file into numpy arrays.

The format is small enough to read here rather than through the ``safetensors`` package: eight bytes of
little-endian header length, a JSON header mapping each tensor name to its dtype, shape and byte range, then
the raw little-endian buffers. Reading it ourselves keeps one more native wheel out of the runtime set for
the one file we load, and the checks below (known dtype, byte range inside the file and of the right size)
turn a truncated or foreign file into an error that names the file and the tensor rather than garbage weights.

Arrays are views over one memory map of the file: nothing is copied at load, pages are read when first
touched, and processes on one machine share them through the page cache.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np

#: The safetensors dtype names we can map onto numpy; all little-endian by the format's definition.
_DTYPES: dict[str, np.dtype] = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"),
    "U8": np.dtype("u1"),
    "BOOL": np.dtype("?"),
}
#: The format caps the header at 100 MB; anything larger means this is not a safetensors file.
_MAX_HEADER = 100_000_000


class TensorFileError(ValueError):
    """The file is not a readable safetensors file; the message names the file and, where known, the tensor."""


def load_tensors(path: Path) -> dict[str, np.ndarray]:
    """Every tensor in the file by name, as read-only arrays."""
    data = np.asarray(np.memmap(path, dtype=np.uint8, mode="r"))
    if data.size < 8:
        raise TensorFileError(f"{path}: {data.size} bytes is too short for a safetensors header")
    (header_len,) = struct.unpack("<Q", data[:8].tobytes())
    if header_len > min(_MAX_HEADER, data.size - 8):
        raise TensorFileError(f"{path}: header length {header_len} does not fit the file ({data.size} bytes)")
    try:
        header = json.loads(data[8 : 8 + header_len].tobytes())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TensorFileError(f"{path}: the header is not JSON ({exc})") from exc
    if not isinstance(header, dict):
        raise TensorFileError(f"{path}: the header is not a JSON object")
    body = data[8 + header_len :]
    tensors: dict[str, np.ndarray] = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        tensors[name] = _tensor(path, name, entry, body)
    return tensors


def _tensor(path: Path, name: str, entry: object, body: np.ndarray) -> np.ndarray:
    if not isinstance(entry, dict) or not {"dtype", "shape", "data_offsets"} <= entry.keys():
        raise TensorFileError(f"{path}: tensor {name!r} lacks dtype, shape or data_offsets")
    dtype = _DTYPES.get(entry["dtype"])
    if dtype is None:
        raise TensorFileError(f"{path}: tensor {name!r} has dtype {entry['dtype']!r}, not one of {sorted(_DTYPES)}")
    shape = tuple(int(n) for n in entry["shape"])
    start, end = (int(n) for n in entry["data_offsets"])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if not 0 <= start <= end <= body.size or end - start != expected:
        raise TensorFileError(
            f"{path}: tensor {name!r} claims bytes {start}..{end} for shape {list(shape)} of {entry['dtype']} "
            f"({expected} bytes) in a data section of {body.size} bytes"
        )
    array = body[start:end].view(dtype).reshape(shape)
    # A misaligned view is legal in numpy but slow in every matrix product; the format pads the header so
    # this only happens for odd-sized tensors before a wider one, and then a copy costs less than the slowdown.
    return array if array.flags.aligned else array.copy()
