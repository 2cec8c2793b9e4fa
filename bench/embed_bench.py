"""Speed of the default embedder (all-MiniLM-L6-v2 in numpy) on one thread, and its load time and size.

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false \\
        python -m bench.embed_bench [--texts 512] [--repeats 3] [--reference-python /tmp/st-venv/bin/python]

Texts are the seeded book's chunks of one to three sentences (e-mails, call notes, tickets), cycled to
``--texts``. Prints:

- load: a fresh interpreter's ``load_model()`` and its first one-text ``embed`` (the weights are memory-mapped,
  so the first call pays for reading them); the page cache is warm, as on any run after the first;
- throughput: texts per second for one ``embed`` call over all texts at batch 32, best of ``--repeats``;
- a query: the median time of ``embed([one short text])``, what a search pays before it can rank;
- padding: the book's first 512 chunks (6 to 175 word pieces) embedded in arrival order 32 at a time, each
  batch padded to its longest, against one call that batches by length;
- size: the installed model package, as ``du -sh`` counts it;
- reference (with ``--reference-python``, an interpreter that has torch and sentence-transformers): the same
  texts through ``SentenceTransformer.encode`` at batch 32 on one torch thread, and the lowest cosine between
  its vectors and ours.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from evals.retrieval_corpus import book_rows, row_chunks
from knowledge_base.minilm import PACKAGE, MiniLM, load_model, model_files

SEED = 7
ACCOUNTS = 40
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)")

_COLD_LOAD = """
import json, time
t0 = time.perf_counter()
from knowledge_base.minilm import MiniLM, load_model
t1 = time.perf_counter()
load_model()
t2 = time.perf_counter()
MiniLM().embed(["The customer wants to renew with the analytics add-on."])
t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "load": t2 - t1, "first_embed": t3 - t2}))
"""

_REFERENCE = """
import json, sys, time
t0 = time.perf_counter()
import torch
from sentence_transformers import SentenceTransformer
torch.set_num_threads(1)
t1 = time.perf_counter()
model = SentenceTransformer(sys.argv[1], device="cpu")
t2 = time.perf_counter()
texts, repeats = json.load(sys.stdin)
model.encode(texts[:32], batch_size=32)
best = float("inf")
for _ in range(repeats):
    start = time.perf_counter()
    vectors = model.encode(texts, batch_size=32, convert_to_numpy=True)
    best = min(best, time.perf_counter() - start)
print(json.dumps({"import": t1 - t0, "load": t2 - t1, "seconds": best, "torch": torch.__version__,
                  "vectors": vectors.tolist()}))
"""


def book_chunks() -> list[str]:
    return [c.text for _, rows in book_rows(ACCOUNTS, SEED) for r in rows for c in row_chunks(r)]


def short_chunks(texts: list[str], count: int) -> list[str]:
    """Chunks of one to three sentences, cycled to ``count``."""
    short = [t for t in texts if 1 <= len(_SENTENCE_END.findall(t)) <= 3]
    return [short[i % len(short)] for i in range(count)]


def best_of(repeats: int, run: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def du_bytes(folder: Path) -> int:
    """Disk usage as ``du`` counts it: allocated blocks, not file lengths."""
    return sum(p.lstat().st_blocks * 512 for p in folder.rglob("*")) + folder.lstat().st_blocks * 512


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--reference-python", type=Path, default=None)
    args = parser.parse_args()

    threads = {k: os.environ.get(k, "unset") for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    print(f"numpy {np.__version__}, threads {threads}, {os.cpu_count()} cores visible")

    cold = json.loads(
        subprocess.run(
            [sys.executable, "-c", _COLD_LOAD], capture_output=True, text=True, check=True, env=os.environ
        ).stdout
    )
    print(
        f"load (fresh interpreter): import {cold['import']:.2f} s, load_model {cold['load']:.2f} s, "
        f"first embed {cold['first_embed']:.2f} s"
    )

    everything = book_chunks()
    texts = short_chunks(everything, args.texts)
    model = load_model()
    pieces = [len(e.ids) for e in model.tokenizer.encode_batch(texts)]
    embedder = MiniLM(batch_size=32)
    ours = embedder.embed(texts)
    seconds = best_of(args.repeats, lambda: embedder.embed(texts))
    print(
        f"throughput: {len(texts)} chunks of 1-3 sentences (word pieces p50 {statistics.median(pieces):.0f}, "
        f"max {max(pieces)}), batch 32, one call: {seconds:.2f} s, {len(texts) / seconds:.0f} texts/s"
    )

    query = ["Did they ask about a discount on the analytics add-on?"]
    timings = []
    for _ in range(50):
        start = time.perf_counter()
        embedder.embed(query)
        timings.append(time.perf_counter() - start)
    print(f"a query (one short text per call): median {statistics.median(timings) * 1000:.1f} ms")

    arrival = everything[:512]
    unsorted = best_of(args.repeats, lambda: [embedder.embed(arrival[i : i + 32]) for i in range(0, len(arrival), 32)])
    by_length = best_of(args.repeats, lambda: embedder.embed(arrival))
    print(
        f"padding: {len(arrival)} book chunks of mixed length in arrival order {unsorted:.2f} s, "
        f"batched by length {by_length:.2f} s ({unsorted / by_length:.1f}x)"
    )

    package = model_files().weights.parents[1] if model_files().weights.parent.name == "model" else None
    folder = package or model_files().weights.parent
    print(f"size: {PACKAGE} installed at {folder}: {du_bytes(folder) / 2**20:.1f} MiB")

    if args.reference_python:
        done = subprocess.run(
            [str(args.reference_python), "-c", _REFERENCE, str(model_files().weights.parent)],
            input=json.dumps([texts, args.repeats]),
            capture_output=True,
            text=True,
            check=True,
            env=os.environ,
        )
        ref = json.loads(done.stdout)
        theirs = np.asarray(ref["vectors"], dtype=np.float64)
        cosines = (ours.astype(np.float64) * theirs).sum(axis=1) / np.linalg.norm(theirs, axis=1)
        print(
            f"reference: sentence-transformers on torch {ref['torch']}, 1 thread: import {ref['import']:.2f} s, "
            f"load {ref['load']:.2f} s, {ref['seconds']:.2f} s, {len(texts) / ref['seconds']:.0f} texts/s; "
            f"lowest cosine to ours {cosines.min():.7f}"
        )


if __name__ == "__main__":
    main()
