"""Fixtures the integration tests of the web pages share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from core.identity import User
from tests.integration.api_support import app_with_people


@pytest.fixture
def web(engine: Engine, database_url: str) -> Iterator[tuple[TestClient, dict[str, User]]]:
    """The app on a small book with one user per role (a module may define its own ``web`` instead)."""
    with app_with_people(engine, database_url) as served:
        yield served
