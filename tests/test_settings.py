"""Each study default is written once, in ipposaki.study.settings (issue 19)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from ipposaki.study.settings import DEFAULTS, StudySettings

SRC = Path(__file__).resolve().parents[1] / "src" / "ipposaki"
# The default windows as they would be written out by hand.
SPELLED = {DEFAULTS.estimation_window, DEFAULTS.event_window}


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string constants that are docstrings."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                out.add(id(body[0].value))
    return out


def spelled_defaults(source: str, name: str) -> list[str]:
    """Where ``source`` writes a default window as a string literal (docstrings aside)."""
    tree = ast.parse(source)
    docs = _docstrings(tree)
    return [
        f"{name}:{node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and node.value in SPELLED and id(node) not in docs
    ]


def test_no_module_spells_a_default_window_but_settings() -> None:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if path.name != "settings.py":
            found += spelled_defaults(path.read_text(encoding="utf-8"), str(path.relative_to(SRC)))
    assert not found, "defaults written out again (use study.settings.DEFAULTS):\n" + "\n".join(
        found
    )


def test_the_scan_finds_a_spelled_default() -> None:
    """The check above can fail."""
    code = '"""Uses -250:-11."""\ndef f(w="-250:-11"):\n    """-5:10"""\n    return w\n'
    assert spelled_defaults(code, "m.py") == ["m.py:2: '-250:-11'"]


@pytest.mark.parametrize("field", [f for f in StudySettings.__dataclass_fields__])
def test_run_study_and_the_spec_take_their_defaults_from_settings(field: str) -> None:
    from ipposaki.study import run_study
    from ipposaki.study.spec import StudyTable

    value = getattr(DEFAULTS, field)
    parameter = inspect.signature(run_study).parameters[field]
    assert parameter.default == value
    if field in StudyTable.model_fields:
        table_default = StudyTable().model_dump()[field]
        assert (tuple(table_default) if field == "car_windows" else table_default) == value


def test_the_commands_take_their_defaults_from_settings() -> None:
    from ipposaki.cli.simulate import simulate
    from ipposaki.cli.study import study

    for command in (study, simulate):
        params = inspect.signature(command).parameters
        for field in ("model", "estimation_window", "event_window", "min_estimation_obs"):
            assert params[field].default == getattr(DEFAULTS, field), (command, field)


def test_settings_are_keyword_arguments_of_run_study() -> None:
    from ipposaki.study import run_study

    assert set(DEFAULTS.kwargs()) <= set(inspect.signature(run_study).parameters)
