"""docs/cli.md is generated from --help: it must be current and cover every command."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_cli_doc", REPO / "scripts" / "make_cli_doc.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_doc_is_current_and_complete() -> None:
    gen = _generator()
    doc = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    assert doc == gen.render(), "docs/cli.md is stale: run scripts/make_cli_doc.py"
    paths = gen.command_paths()
    assert len(paths) > 20
    for path in paths:
        assert f"## `{' '.join(['ipposaki', *path])}`" in doc


def test_every_command_help_has_an_example() -> None:
    gen = _generator()
    doc = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    sections = {s.split("`")[1]: s for s in doc.split("\n## ")[1:]}
    groups = {" ".join(["ipposaki", *p[:-1]]) for p in gen.command_paths() if p}
    for name, text in sections.items():
        if name not in groups:  # a command, not a group of commands
            assert "Example" in text, name
