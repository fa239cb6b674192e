"""Run every Python block of docs/quickstart.md, in order, in one namespace."""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_quickstart_runs(
    shared_prices: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (REPO / "docs" / "quickstart.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 5
    work = tmp_path / "work"
    work.mkdir()
    # The page reads ../shared/data/prices relative to the checkout: mirror that layout.
    (tmp_path / "shared" / "data").mkdir(parents=True)
    os.symlink(shared_prices, tmp_path / "shared" / "data" / "prices")
    os.symlink(REPO / "examples", work / "examples")
    monkeypatch.chdir(work)
    namespace: dict[str, object] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for block in blocks:
            exec(compile(block, "quickstart.md", "exec"), namespace)
    files = namespace["files"]
    assert Path(files.html).is_file()  # type: ignore[attr-defined]
    assert "<table" in namespace["us"]._repr_html_()  # type: ignore[attr-defined]
    assert "<table" in namespace["episodes"]._repr_html_()  # type: ignore[attr-defined]
    carry = namespace["carry"]
    assert [s.day for s in carry.sessions] == ["2024-08-05", "2024-08-05", "2024-08-06"]  # type: ignore[attr-defined]
