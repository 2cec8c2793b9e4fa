"""Segment rules: which segment an account is in, which decides its health model overrides and review cadence."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.config_errors import load_yaml_model


class SegmentRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    arr_min: float | None = Field(None, ge=0, description="ARR strictly above this.")
    arr_max: float | None = Field(None, ge=0, description="ARR at or below this.")
    products_min: int | None = Field(None, ge=0)
    review_cadence_days: int = Field(ge=1, le=365)

    def matches(self, arr: Decimal | float | None, products: int) -> bool:
        value = float(arr or 0)
        if self.arr_min is not None and not value > self.arr_min:
            return False
        if self.arr_max is not None and not value <= self.arr_max:
            return False
        return self.products_min is None or products >= self.products_min

    @property
    def catch_all(self) -> bool:
        return self.arr_min is None and self.arr_max is None and self.products_min is None


class SegmentRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: When an imported account names a known segment, keep it instead of applying the rules.
    use_imported_segment: bool = True
    segments: list[SegmentRule] = Field(min_length=1, description="First match wins; the last must match everything.")

    @model_validator(mode="after")
    def _ends_with_catch_all(self) -> SegmentRules:
        if not self.segments[-1].catch_all:
            raise ValueError("segments: the last rule must have no conditions, so every account gets a segment")
        names = [s.name for s in self.segments]
        if len(set(names)) != len(names):
            raise ValueError("segments: names must be unique")
        return self

    def segment_for(self, arr: Decimal | float | None, products: int, imported: str | None = None) -> SegmentRule:
        if self.use_imported_segment and imported:
            for rule in self.segments:
                if rule.name == imported:
                    return rule
        return next(rule for rule in self.segments if rule.matches(arr, products))


def load_segment_rules(path: Path) -> SegmentRules:
    return load_yaml_model(path, SegmentRules)
