"""Every result follows one protocol (issue 19): ``summary`` (a Summary in four formats),
a read-only ``manifest``, named tidy ``frames()`` / ``to_frame()``, and ``to_dir``.

The cases live in ``tests/protocol_cases_*.py`` (one file per package, each a ``CASES`` dict
of ``name -> factory(request, tmp_path)``); this file checks each of them, and checks that
every class in ``ipposaki`` with a ``summary`` is a :class:`ipposaki.results.Result` with a
case here.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pickle
import pkgutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import ipposaki
from ipposaki.results import ReadOnlyMapping, Result, Summary

HERE = Path(__file__).parent
Factory = Callable[[pytest.FixtureRequest, Path], Result]


def _cases() -> dict[str, Factory]:
    cases: dict[str, Factory] = {}
    for path in sorted(HERE.glob("protocol_cases_*.py")):
        module = importlib.import_module(path.stem)
        for name, factory in module.CASES.items():
            assert name not in cases, f"two protocol cases are called {name}"
            cases[name] = factory
    return cases


CASES = _cases()
_BUILT: dict[str, Result] = {}


def _build(name: str, request: pytest.FixtureRequest, tmp_path: Path) -> Result:
    """Each case built once per session: results are read-only, so two tests may share one."""
    if name not in _BUILT:
        _BUILT[name] = CASES[name](request, tmp_path)
    return _BUILT[name]


def _library_classes() -> dict[str, type]:
    found: dict[str, type] = {}
    for info in pkgutil.walk_packages(ipposaki.__path__, "ipposaki."):
        if ".cli" in info.name:
            continue
        module = importlib.import_module(info.name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and hasattr(cls, "summary"):
                found[f"{cls.__module__}.{name}"] = cls
    return found


def _frozen(value: Any) -> bool:
    if isinstance(value, dict | list | set):
        return False
    if isinstance(value, Mapping):
        return all(_frozen(v) for v in value.values())
    if isinstance(value, tuple):
        return all(_frozen(v) for v in value)
    return True


def check_protocol(result: Result, tmp_path: Path) -> None:
    """The checks every result passes (a function, so a test elsewhere can call it too)."""
    assert isinstance(result, Result), type(result)
    summary = result.summary
    assert isinstance(summary, Summary)
    text = summary.as_text()
    assert text.strip() and str(result) == text
    assert result._repr_html_() == summary.as_html()
    for rendered in (summary.as_html(), summary.as_markdown(), summary.as_latex()):
        assert isinstance(rendered, str) and rendered.strip()

    manifest = result.manifest
    assert isinstance(manifest, ReadOnlyMapping), type(manifest)
    assert _frozen(manifest), "the manifest holds a mutable dict, list or set"
    key = next(iter(manifest), "anything")
    with pytest.raises(TypeError):
        manifest[key] = 1  # type: ignore[index]
    assert "versions" in manifest and "ipposaki" in manifest["versions"]

    frames = result.frames()
    assert isinstance(frames, dict) and frames, "a result has at least one table"
    for name, frame in frames.items():
        assert isinstance(frame, pd.DataFrame), name
        assert all(n is None for n in frame.index.names), f"{name}: the index holds data"
        assert all(isinstance(c, str) for c in frame.columns), f"{name}: non-text column"
    first = next(iter(frames))
    pd.testing.assert_frame_equal(result.to_frame(), frames[first])

    out = tmp_path / "out"
    written = result.to_dir(out)
    names = {p.relative_to(out).as_posix() for p in written}
    assert {"summary.txt", "manifest.json"} <= names
    for part_name, part in result.parts().items():
        assert isinstance(part, Result), part_name
        assert f"{part_name}/summary.txt" in names, f"{part_name} was not written"
    assert {f"{n}.csv" for n in frames} <= names
    assert all(p.is_file() for p in written)
    assert (out / "summary.txt").read_text(encoding="utf-8") == text + "\n"
    json.loads((out / "manifest.json").read_text(encoding="utf-8"))

    assert pickle.loads(pickle.dumps(manifest)) is not None


@pytest.mark.parametrize("name", sorted(CASES))
def test_result_follows_the_protocol(
    name: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    result = _build(name, request, tmp_path)
    check_protocol(result, tmp_path)


# Results that must follow the protocol whether or not they have a summary yet.
REQUIRED = {
    "ipposaki.scan.contagion.ContagionView": "the scanner's contagion test per episode",
    "ipposaki.scenario.calibration.Calibration": "the export-control scenario's calibration",
}


def test_every_class_with_a_summary_is_a_result_with_a_case() -> None:
    classes = _library_classes()
    assert classes, "found no class with a summary"
    for path in REQUIRED:
        module, name = path.rsplit(".", 1)
        classes[path] = getattr(importlib.import_module(module), name)
    not_results = sorted(k for k, c in classes.items() if not issubclass(c, Result))
    assert not not_results, f"classes with a summary that are not Results: {not_results}"
    concrete = {k.rsplit(".", 1)[1] for k, c in classes.items() if not inspect.isabstract(c)}
    covered = {name.split("[", 1)[0] for name in CASES}
    missing = sorted(concrete - covered)
    assert not missing, f"Results without a protocol case in tests/protocol_cases_*.py: {missing}"


def test_the_checks_catch_a_mutable_manifest(tmp_path: Path) -> None:
    """The protocol check fails for a result whose manifest is a plain dict."""

    class Loose(Result):
        @property
        def summary(self) -> Summary:
            return Summary.of("one line")

        @property
        def manifest(self) -> dict[str, Any]:
            return {"versions": {"ipposaki": ipposaki.__version__}}

        def frames(self) -> dict[str, pd.DataFrame]:
            return {"t": pd.DataFrame({"a": [1]})}

    with pytest.raises(AssertionError):
        check_protocol(Loose(), tmp_path)


# Frames whose columns are data (one column per series or draw), not vocabulary.
WIDE = {
    ("Connectedness", "table"): "one column per series (the connectedness table)",
    ("RollingConnectedness", "rolling"): "to:X / from:X / net:X per series X",
    ("Connectedness", "rolling"): "to:X / from:X / net:X per series X (the rolling windows)",
    ("CrossSectionResult", "data"): "the user's own columns: y, the characteristics x, the id",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_result_frames_use_the_vocabulary(
    name: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Every column of every public frame is named in docs/vocabulary.md (issue 19)."""
    from test_vocabulary import offences

    result = _build(name, request, tmp_path)
    kind = name.split("[", 1)[0]
    found = []
    for frame_name, frame in result.frames().items():
        if (kind, frame_name) not in WIDE:
            found += offences(frame.columns, f"{name}.frames()[{frame_name!r}]")
    assert not found, "\n".join(found)
