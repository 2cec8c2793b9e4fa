"""`watchtower config` and `watchtower config init`: where the team's policies live and which file each is read from.

A team that wonders why a threshold did not change needs one answer: which file the process read. This
command asks the same function every loader asks (``core.config_files.policy_source``) and validates
each file with the same loader, so what it shows is what a run would use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from agents.configuration import load_watchtower_config
from approvals.policy import load_policy
from cli.context import CliError, app_context, console, handle_errors
from core.config_errors import ConfigError
from core.config_files import (
    POLICY_FILES,
    SHIPPED_DIR,
    DirOrigin,
    FileOrigin,
    TeamConfigDir,
    is_shipped,
    policy_source,
    shipped_policy,
    team_config_dir,
)
from core.glossary import load_glossary
from core.login_throttle import load_security_policy
from playbooks.forecast import load_forecast_config
from playbooks.play_config import load_playbook
from scorecards.health_model import load_health_model
from scorecards.segments import load_segment_rules

config_app = typer.Typer(
    help="The team's configuration directory and the file each policy is read from.",
    no_args_is_help=False,
    invoke_without_command=True,
)

#: The loader each policy goes through in a real run; validating with it means "it will load".
LOADERS: dict[str, Callable[[Path], Any]] = {
    "health_model.yaml": load_health_model,
    "segments.yaml": load_segment_rules,
    "watchtowers.yaml": load_watchtower_config,
    "plays.yaml": load_playbook,
    "forecast.yaml": load_forecast_config,
    "approvals.yaml": load_policy,
    "security.yaml": load_security_policy,
    "glossary.yaml": load_glossary,
    "copilot_intents.yaml": lambda path: _check_copilot_intents(path),
}

_WHERE = {
    DirOrigin.SETTING: "from the setting WATCHTOWER_CONFIG_DIR",
    DirOrigin.WORKING_FOLDER: "./config in the working folder (WATCHTOWER_CONFIG_DIR is unset)",
    DirOrigin.DATA_DIR: "under the data dir (WATCHTOWER_CONFIG_DIR is unset and there is no ./config)",
}


@dataclass(frozen=True)
class Checked:
    name: str
    origin: FileOrigin
    version: str
    errors: list[str]


def check_policies(team: TeamConfigDir) -> list[Checked]:
    """Each policy with the copy a run would read and whether it loads."""
    checked = []
    for name in POLICY_FILES:
        source = policy_source(name, directory=team.path)
        try:
            loaded = LOADERS[name](source.path)
        except ConfigError as exc:
            checked.append(Checked(name, source.origin, "", str(exc).splitlines()))
            continue
        checked.append(Checked(name, source.origin, str(getattr(loaded, "version", "")), []))
    return checked


@config_app.callback()
@handle_errors
def show_command(ctx: typer.Context) -> None:
    """Show the team's configuration directory, why it is there, and for each policy the file it is read
    from (the team's copy or the shipped default) and whether it validates. Exit 1 when one does not."""
    if ctx.invoked_subcommand is not None:
        return
    team = team_config_dir(app_context(ctx).settings)
    console.print(f"team configuration: {escape(str(team.path.resolve()))}", highlight=False)
    console.print(f"  {_WHERE[team.origin]}", highlight=False)
    if not team.path.is_dir():
        console.print("  not created yet: `watchtower config init` copies the shipped defaults there", highlight=False)
    console.print(f"shipped defaults: {escape(str(SHIPPED_DIR))}", highlight=False)
    checked = check_policies(team)
    table = Table(title_justify="left")
    for column in ("policy", "read from", "version", "valid"):
        table.add_column(column)
    for item in checked:
        valid = "[red]no[/]" if item.errors else "[green]yes[/]"
        table.add_row(item.name, str(item.origin), escape(item.version), valid)
    console.print(table)
    bad = [item for item in checked if item.errors]
    for item in bad:
        console.print(f"[bold red]{item.name}[/] ({item.origin}):", highlight=False)
        for line in item.errors:
            console.print(f"  {escape(line)}", highlight=False)
    if bad:
        raise CliError(
            f"{len(bad)} of {len(checked)} policy files do not validate",
            "each line above names the file and the key to fix; run `watchtower config` again",
        )


@config_app.command("init")
@handle_errors
def init_command(
    ctx: typer.Context,
    names: Annotated[
        list[str] | None, typer.Argument(help="Only these policy files (e.g. approvals.yaml); default all.")
    ] = None,
) -> None:
    """Copy the shipped defaults into the team's configuration directory for editing.

    A file the team already has is kept as it is: this never overwrites a team's policy."""
    unknown = sorted(set(names or ()) - set(POLICY_FILES))
    if unknown:
        raise CliError(f"unknown policy file {', '.join(unknown)}", f"choose from {', '.join(POLICY_FILES)}")
    team = team_config_dir(app_context(ctx).settings)
    if is_shipped(team.path / POLICY_FILES[0]):
        raise CliError(
            f"{team.path} holds the defaults that ship with Watchtower",
            "set WATCHTOWER_CONFIG_DIR to a folder of the team's own",
        )
    team.path.mkdir(parents=True, exist_ok=True)
    copied = 0
    for name in names or POLICY_FILES:
        target = team.path / name
        try:
            with target.open("x", encoding="utf-8") as out:  # "x": fails rather than overwrite a team's file
                out.write(shipped_policy(name).read_text(encoding="utf-8"))
        except FileExistsError:
            console.print(f"kept    {name} (the team's copy exists)", highlight=False)
            continue
        copied += 1
        console.print(f"copied  {name}", highlight=False)
    console.print(
        f"{copied} file(s) copied to {escape(str(team.path.resolve()))}; edit them, then `watchtower config` "
        "checks them",
        highlight=False,
    )


def _check_copilot_intents(path: Path) -> Any:
    """The copilot's graph comes with its intents; import it only when that file is checked."""
    from agents.copilot.compose import check_intents
    from agents.copilot.intents import load_intents

    return check_intents(load_intents(path).intents)
