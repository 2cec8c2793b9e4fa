"""The registry of suites: every spec file, checked against the runners and graders that exist."""

from __future__ import annotations

from pathlib import Path

from core.config_errors import ConfigError, load_yaml_model
from evals.graders import graders
from evals.spec import REGISTRY, SuiteSpec
from evals.suites import runners


def load_specs(directory: Path = REGISTRY) -> list[SuiteSpec]:
    specs = []
    seen: set[str] = set()
    for path in sorted(directory.glob("*.yaml")):
        spec = load_yaml_model(path, SuiteSpec)
        if spec.id in seen:
            raise ConfigError(f"{path}: id: another spec already has the id {spec.id}")
        if spec.runner not in runners():
            raise ConfigError(f"{path}: runner: unknown runner {spec.runner!r}; known: {', '.join(sorted(runners()))}")
        if spec.grader not in graders():
            raise ConfigError(f"{path}: grader: unknown grader {spec.grader!r}; known: {', '.join(sorted(graders()))}")
        seen.add(spec.id)
        specs.append(spec)
    return specs
