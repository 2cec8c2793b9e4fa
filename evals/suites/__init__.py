"""Runners: each turns a suite's cases into outputs, on the deterministic path or (``--live``) with the model."""

from __future__ import annotations

from evals.context import Runner


def runners() -> dict[str, Runner]:
    from evals.suites import (
        book_suites,
        copilot_grounded,
        early_warning,
        forecast_suite,
        imports,
        injection,
        narrative,
        retrieval_kb,
        routing,
        text_labels,
    )

    return {
        "approval_routing": routing.run,
        "text_labels": text_labels.run,
        "alerts_seeded": book_suites.alerts,
        "plays_triggering": book_suites.plays,
        "plays_once": book_suites.plays_once,
        "plays_routing": book_suites.plays_routing,
        "scorecards_seeded": book_suites.scorecards,
        "health_calibration": book_suites.calibration,
        "forecast_calibration": forecast_suite.run,
        "early_warning": early_warning.run,
        "narrative_faithfulness": narrative.run,
        "injection_resistance": injection.run,
        "import_partial": imports.run,
        "retrieval_kb": retrieval_kb.run,
        "copilot_grounded": copilot_grounded.run,
    }
