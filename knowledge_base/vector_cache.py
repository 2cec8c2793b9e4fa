"""Vectors remembered by the text they embed, so a text is embedded once per model, whatever chunk holds it.

Embedding is the one slow step of ingestion (tens of texts per second on a CPU core), and the same text
recurs: the same chunk after a re-chunk or a re-index, an email signature, a stock sentence in a template,
a vector store rebuilt from scratch. Keyed by the embedder's name and the text's hash, so a different model
never reads another's vectors. Stored as float32 bytes in a SQLite file beside the indexes.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np


def cache_path(data_dir: Path) -> Path:
    return data_dir / "kb" / "vectors.sqlite3"


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class VectorCache:
    def __init__(self, path: Path | str = ":memory:") -> None:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        if path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vector (embedder TEXT NOT NULL, text_key TEXT NOT NULL, "
            "vector BLOB NOT NULL, PRIMARY KEY (embedder, text_key)) WITHOUT ROWID"
        )
        self.hits = 0
        self.misses = 0

    def embed(
        self, embedder_name: str, dimensions: int, texts: Sequence[str], embed: Callable[[list[str]], np.ndarray]
    ) -> np.ndarray:
        """Vectors for ``texts`` in order: cached ones read, the rest embedded in one call and stored."""
        keys = [text_key(t) for t in texts]
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for start in range(0, len(keys), 500):
                part = sorted(set(keys[start : start + 500]))
                marks = ", ".join("?" * len(part))
                for key, blob in self._db.execute(
                    f"SELECT text_key, vector FROM vector WHERE embedder = ? AND text_key IN ({marks})",
                    [embedder_name, *part],
                ):
                    vector = np.frombuffer(blob, dtype=np.float32)
                    if vector.shape == (dimensions,):
                        found[key] = vector
        missing: dict[str, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key not in found:
                missing.setdefault(key, text)
        self.hits += len(keys) - sum(1 for k in keys if k in missing)
        self.misses += len(missing)
        if missing:
            fresh = np.asarray(embed(list(missing.values())), dtype=np.float32)
            if fresh.shape != (len(missing), dimensions):
                raise ValueError(
                    f"{embedder_name} returned vectors of shape {fresh.shape}, not ({len(missing)}, {dimensions})"
                )
            rows = [(embedder_name, key, fresh[i].tobytes()) for i, key in enumerate(missing)]
            with self._lock:
                self._db.execute("BEGIN")
                self._db.executemany("INSERT OR REPLACE INTO vector VALUES (?, ?, ?)", rows)
                self._db.execute("COMMIT")
            found.update((key, fresh[i]) for i, key in enumerate(missing))
        if not keys:
            return np.zeros((0, dimensions), dtype=np.float32)
        return np.stack([found[k] for k in keys])

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM vector").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
