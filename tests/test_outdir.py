"""Output folders are written through a staging folder (issue #15, "validate, then write").

A run that fails leaves the old output folder byte for byte as it was, creates no folder, and
leaves no staging folder behind; a run that succeeds replaces only the files it wrote.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from ipposaki.errors import InputError
from ipposaki.outdir import check_writable, published, staged


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _old_folder(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    (out / "XNYS").mkdir(parents=True)
    (out / "summary.txt").write_text("old summary\n")
    (out / "XNYS" / "car.csv").write_text("old car\n")
    (out / "notes.md").write_text("the user's own notes\n")
    return out


def test_a_failure_leaves_the_old_folder_as_it_was(tmp_path: Path) -> None:
    out = _old_folder(tmp_path)
    before = _digest(out)
    with pytest.raises(RuntimeError, match="half way"):
        with staged(out) as folder:
            (folder / "summary.txt").write_text("new summary\n")
            (folder / "XNYS").mkdir()
            (folder / "XNYS" / "car.csv").write_text("new car\n")
            raise RuntimeError("failed half way")
    assert _digest(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging folder left


def test_success_replaces_what_it_wrote_and_keeps_the_rest(tmp_path: Path) -> None:
    out = _old_folder(tmp_path)
    with staged(out) as folder:
        (folder / "summary.txt").write_text("new summary\n")
        (folder / "XTKS").mkdir()
        (folder / "XTKS" / "car.csv").write_text("new tokyo car\n")
    assert (out / "summary.txt").read_text() == "new summary\n"
    assert (out / "XTKS" / "car.csv").read_text() == "new tokyo car\n"
    assert (out / "XNYS" / "car.csv").read_text() == "old car\n"  # not written this run
    assert (out / "notes.md").read_text() == "the user's own notes\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_new_folder_appears_whole_and_its_parents_go_on_failure(tmp_path: Path) -> None:
    out = tmp_path / "a" / "b" / "out"
    with pytest.raises(ValueError):
        with staged(out) as folder:
            (folder / "x.csv").write_text("1\n")
            raise ValueError("boom")
    assert list(tmp_path.iterdir()) == []  # a/ and a/b/ were made for the run, then removed
    with staged(out) as folder:
        (folder / "x.csv").write_text("1\n")
    assert _digest(out).keys() == {"x.csv"}
    assert sorted(p.name for p in out.parent.iterdir()) == ["out"]


def test_a_clash_with_a_folder_is_refused_before_any_file_moves(tmp_path: Path) -> None:
    out = _old_folder(tmp_path)
    before = _digest(out)
    with pytest.raises(InputError, match="XNYS"):
        with staged(out, "--out") as folder:
            (folder / "a.csv").write_text("new\n")
            (folder / "XNYS").write_text("a file where a folder is\n")
    assert _digest(out) == before


def test_output_paths_map_back_from_the_stage(tmp_path: Path) -> None:
    stage, out = tmp_path / ".out.x.staging", tmp_path / "out"
    assert published([stage / "XNYS" / "car.csv"], stage, out) == [out / "XNYS" / "car.csv"]


def test_a_file_or_a_read_only_parent_is_refused(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(InputError, match="is a file"):
        check_writable(tmp_path / "f", "--out")
    with pytest.raises(InputError, match="is a file"):
        check_writable(tmp_path / "f" / "sub", "--out")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):  # root writes anywhere: nothing to test
            pytest.skip("running as root")
        with pytest.raises(InputError, match="write to"):
            check_writable(locked / "out", "--out")
    finally:
        locked.chmod(0o700)


def test_a_study_that_fails_while_writing_leaves_out_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI path: `ipposaki study` whose writer fails after its first file."""
    from typer.testing import CliRunner

    from ipposaki.calendars import sessions
    from ipposaki.cli.main import app
    from ipposaki.study.results import EventStudyResult

    prices = tmp_path / "prices.csv"
    days = sessions("XNYS", "2024-01-02", "2025-03-31")
    rows = ["date,symbol,close"]
    for i, day in enumerate(days):
        rows.append(f"{day.date()},SPY,{100 + (i % 7) * 0.3 + i * 0.01:.4f}")
        rows.append(f"{day.date()},AAA,{50 + (i % 5) * 0.2 + i * 0.02:.4f}")
    prices.write_text("\n".join(rows) + "\n")
    events = tmp_path / "events.csv"
    events.write_text(f"symbol,date\nAAA,{days[280].date()}\n")
    out = _old_folder(tmp_path)
    before = _digest(out)
    original = EventStudyResult.to_dir

    def failing(self: EventStudyResult, folder: str | Path) -> list[Path]:
        original(self, folder)
        raise OSError("disk full")  # after every file was written to the stage

    monkeypatch.setattr(EventStudyResult, "to_dir", failing)
    args = ["study", "--prices", str(prices), "--events", str(events)]
    args += ["--market", "SPY", "--exchange", "XNYS", "--out", str(out)]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 1, res.output
    assert _digest(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.csv", "out", "prices.csv"]
