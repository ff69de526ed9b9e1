"""The README's command list, checked against the commands themselves (what `--help` prints).

Every command and every option of it appears on a README line that starts
with `recovery COMMAND`; every option the README shows exists; and every
command that prints data takes --json.
"""

from __future__ import annotations

import re

import click
import pytest

from recovery.cli import cli
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
#: Options every command has, or that belong to the group itself.
COMMON = {"--help", "-h", "--version", "--db"}
#: Commands that only do something (and say so in a sentence): no data to print.
NOTHING_TO_PRINT = {
    "watch", "serve", "folders add", "folders remove", "strength done", "password set", "password clear",
}  # fmt: skip


def commands(group: click.Group = cli, prefix: str = "") -> dict[str, click.Command]:
    """Every visible command, by its path ("folders add"), groups included when they run on their own."""
    found: dict[str, click.Command] = {}
    for name, command in group.commands.items():
        if command.hidden:
            continue
        path = f"{prefix}{name}"
        if isinstance(command, click.Group):
            if command.invoke_without_command:
                found[path] = command
            found.update(commands(command, path + " "))
        else:
            found[path] = command
    return found


def readme_lines() -> dict[str, str]:
    """Command path -> the README lines (before their comments) that show it; `a|b|c` names several."""
    shown: dict[str, str] = {}
    for line in README.splitlines():
        match = re.match(r"^ {4}recovery (?:--db \S+ )?([a-z-]+)((?: [a-z-]+(?:\|[a-z-]+)*)?)(.*)$", line)
        if not match:
            continue
        text = line.split("  #", 1)[0]
        first, rest = match.group(1), match.group(2).strip()
        group = cli.commands.get(first)
        if isinstance(group, click.Group) and rest and all(n in group.commands for n in rest.split("|")):
            for name in rest.split("|"):
                shown[f"{first} {name}"] = shown.get(f"{first} {name}", "") + text
        else:
            shown[first] = shown.get(first, "") + text
    return shown


def options(command: click.Command) -> list[list[str]]:
    """Each option's names (--watch and --no-watch together), leaving out the common ones."""
    return [
        [*param.opts, *param.secondary_opts]
        for param in command.params
        if isinstance(param, click.Option) and not set(param.opts) & COMMON
    ]


@pytest.mark.parametrize("path", sorted(commands()))
def test_every_command_and_each_of_its_options_is_in_the_readme(path: str) -> None:
    lines = readme_lines()
    assert path in lines, f"the README's command list has no line for `recovery {path}`"
    missing = [names[0] for names in options(commands()[path]) if not any(n in lines[path] for n in names)]
    assert missing == [], f"`recovery {path}` takes {missing}, which its README line does not show"


def test_every_option_the_readme_shows_exists() -> None:
    every = commands()
    for path, line in readme_lines().items():
        if path not in every:
            continue
        known = {name for names in options(every[path]) for name in names} | COMMON
        shown = set(re.findall(r"--[a-z][a-z-]*", line))
        assert shown <= known, f"the README shows {sorted(shown - known)} for `recovery {path}`, which has none"


def test_the_readme_names_no_command_that_does_not_exist() -> None:
    unknown = sorted(set(readme_lines()) - set(commands()))
    assert unknown == [], f"the README shows commands that do not exist: {unknown}"


@pytest.mark.parametrize("path", sorted(set(commands()) - NOTHING_TO_PRINT))
def test_every_command_that_prints_data_takes_json(path: str) -> None:
    assert any("--json" in names for names in options(commands()[path])), f"`recovery {path}` has no --json"
