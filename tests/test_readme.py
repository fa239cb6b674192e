"""Every ``ipposaki`` command in the README's shell examples runs, in order, and succeeds.

The commands run in a scratch folder laid out like a checkout (``examples/`` and ``../shared``
beside it) with a fresh store. The few input files the README's examples name (``prices.csv``,
``events.csv``, ``my_instruments.toml``, ``my_baskets.toml``) are written here from the real
prices. Only commands that need the internet are left out, each with its reason.
"""

from __future__ import annotations

import json
import re
import shlex
import time
from pathlib import Path

import pandas as pd
import pytest

from conftest import REPO
from ipposaki.cli.main import run

#: Commands not run here, and why.
SKIP = {
    ("data", "pull"): "downloads from Yahoo; tests/test_yahoo.py runs it on recorded responses",
}


def readme_commands() -> list[list[str]]:
    """The ``ipposaki`` commands of the README's ```bash blocks, continuations joined."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            argv = shlex.split(line, comments=True)
            if argv and argv[0] == "ipposaki":
                commands.append(argv[1:])
    return commands


def _skipped(argv: list[str]) -> str | None:
    words = [a for a in argv if not a.startswith("-")]
    return SKIP.get((words[0], words[1]) if len(words) > 1 else (words[0], ""))


def _inputs(folder: Path, shared_prices: Path) -> None:
    daily = pd.read_csv(shared_prices / "daily.csv", usecols=["date", "symbol", "close"])
    us = daily[daily["symbol"].isin(["SPY", "NVDA", "AVGO", "AMD"])]
    us[us["date"] >= "2023-06-01"].to_csv(folder / "prices.csv", index=False)
    events = "symbol,event_date\nNVDA,2025-01-27\nAVGO,2025-01-27\nAMD,2025-01-27\n"
    (folder / "events.csv").write_text(events, encoding="utf-8")
    (folder / "my_instruments.toml").write_text(
        '[instruments."7013.T"]\nname = "IHI"\nexchange = "XTKS"\ncurrency = "JPY"\n',
        encoding="utf-8",
    )
    (folder / "my_baskets.toml").write_text(
        '[my_chips]\nsymbols = ["NVDA", "AVGO", "AMD"]\n', encoding="utf-8"
    )


def test_readme_lists_the_main_commands() -> None:
    heads = {tuple(a for a in argv if not a.startswith("-"))[:2] for argv in readme_commands()}
    for needed in (("demo",), ("report", "examples/carry_unwind.toml"), ("study",), ("scan",)):
        assert any(h[: len(needed)] == needed for h in heads), needed


@pytest.mark.slow
def test_readme_examples_run(
    shared_prices: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    work = tmp_path / "checkout"
    work.mkdir()
    (work / "examples").symlink_to(REPO / "examples")
    (tmp_path / "shared").symlink_to(shared_prices.parents[1])
    _inputs(work, shared_prices)
    monkeypatch.chdir(work)
    monkeypatch.setenv("IPPOSAKI_STORE", str(tmp_path / "store.duckdb"))
    monkeypatch.delenv("IPPOSAKI_DATA", raising=False)
    # the README's first block is `make demo`, which leaves the real prices in the store
    daily = str(shared_prices / "daily.csv")
    assert run(["--quiet", "data", "import", daily, "--non-sessions", "skip"]) == 0
    ran = []
    for argv in readme_commands():
        if _skipped(argv):
            continue
        start = time.perf_counter()
        code = run(argv)
        out, err = capsys.readouterr()
        assert code == 0, f"ipposaki {shlex.join(argv)} exited {code}: {err.strip()[-400:]}"
        ran.append((shlex.join(argv), round(time.perf_counter() - start, 1)))
    assert len(ran) >= 20, ran
    carry = work / "out" / "carry_unwind"
    assert (carry / "report.en.html").is_file()
    assert json.loads((carry / "manifest.json").read_text())["synthetic"] is False
    assert (work / "out" / "study" / "car.csv").is_file()
