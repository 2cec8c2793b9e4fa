"""The signals stage: deterministic metrics per account and as-of date, computed from the source tables."""
