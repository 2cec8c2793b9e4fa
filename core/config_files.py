"""Where each editable policy (health model, segments, plays, forecast, approvals, watchtowers, security) is read from.

Watchtower ships a default for every policy inside the package (``core/defaults``), so an installed copy
works with no set-up. A team keeps its own copies in one folder, the team's configuration directory, and a
copy there wins over the shipped default file by file: a team that only edits its approval rules keeps only
``approvals.yaml``. A path given for one run (``--model``, ``--policy``, ...) beats both. Everything that
loads a policy asks :func:`policy_source`, so the answer is the same for the CLI, the API, the agents and the
evals, and ``watchtower config`` can show it.

Nothing here reads settings at import time; the environment is read when a policy is looked up.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from core.settings import Settings

SHIPPED_DIR = Path(__file__).resolve().parent / "defaults"
#: The folder Watchtower's packages sit in: site-packages for an installed copy, the checkout for a source tree.
PACKAGES_ROOT = Path(__file__).resolve().parents[1]

#: The policies a team may keep its own copy of, in the order ``watchtower config`` lists them.
POLICY_FILES: tuple[str, ...] = (
    "health_model.yaml",
    "segments.yaml",
    "watchtowers.yaml",
    "plays.yaml",
    "forecast.yaml",
    "approvals.yaml",
    "security.yaml",
    "glossary.yaml",
    "copilot_intents.yaml",
)

#: The folder a team's copies live in when nothing else says where, relative to the working folder.
WORKING_FOLDER_CONFIG = Path("config")


class DirOrigin(StrEnum):
    """Why the team's configuration directory is where it is."""

    ARGUMENT = "argument"
    SETTING = "setting"
    WORKING_FOLDER = "working folder"
    DATA_DIR = "data dir"


class FileOrigin(StrEnum):
    """Which copy of a policy was read."""

    ARGUMENT = "argument"
    TEAM = "team copy"
    SHIPPED = "shipped default"


@dataclass(frozen=True)
class TeamConfigDir:
    path: Path
    origin: DirOrigin


@dataclass(frozen=True)
class PolicySource:
    name: str
    path: Path
    origin: FileOrigin


def team_config_dir(settings: Settings | None = None, *, directory: Path | None = None) -> TeamConfigDir:
    """The team's folder: a per-run ``directory``, else ``WATCHTOWER_CONFIG_DIR``, else ``./config`` when it
    exists, else ``<data_dir>/config``. The last keeps a source checkout clean: ``var/`` is not tracked."""
    if directory is not None:
        return TeamConfigDir(directory, DirOrigin.ARGUMENT)
    settings = settings if settings is not None else Settings()
    if settings.config_dir is not None:
        return TeamConfigDir(settings.config_dir, DirOrigin.SETTING)
    if WORKING_FOLDER_CONFIG.is_dir():
        return TeamConfigDir(WORKING_FOLDER_CONFIG, DirOrigin.WORKING_FOLDER)
    return TeamConfigDir(settings.data_dir / "config", DirOrigin.DATA_DIR)


def shipped_policy(name: str) -> Path:
    """The default that ships inside the package; a person never edits it in place."""
    if name not in POLICY_FILES:
        raise ValueError(f"unknown policy file {name!r}; expected one of {', '.join(POLICY_FILES)}")
    return SHIPPED_DIR / name


def policy_source(
    name: str, explicit: Path | None = None, *, directory: Path | None = None, settings: Settings | None = None
) -> PolicySource:
    """The file one policy is read from: ``explicit`` (a per-run argument), else the team's copy when the team
    has one, else the shipped default. Settings are only read when no explicit path is given."""
    shipped = shipped_policy(name)
    if explicit is not None:
        return PolicySource(name, explicit, FileOrigin.ARGUMENT)
    team = team_config_dir(settings, directory=directory).path / name
    if team.exists():  # a folder or an unreadable file there is the team's mistake to show, not the default
        return PolicySource(name, team, FileOrigin.TEAM)
    return PolicySource(name, shipped, FileOrigin.SHIPPED)


def policy_path(
    name: str, explicit: Path | None = None, *, directory: Path | None = None, settings: Settings | None = None
) -> Path:
    """Shorthand for ``policy_source(...).path``: what every policy loader calls."""
    return policy_source(name, explicit, directory=directory, settings=settings).path


def is_shipped(path: Path) -> bool:
    """True for a path inside the package's shipped defaults, which no command may write to."""
    return path.resolve().is_relative_to(SHIPPED_DIR)


def is_program_file(path: Path) -> bool:
    """True for a path among the installed packages, or anywhere in the source checkout they are run from: a
    command writes there only when it is the team's configured directory, never to a path typed for one run."""
    return path.resolve().is_relative_to(PACKAGES_ROOT)
