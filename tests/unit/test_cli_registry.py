"""The command table of ``fenghuo`` (cli/main.py): every entry loads a real command or group,
and the one-line summary that ``fenghuo --help`` shows without loading anything is the start of
that command's own help, so the two cannot drift apart."""

from __future__ import annotations

import pytest
from typer.core import TyperGroup
from typer.testing import CliRunner

from fenghuo.cli.main import COMMANDS, app, load


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_entry_loads_and_its_summary_opens_its_help(name):
    command = load(name)
    assert command.name == name
    own_help = " ".join((command.help or "").split())
    assert own_help.startswith(COMMANDS[name].summary), (
        f"the summary of {name!r} in COMMANDS is not the start of its help: {own_help!r}")
    if isinstance(command, TyperGroup):
        assert command.list_commands(None), f"{name} has no subcommands"


def test_help_lists_every_command_in_its_panel():
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 0
    for name, entry in COMMANDS.items():
        assert f" {name} " in result.stdout, name
        assert entry.panel in result.stdout


def test_a_misspelt_command_is_a_usage_error_with_a_suggestion():
    result = CliRunner().invoke(app, ["bulletn"])
    assert result.exit_code == 2
    assert "bulletin" in result.stderr


def test_a_group_runs_its_subcommand_help():
    result = CliRunner().invoke(app, ["support", "round", "--help"],
                                env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 0 and "Selection rounds of support units" in result.stdout
