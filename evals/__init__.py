"""Eval suites: specs, datasets, graders and the runner."""
