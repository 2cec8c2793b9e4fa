"""Column types shared by the domain tables."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import JSON, Numeric
from sqlalchemy.dialects.postgresql import JSONB

# JSONB on Postgres so later issues can index and query inside; plain JSON text on SQLite.
JSONType = JSON().with_variant(JSONB(), "postgresql")

# Two decimals are enough for contract money; rates and percentages use floats.
Money = Numeric(14, 2, asdecimal=True)

ZERO = Decimal("0.00")
