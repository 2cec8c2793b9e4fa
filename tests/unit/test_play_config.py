"""The plays file: the shipped defaults load, and every kind of mistake is an error that names its key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from core.config_errors import ConfigError
from core.config_files import SHIPPED_DIR
from playbooks.play_config import load_playbook

DEFAULT = SHIPPED_DIR / "plays.yaml"
SEEDS = {
    "usage_decline",
    "champion_departure",
    "nps_detractor",
    "approaching_plan_limits",
    "power_users",
    "department_expansion",
    "renewal_timeline",
}


def _with(tmp_path: Path, edit) -> Path:
    raw = yaml.safe_load(DEFAULT.read_text())
    edit(raw)
    path = tmp_path / "plays.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def _play(raw: dict, play_id: str) -> dict:
    return next(p for p in raw["plays"] if p["id"] == play_id)


def test_the_shipped_plays_cover_the_seeds() -> None:
    playbook = load_playbook(DEFAULT)
    assert {p.id for p in playbook.plays} == SEEDS
    usage = playbook.play("usage_decline")
    assert [(s.day, s.id) for s in usage.steps][:4] == [
        (1, "flag"),
        (1, "usage_report"),
        (2, "email_champion"),
        (2, "await_reply"),
    ]
    assert {s.day for s in usage.steps} == {1, 2, 5, 7, 14}
    renewal = playbook.play("renewal_timeline")
    assert renewal.anchor == "renewal"
    assert min(s.day for s in renewal.steps) == -180 and max(s.day for s in renewal.steps) == 30


def _error(tmp_path: Path, edit) -> str:
    with pytest.raises(ConfigError) as caught:
        load_playbook(_with(tmp_path, edit))
    return str(caught.value)


def test_an_unknown_fact_names_the_play_and_the_fact(tmp_path: Path) -> None:
    message = _error(tmp_path, lambda raw: _play(raw, "usage_decline").update(qualify="arr > 5000 and bnd == 'Red'"))
    assert "plays[usage_decline].qualify" in message
    assert "unknown fact(s) bnd" in message


def test_run_facts_are_refused_in_a_trigger(tmp_path: Path) -> None:
    message = _error(tmp_path, lambda raw: _play(raw, "power_users").update(trigger="responded"))
    assert "plays[power_users].trigger" in message and "responded" in message


def test_a_jump_backwards_is_refused_so_every_run_ends(tmp_path: Path) -> None:
    def edit(raw: dict) -> None:
        step = next(s for s in _play(raw, "usage_decline")["steps"] if s["id"] == "executive_save")
        step["branches"] = [{"if": "responded", "goto": "flag"}]

    message = _error(tmp_path, edit)
    assert "jumps back to 'flag'" in message


def test_tracks_that_jump_in_a_circle_are_refused(tmp_path: Path) -> None:
    def edit(raw: dict) -> None:
        play = _play(raw, "power_users")
        play["tracks"]["advocates"][1]["branches"] = [{"if": "responded", "goto": "loop"}]
        play["tracks"]["loop"] = [
            {"id": "again", "day": 1, "action": "task", "owner": "csm", "title": "x",
             "branches": [{"if": "responded", "goto": "advocates"}]},
        ]  # fmt: skip

    assert "tracks jump in a circle" in _error(tmp_path, edit)


def test_an_unknown_jump_target_lists_what_is_allowed(tmp_path: Path) -> None:
    def edit(raw: dict) -> None:
        step = next(s for s in _play(raw, "usage_decline")["steps"] if s["id"] == "await_reply")
        step["on_response"] = "recovery_trak"

    message = _error(tmp_path, edit)
    assert "'recovery_trak' is not a later step of track main, a track (recovery)" in message


def test_missing_template_and_placeholder_errors(tmp_path: Path) -> None:
    def missing(raw: dict) -> None:
        next(s for s in _play(raw, "nps_detractor")["steps"] if s["id"] == "recovery_email")["template"] = "nope"

    assert "prompts/templates/nope.md not found" in _error(tmp_path, missing)

    def placeholder(raw: dict) -> None:
        _play(raw, "power_users")["steps"][0]["title"] = "Call {account_nam}"

    assert "unknown placeholder(s) account_nam" in _error(tmp_path, placeholder)


def test_action_fields_and_auto_send_rules(tmp_path: Path) -> None:
    def no_owner(raw: dict) -> None:
        del _play(raw, "power_users")["steps"][0]["owner"]

    assert "a task step needs owner" in _error(tmp_path, no_owner)

    def auto_notify(raw: dict) -> None:
        _play(raw, "power_users")["steps"][1]["auto_send"] = True

    assert "auto_send applies to email steps only" in _error(tmp_path, auto_notify)


def test_steps_must_be_in_day_order_and_ids_unique(tmp_path: Path) -> None:
    def disorder(raw: dict) -> None:
        _play(raw, "power_users")["steps"][0]["day"] = 30

    assert "steps must be listed in day order" in _error(tmp_path, disorder)

    def duplicate(raw: dict) -> None:
        _play(raw, "power_users")["steps"][1]["id"] = "identify"

    assert "repeated: identify" in _error(tmp_path, duplicate)


def test_an_unknown_ritual_is_named(tmp_path: Path) -> None:
    def edit(raw: dict) -> None:
        next(s for s in _play(raw, "renewal_timeline")["steps"] if s["id"] == "preview")["ritual"] = "kickoff"

    assert "unknown ritual 'kickoff'" in _error(tmp_path, edit)
