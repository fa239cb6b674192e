"""The structure issue 19 asks for, checked on the source: short functions and one-way layers."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "ipposaki"


def _trees() -> list[tuple[Path, ast.Module]]:
    return [(p, ast.parse(p.read_text(encoding="utf-8"))) for p in sorted(SRC.rglob("*.py"))]


def test_no_function_is_over_100_lines() -> None:
    long = [
        f"{path.relative_to(SRC)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1})"
        for path, tree in _trees()
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > 100
    ]
    assert long == []


def test_the_store_imports_nothing_from_the_panel() -> None:
    imports = [
        f"{path.name}:{node.lineno}"
        for path, tree in _trees()
        if path.parent.name == "store"
        for node in ast.walk(tree)
        if (isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ipposaki.panel"))
        or (
            isinstance(node, ast.Import)
            and any(a.name.startswith("ipposaki.panel") for a in node.names)
        )
    ]
    assert imports == []


def test_the_shock_pipeline_is_a_package_not_a_root_module() -> None:
    root = {p.stem for p in SRC.glob("*.py")}
    assert not root & {"demo", "pipeline", "shock"}
    assert (SRC / "shock" / "pipeline.py").exists()


def test_no_module_is_over_800_lines() -> None:
    """../shared/STYLE.md: split a module before it passes ~800 lines."""
    long = {
        str(path.relative_to(SRC)): n
        for path in SRC.rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > 800
    }
    assert not long, f"modules over 800 lines: {long}"
