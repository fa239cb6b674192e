"""One vocabulary for result columns (docs/vocabulary.md, issue 19).

Every column of every CSV the DeepSeek demo writes, and of the frames and files of a small
``run_study`` result, is named in the "Names" table of docs/vocabulary.md, and none is an old name
from its "Not these" table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest

from ipposaki.errors import UnknownNameError
from ipposaki.study import run_study

if TYPE_CHECKING:
    from conftest import Demo
    from ipposaki.study.results import EventStudyResult

DOC = Path(__file__).resolve().parents[1] / "docs" / "vocabulary.md"
_ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|")


def _section(text: str, title: str) -> list[str]:
    """The names in the first column of the table under ``## title``."""
    lines = text.splitlines()
    start = lines.index(f"## {title}") + 1
    names = []
    for line in lines[start:]:
        if line.startswith("## "):
            break
        if m := _ROW.match(line):
            names.append(m.group(1))
    return names


def vocabulary(text: str | None = None) -> tuple[frozenset[str], frozenset[str]]:
    """The documented names and the old ones, parsed from docs/vocabulary.md."""
    text = DOC.read_text(encoding="utf-8") if text is None else text
    return frozenset(_section(text, "Names")), frozenset(_section(text, "Not these"))


_PLACEHOLDER = re.compile(r"<([a-z]+)>")


def patterns(names: frozenset[str]) -> re.Pattern[str] | None:
    """One regex for the pattern names of the table (``<metric>_close``, ``severity_<series>``).

    ``<metric>`` matches any plain (pattern-free) name of the table, ``<series>`` any series
    name without spaces; another placeholder is an error in the doc.
    """
    plain = sorted((n for n in names if "<" not in n), key=len, reverse=True)
    fill = {"metric": "(?:" + "|".join(map(re.escape, plain)) + ")", "series": r"\S+"}
    parts = []
    for name in sorted(n for n in names if "<" in n):
        pos, regex = 0, ""
        for m in _PLACEHOLDER.finditer(name):
            if m.group(1) not in fill:
                raise ValueError(f"docs/vocabulary.md: unknown placeholder in {name!r}")
            regex += re.escape(name[pos : m.start()]) + fill[m.group(1)]
            pos = m.end()
        parts.append(regex + re.escape(name[pos:]))
    return re.compile("|".join(parts)) if parts else None


def offences(columns: Iterable[object], where: str, text: str | None = None) -> list[str]:
    """The columns that are old names or are not documented, each with where it was found."""
    names, old = vocabulary(text)
    pattern = patterns(names)
    out = []
    for col in map(str, columns):
        if col in old:
            out.append(f"{where}: {col!r} is an old name (docs/vocabulary.md, Not these)")
        elif col not in names and not (pattern and pattern.fullmatch(col)):
            out.append(f"{where}: {col!r} is not in docs/vocabulary.md")
    return out


def test_the_doc_parses_into_two_disjoint_tables() -> None:
    names, old = vocabulary()
    assert len(names) > 100 and len(old) > 20
    assert not names & old, sorted(names & old)
    core = {"basket", "session", "event_session", "event_label", "rel_day", "window", "nobs"}
    core |= {"coef", "std_err", "t_stat", "p_value", "statistic", "car", "caar", "aar", "ar"}
    core |= {"sar", "bhar", "rbar", "ci_low", "ci_high", "symbol", "exchange", "event_id"}
    assert core <= names, sorted(core - names)
    assert {"group", "n", "n_days", "car_se", "se", "t", "p_kp", "cw_mean_p", "se_hac"} <= old


def test_the_checker_flags_an_old_or_unknown_column() -> None:
    """A checker that cannot fail checks nothing."""
    frame = pd.DataFrame(columns=["symbol", "car", "car_se", "group", "wobble"])
    found = offences(frame.columns, "frame")
    assert len(found) == 3
    assert "'car_se' is an old name" in found[0] and "'group' is an old name" in found[1]
    assert "'wobble' is not in docs/vocabulary.md" in found[2]
    assert offences(["symbol", "car", "car_std_err", "basket"], "frame") == []


