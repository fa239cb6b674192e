"""The library speaks Python, the command line speaks flags (#19).

Library messages name arguments as code spans (`non_sessions='skip'`, `start`); the CLI turns
the spans that are options of the running command into its flags. No message string of a
library module (outside ``ipposaki.cli``) spells a flag.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from ipposaki.cli.main import _cli_text, run

SRC = Path(__file__).resolve().parents[1] / "src" / "ipposaki"
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]+")


def _messages(path: Path) -> list[tuple[int, str]]:
    """String constants of a module that are not docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
    ]


def test_no_library_message_spells_a_flag() -> None:
    found = [
        f"{path.relative_to(SRC)}:{line}: {text[:60]!r}"
        for path in sorted(SRC.rglob("*.py"))
        if "cli" not in path.relative_to(SRC).parts
        for line, text in _messages(path)
        if FLAG.search(text)
    ]
    assert found == []


@pytest.mark.parametrize(
    ("argv", "text", "cli"),
    [
        (
            ["data", "import"],
            "skip them with `non_sessions='skip'`",
            "skip them with --non-sessions skip",
        ),
        (["study"], "(`roll='next'` gives 2025-01-06)", "(--roll next gives 2025-01-06)"),
        (["spillover", "forecast"], "or `lag=True` to use", "or --lag to use"),
        (["study"], "lower `min_estimation_obs`", "lower --min-estimation-obs"),
        # An argument that is no option of the command keeps its Python spelling.
        (["data", "info"], "narrow `start`/`end`", "narrow `start`/`end`"),
    ],
)
def test_code_spans_become_the_commands_flags(argv: list[str], text: str, cli: str) -> None:
    assert _cli_text(text, argv) == cli


def test_a_store_message_in_python_and_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ipposaki.errors import DataValidationError
    from ipposaki.store import Store

    bad = tmp_path / "p.csv"
    bad.write_text("date,symbol,close\n2025-01-24,8035.T,26400\n2025-01-01,8035.T,26000\n")
    with pytest.raises(DataValidationError, match=r"`non_sessions='skip'`"):
        Store(tmp_path / "a.duckdb").import_files([bad])
    assert run(["data", "import", str(bad), "--store", str(tmp_path / "b.duckdb")]) == 2
    err = capsys.readouterr().err
    assert "skip them with --non-sessions skip" in err and "`" not in err
