"""Hostile inputs across every command (issue #15), from the table in ``hostile_cases.py``.

Each case must exit with its code (2: the user's input), print exactly one line on stderr that
holds its words and never says "internal error", and leave the store byte-for-byte as it was.
``docs/errors.md`` is written from the same table (``scripts/make_errors_doc.py``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import file_digest
from hostile_cases import CASES, Case, argv, build_template, materialise, normalise, render_doc
from ipposaki.cli.main import run

#: Each case's message (its folder written {tmp}), for the check that docs/errors.md is current.
MESSAGES: dict[str, str] = {}


@pytest.fixture(scope="module")
def template_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small store, built once: ten symbols on their own sessions, 2024-01 to 2025-02."""
    return build_template(tmp_path_factory.mktemp("hostile"))


def run_case(case: Case, tmp: Path, template: Path) -> tuple[int, list[str], str, str]:
    """Run one case in ``tmp``; return the exit code, stderr lines and the store digests."""
    import io
    from contextlib import redirect_stderr, redirect_stdout

    store = tmp / "store.duckdb"
    shutil.copyfile(template, store)
    materialise(case, tmp)
    before = file_digest(store)
    err, out = io.StringIO(), io.StringIO()
    with redirect_stderr(err), redirect_stdout(out):
        code = run(argv(case, tmp, store))
    return code, err.getvalue().strip().splitlines(), before, file_digest(store)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input(
    case: Case,
    tmp_path: Path,
    template_store: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("IPPOSAKI_DEBUG", raising=False)
    monkeypatch.setenv("IPPOSAKI_LOCK_TIMEOUT", "1")
    monkeypatch.chdir(tmp_path)
    code, lines, before, after = run_case(case, tmp_path, template_store)
    err = capsys.readouterr().err.strip().splitlines() or lines
    err = [line for line in err if not line.startswith("... ")]  # progress notes, not errors
    assert code == case.code, err
    assert len(err) == 1, err
    assert err[0].startswith("error: ") and "internal error" not in err[0], err
    for word in case.words:
        assert word in err[0], (word, err[0])
    assert after == before, "the store changed"
    MESSAGES[case.id] = normalise(err[0], tmp_path)


def test_the_table_is_large_and_ids_are_unique() -> None:
    assert len(CASES) >= 120
    assert len({c.id for c in CASES}) == len(CASES)


def test_errors_doc_is_current() -> None:
    """docs/errors.md is what scripts/make_errors_doc.py writes from the cases above."""
    if len(MESSAGES) < len(CASES):
        pytest.skip("runs after the whole table (not with -k or after a failure)")
    doc = Path(__file__).resolve().parents[1] / "docs" / "errors.md"
    assert doc.read_text(encoding="utf-8") == render_doc(MESSAGES), (
        "docs/errors.md is stale: run .venv/bin/python scripts/make_errors_doc.py"
    )
