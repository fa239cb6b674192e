"""The report's spread section (issue #16): the scanner's market column and the contagion test
of the event's episode, in both languages."""

from __future__ import annotations

import pandas as pd
import pytest

from ipposaki.report.episodes import contagion_blocks
from ipposaki.report.locale import load_locale
from ipposaki.shock.result import ScanOutcome


def _outcome(rank: int | None, contagion: bool, p: float) -> ScanOutcome:
    tests = pd.DataFrame(
        {
            "rank": [1, 2],
            "crisis_start": pd.to_datetime(["2025-01-27", "2024-07-17"]),
            "rho_tranquil": [0.2589, 0.35],
            "rho_crisis": [0.0909, 0.15],
            "delta": [-0.356, 3.4],
            "rho_adjusted": [0.113, 0.07],
            "p_value": [p, 0.8],
            "contagion": [contagion, False],
        }
    )
    return ScanOutcome("2024-05-30", "2025-03-31", pd.DataFrame(), 60, rank, contagion=tests)


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "en",
            [
                "episode ranked 1",
                "0.26",
                "0.09",
                "0.6 times its level before",
                "0.11",
                "p = 0.692",
                "no contagion",
                "Tokyo 27 Jan 2025",
            ],
        ),
        (
            "ja",
            ["順位1", "0.26", "0.09", "0.11", "片側p値 0.692", "伝染（コンテイジョン）ではなく"],
        ),
    ],
)
def test_the_event_episode_gets_its_contagion_sentence(lang: str, words: list[str]) -> None:
    blocks = contagion_blocks(_outcome(1, False, 0.692), load_locale(lang))
    assert len(blocks) == 1
    text = blocks[0].text
    for w in words:
        assert w in text, w


def test_a_significant_rise_says_contagion_and_no_episode_says_nothing() -> None:
    en = load_locale("en")
    text = contagion_blocks(_outcome(1, True, 0.01), en)[0].text
    assert "significant rise" in text and "contagion beyond the usual interdependence" in text
    assert contagion_blocks(_outcome(None, False, 0.5), en) == []
    assert contagion_blocks(_outcome(7, False, 0.5), en) == []  # not tested: nothing said


def test_the_target_session_in_parts_and_the_forecast_record(shared_store: object) -> None:
    """Tokyo 2025-01-28 split by hand from daily.csv (^N225 closed at 39,565.80 on 01-27,
    opened at 39,400.02 and closed at 39,016.87 on 01-28: the -548.93 of the mission); the
    record covers the XTKS sessions of the three years to that day."""
    from ipposaki.calendars import sessions
    from ipposaki.shock.pipeline import _skill

    skill, start, split = _skill(shared_store, "2025-01-28", ["^N225", "^TOPX"], None)  # type: ignore[arg-type]
    row = split.set_index("target").loc["^N225"]
    assert row["overnight"] == pytest.approx(39400.02 / 39565.8 - 1, abs=1e-12)
    assert row["daytime"] == pytest.approx(39016.87 / 39400.02 - 1, abs=1e-12)
    assert row["close"] == pytest.approx(39016.87 / 39565.8 - 1, abs=1e-12)
    assert 39016.87 - 39565.8 == pytest.approx(-548.93, abs=1e-9)
    grid = sessions("XTKS", "2022-01-28", "2025-01-28")
    assert start == str(grid[0].date())
    n = skill.set_index(["target", "part"])["nobs"]
    assert n.loc[("^N225", "close")] <= len(grid) and n.loc[("^N225", "close")] > len(grid) - 10
    assert set(skill["part"]) == {"close", "overnight", "daytime"}
    assert skill["cw_mean_p_value"].between(0, 1).all() and skill["hit_rate"].between(0, 1).all()
