"""The vector store on a real Chroma server (``chroma run``, shipped with chromadb): the same behaviours as
the embedded store through HttpClient, then a server that dies mid-test: retried while it comes back, a
clear error naming CHROMA_HOST when it does not.

With CI=true a missing ``chroma`` command fails the run; elsewhere these tests skip and say why.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from api.child_process import free_port
from core.settings import Settings
from knowledge_base.store import VectorStore, VectorStoreUnavailable, open_store
from tests.vector_store_cases import ACME, CASES, DIMENSIONS, fill, unit

START_SECONDS = 30.0


def chroma_command() -> str:
    beside = Path(sys.executable).parent / "chroma"
    found = str(beside) if beside.is_file() else shutil.which("chroma")
    if found is None:
        message = "the `chroma` command (installed with chromadb) is not on this machine; `make install` adds it"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (CI=true: Chroma server tests are required)", pytrace=False)
        pytest.skip(message)
    return found


@dataclass
class ChromaServer:
    command: str
    folder: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = (self.folder.parent / f"chroma-{self.port}.log").open("ab")
        self.process = subprocess.Popen(
            [self.command, "run", "--path", str(self.folder), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
        )
        log.close()
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"chroma run exited with {self.process.returncode}: {self.log_tail()}", pytrace=False)
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/api/v2/heartbeat", timeout=1.0).raise_for_status()
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        pytest.fail(f"chroma run gave no heartbeat within {START_SECONDS:.0f} s: {self.log_tail()}", pytrace=False)

    def kill(self) -> None:
        """Dies as a crashed server does: no goodbye to open connections."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_tail(self) -> str:
        path = self.folder.parent / f"chroma-{self.port}.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else "(no log)"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    running = ChromaServer(chroma_command(), tmp_path_factory.mktemp("chroma") / "data")
    running.start()
    yield running
    running.stop()


def server_settings(tmp_path: Path, port: int, *, attempts: int = 3) -> Settings:
    return Settings(
        data_dir=tmp_path / "var",
        chroma_host="127.0.0.1",
        chroma_port=port,
        chroma_max_attempts=attempts,
        chroma_backoff_max_seconds=0.5,
    )


@pytest.mark.parametrize("case", CASES, ids=[c.__name__ for c in CASES])
def test_server_store(server: ChromaServer, tmp_path: Path, case: Callable[[VectorStore], None]) -> None:
    settings = server_settings(tmp_path, server.port)
    name = f"case-{uuid.uuid4().hex[:8]}"  # a collection of its own on the shared server
    with open_store(settings, name=name, dimensions=DIMENSIONS) as store:
        case(store)
    assert not (tmp_path / "var" / "kb" / "chroma").exists(), "a server store wrote the embedded folder"


class RestartOnFirstRetry(logging.Handler):
    """Brings the server back when the store logs its first retry: the next attempt then finds it up,
    however long the server takes to start, with no race against the backoff."""

    def __init__(self, server: ChromaServer) -> None:
        super().__init__(logging.WARNING)
        self.server = server
        self.retries = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("Retrying"):
            self.retries += 1
            if self.retries == 1:
                self.server.start()


def test_a_server_that_dies_is_retried_until_it_is_back_then_named_when_it_stays_down(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    own = ChromaServer(chroma_command(), tmp_path / "chroma")
    own.start()
    store_log = logging.getLogger("knowledge_base.store")
    restarter = RestartOnFirstRetry(own)
    try:
        settings = server_settings(tmp_path, own.port, attempts=8)
        with open_store(settings, name="restarts", dimensions=DIMENSIONS) as store:
            fill(store)
            own.kill()
            store_log.addHandler(restarter)
            try:
                hits = store.search(unit(1.0), [ACME], k=1)
            finally:
                store_log.removeHandler(restarter)
            assert restarter.retries == 1  # one refused attempt, retried once against the restarted server
            assert hits[0].chunk.source_id == "ACC-00001-X001"  # the data outlived the crash

            own.kill()
            caplog.clear()
            started = time.monotonic()
            with (
                caplog.at_level(logging.WARNING, logger="knowledge_base.store"),
                pytest.raises(VectorStoreUnavailable) as failure,
            ):
                store.search(unit(1.0), [ACME], k=1)
            assert time.monotonic() - started < 30
        message = str(failure.value)
        assert f"CHROMA_HOST=127.0.0.1 CHROMA_PORT={own.port}" in message and "8 attempts" in message
        assert sum(r.getMessage().startswith("Retrying") for r in caplog.records) == 7
        assert isinstance(failure.value.__cause__, httpx.TransportError)
    finally:
        own.stop()


def test_no_server_at_all_is_named_when_the_store_opens(tmp_path: Path) -> None:
    settings = server_settings(tmp_path, free_port(), attempts=2)
    with pytest.raises(VectorStoreUnavailable, match=f"CHROMA_HOST=127.0.0.1 CHROMA_PORT={settings.chroma_port}"):
        open_store(settings, name="nowhere", dimensions=DIMENSIONS)
