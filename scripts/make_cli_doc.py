"""Write docs/cli.md from the ``--help`` of every ``ipposaki`` command.

Reproduce (a test fails when the file is stale or a command is missing)::

    .venv/bin/python scripts/make_cli_doc.py
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "docs" / "cli.md"
ENV = {"COLUMNS": "100", "TERM": "dumb", "NO_COLOR": "1", "_TYPER_FORCE_DISABLE_TERMINAL": "1"}


def command_paths() -> list[list[str]]:
    """Every command path of the CLI, depth first: [], ["data"], ["data", "import"], ..."""
    from ipposaki.cli.main import app

    root = typer.main.get_command(app)

    def walk(cmd: Any, path: list[str]) -> list[list[str]]:
        out = [path]
        if hasattr(cmd, "commands"):  # a group (typer's own click types)
            for name in sorted(cmd.commands):
                out += walk(cmd.commands[name], [*path, name])
        return out

    return walk(root, [])


def render() -> str:
    """The whole document."""
    from ipposaki.cli.main import app

    runner = CliRunner()
    parts = [
        "# Command-line reference",
        "",
        "Generated from `--help` by `scripts/make_cli_doc.py`; a test keeps it current.",
        "Exit codes: 0 success, 2 a usage or input error (one line naming the argument), 1 an",
        "internal error.",
        "",
    ]
    for path in command_paths():
        result = runner.invoke(app, [*path, "--help"], env=ENV, prog_name="ipposaki")
        if result.exit_code != 0:
            raise RuntimeError(f"ipposaki {' '.join(path)} --help failed: {result.output}")
        title = " ".join(["ipposaki", *path])
        text = "\n".join(line.rstrip() for line in result.output.strip().splitlines())
        parts += [f"## `{title}`", "", "```text", text, "```", ""]
    return "\n".join(parts)


def main() -> None:
    TARGET.write_text(render(), encoding="utf-8")
    print(f"wrote {TARGET}", file=sys.stderr)


if __name__ == "__main__":
    main()