def test_a_pattern_name_accepts_documented_metrics_only() -> None:
    """``<metric>_close`` takes a documented name before ``_close``; ``<series>`` any series."""
    text = (
        "## Names\n\n| `car` | x |\n| `<metric>_close` | x |\n| `severity_<series>` | x |\n\n"
        "## Not these\n\n| `car_se` | `car_std_err` |\n"
    )
    good = ["car", "car_close", "severity_us_ai_chips", "severity_^N225"]
    assert offences(good, "f", text) == []
    bad = ["wobble_close", "car_se_close", "car_close_x", "close", "severity_", "car_se"]
    found = offences(bad, "f", text)
    assert len(found) == len(bad), found
    assert "'car_se' is an old name" in found[-1]
    with pytest.raises(ValueError, match="unknown placeholder"):
        patterns(frozenset({"a", "<thing>_close"}))


def test_the_parser_reads_only_its_own_section() -> None:
    text = (
        "# t\n\n## Names\n\n| name | m |\n|---|---|\n| `a` | x |\n\n## Not these\n\n| `b` | a |\n"
    )
    assert vocabulary(text) == (frozenset({"a"}), frozenset({"b"}))


def _panel(seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Market-model returns of eight firms in two baskets, and one event for each firm."""
    rng = np.random.default_rng(seed)
    sessions = pd.bdate_range("2024-01-01", periods=120)
    market = rng.normal(0, 0.01, len(sessions))
    firms = {f"F{i}": 0.8 * market + rng.normal(0, 0.01, len(sessions)) for i in range(8)}
    returns = pd.DataFrame({"M": market, **firms}, index=sessions)
    events = pd.DataFrame(
        {
            "symbol": list(firms),
            "event_date": [str(sessions[100 + i % 3].date()) for i in range(8)],
            "basket": ["a"] * 4 + ["b"] * 4,
        }
    )
    return returns, events


def _study(events: pd.DataFrame, returns: pd.DataFrame) -> EventStudyResult:
    return run_study(
        returns,
        events,
        market="M",
        estimation_window="-80:-11",
        event_window="-2:5",
        car_windows=["0:0", "0:1"],
        min_estimation_obs=50,
    )


@pytest.fixture(scope="module")
def study() -> EventStudyResult:
    returns, events = _panel()
    return _study(events, returns).with_inference(adjust="holm", bootstrap="wild", draws=99, seed=1)


def test_run_study_frames_use_the_vocabulary(study: EventStudyResult) -> None:
    frames = {
        "ar": study.ar,
        "car": study.car,
        "aar": study.aar,
        "caar": study.caar,
        "tests": study.tests,
        "params": study.params,
        "excluded": study.excluded,
    }
    assert {"basket", "nobs"} <= set(frames["caar"].columns)
    assert {"car_std_err", "car_t_stat", "car_p_value", "nobs"} <= set(frames["car"].columns)
    assert {"p_value_adj", "adjust"} <= set(frames["tests"].columns)
    found = [o for name, frame in frames.items() for o in offences(frame.columns, name)]
    assert not found, "\n".join(found)


def test_run_study_files_use_the_vocabulary(study: EventStudyResult, tmp_path: Path) -> None:
    study.to_dir(tmp_path)
    files = sorted(tmp_path.glob("*.csv"))
    assert len(files) >= 6
    found = [o for p in files for o in offences(pd.read_csv(p, nrows=0).columns, p.name)]
    assert not found, "\n".join(found)


def test_a_test_is_looked_up_by_basket(study: EventStudyResult) -> None:
    t = study.test("kolari_pynnonen", "0:1", basket="a")
    assert (t.basket, t.window, t.nobs) == ("a", "0:1", 4)
    with pytest.raises(UnknownNameError, match="unknown basket 'c'"):
        study.test("kolari_pynnonen", "0:1", basket="c")


def test_an_events_group_column_is_read_as_basket() -> None:
    """Old events files name the basket column ``group``; they give the same study."""
    returns, events = _panel()
    old = _study(events.rename(columns={"basket": "group"}), returns)
    new = _study(events, returns)
    pd.testing.assert_frame_equal(old.caar, new.caar)
    pd.testing.assert_frame_equal(old.tests, new.tests)
    assert set(old.caar["basket"]) == {"all", "a", "b"}


def test_demo_csvs_use_the_vocabulary(deepseek_demo: Demo) -> None:
    files = sorted(deepseek_demo.out.rglob("*.csv"))
    assert any(p.parent.name == "XNYS" for p in files)  # study/XNYS/*.csv
    found = []
    for p in files:
        where = p.relative_to(deepseek_demo.out).as_posix()
        found += offences(pd.read_csv(p, nrows=0).columns, where)
    assert not found, "\n".join(found)
