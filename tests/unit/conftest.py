"""Unit tests are pure: any attempt to open a network socket fails the test.

Also the fixtures several unit modules share: an in-memory SQLite database with the schema, and the metrics of
the hand-computed book in ``tests.unit.metrics_book``. A module that needs something else defines its own
fixture of the same name, which takes precedence.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_socket import disable_socket, enable_socket
from sqlalchemy import Connection

import metrics
from core.db import make_engine
from core.schema import upgrade
from tests.unit import metrics_book


@pytest.fixture(autouse=True)
def _no_network() -> Iterator[None]:
    disable_socket(allow_unix_socket=False)
    yield
    enable_socket()


@pytest.fixture
def conn() -> Iterator[Connection]:
    """An empty in-memory SQLite database at the latest schema, inside one transaction."""
    engine = make_engine("sqlite://")
    upgrade(engine)
    with engine.begin() as connection:
        yield connection


@pytest.fixture
def report(conn: Connection) -> metrics.MetricsReport:
    """The metrics of ``metrics_book``'s hand-computed book over its quarter, with its play kinds."""
    metrics_book.build(conn)
    return metrics.compute(conn, start=metrics_book.START, end=metrics_book.END, kinds=metrics_book.KINDS)
