"""Every ``ipposaki`` command in the README's shell examples runs, in order, and succeeds.

The commands run in a scratch folder laid out like a checkout (``examples/`` and ``../shared``
beside it) with a fresh store, once per session (the ``readme_run`` fixture in conftest.py, whose
files other tests check too). The few input files the README's examples name (``prices.csv``,
``events.csv``, ``my_instruments.toml``, ``my_baskets.toml``) are written here from the real
prices. Only commands that need the internet are left out, each with its reason.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pandas as pd

from conftest import REPO, ReadmeRun

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


def skipped(argv: list[str]) -> str | None:
    """Why a README command is not run here, or None."""
    words = [a for a in argv if not a.startswith("-")]
    return SKIP.get((words[0], words[1]) if len(words) > 1 else (words[0], ""))


def write_inputs(folder: Path, shared_prices: Path) -> None:
    """The input files the README's examples name, written into ``folder``."""
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


def test_readme_examples_run(readme_run: ReadmeRun) -> None:
    assert readme_run.ran, "nothing ran"
    ran = []
    for argv, code, err, seconds in readme_run.ran:
        assert code == 0, f"ipposaki {shlex.join(argv)} exited {code}: {err.strip()[-400:]}"
        ran.append((shlex.join(argv), seconds))
    ran = ran[1:]  # the import that stands for `make demo`
    expected = [a for a in readme_commands() if not skipped(a)]
    assert [a for a, _ in ran] == [shlex.join(a) for a in expected]
    assert readme_run.skipped == [a for a in readme_commands() if skipped(a)]
    assert len(ran) >= 20, ran
    work = readme_run.work
    carry = work / "out" / "carry_unwind"
    assert (carry / "report.en.html").is_file()
    assert json.loads((carry / "manifest.json").read_text())["synthetic"] is False
    assert (work / "out" / "study" / "car.csv").is_file()
