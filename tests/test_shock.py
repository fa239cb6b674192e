"""The shock pipeline's timing, its spec options and its forecast failures.

One day-0 rule (``ipposaki.crossmarket.event_sessions``: an exchange's day 0 is its first session
that closes after the news) serves the catalogue, ``contagion``, the study and the report; the
expected sessions follow from the exchanges' calendars (Tokyo was closed on Monday 2022-10-10,
Sports Day; New York was open that day, Columbus Day, while the Fed's H.10 USD/JPY was not
published).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ipposaki.errors import InputError
from ipposaki.shock import parse_report, shock_sessions
from ipposaki.study.spec import load_spec

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "deepseek",
            [
                ("XTKS", "2025-01-27", "day0", "2025-01-24"),
                ("XNYS", "2025-01-27", "day0", "2025-01-27"),
                ("XTKS", "2025-01-28", "next", "2025-01-27"),
            ],
        ),
        (
            "carry_unwind",
            [
                ("XTKS", "2024-08-05", "day0", "2024-08-02"),
                ("XNYS", "2024-08-05", "day0", "2024-08-05"),
                ("XTKS", "2024-08-06", "next", "2024-08-05"),
            ],
        ),
        (
            "export_controls_2022",
            [
                ("XNYS", "2022-10-07", "day0", "2022-10-07"),
                # Tokyo's first session after the news followed New York's 10-10 session
                ("XTKS", "2022-10-11", "day0+next", "2022-10-10"),
            ],
        ),
    ],
)
def test_shock_sessions_and_the_session_each_one_followed(
    name: str, expected: list[tuple[str, str, str, str]]
) -> None:
    sessions = shock_sessions(load_spec(REPO / "examples" / f"{name}.toml"))
    assert [(s.exchange, s.day, s.role, s.follows) for s in sessions] == expected


@pytest.mark.parametrize(
    ("spec", "event"),
    [("deepseek", "deepseek_shock"), ("export_controls_2022", "us_ec_2022_10_07")],
)
def test_catalogue_and_spec_agree_on_day_0(spec: str, event: str) -> None:
    from ipposaki.events import builtin_catalog

    ev = load_spec(REPO / "examples" / f"{spec}.toml").events[0]
    cat = builtin_catalog().get(event)
    assert ev.timestamp == cat.timestamp
    table = cat.sessions().set_index("exchange")["event_session"]
    for exchange in ("XTKS", "XNYS"):
        assert ev.session(exchange) == table[exchange], exchange


@pytest.mark.parametrize(
    ("spec", "baskets"),
    [
        ("deepseek", ["us_ai_chips", "jp_electric_wires"]),
        ("carry_unwind", ["us_ai_chips", "jp_semi_equipment"]),
        ("export_controls_2022", ["us_semi_equipment", "jp_semi_equipment"]),
    ],
)
def test_contagion_and_study_use_the_spec_day_0(
    shared_store, spec: str, baskets: list[str]
) -> None:
    """contagion (given the event's timestamp) and the spec's study put day 0 where the report
    does."""
    import dataclasses

    from ipposaki.scan.contagion import contagion
    from ipposaki.study.spec import run_spec

    study_spec = load_spec(REPO / "examples" / f"{spec}.toml")
    day0 = {s.exchange: s.day for s in shock_sessions(study_spec) if s.has("day0")}
    ev = study_spec.events[0]
    view = contagion(shared_store, ev.timestamp, baskets, before=1, after=1)
    at0 = view.paths.loc[view.paths["rel_day"] == 0]
    assert {
        x: f"{d:%Y-%m-%d}" for x, d in zip(at0["exchange"], at0["session"], strict=True)
    } == day0
    small = dataclasses.replace(
        study_spec,
        events=(dataclasses.replace(ev, baskets=tuple(baskets)),),
        study={**study_spec.study, "event_window": "-1:1", "car_windows": ["0:0"]},
    )
    for exchange, res in run_spec(small, shared_store).results.items():
        sessions = set(res.ar.loc[res.ar["rel_day"] == 0, "session"])
        assert sessions == {pd.Timestamp(day0[exchange])}, exchange


def test_report_options_are_validated(tmp_path: Path) -> None:
    (tmp_path / "power.toml").write_text(
        (REPO / "examples" / "power.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    options = parse_report({"scenarios": ["power.toml"], "top_moves": 3}, tmp_path)
    assert options.scenarios == (tmp_path / "power.toml",) and options.top_moves == 3
    assert parse_report({}, tmp_path).scenarios == ()
    (tmp_path / "odd.toml").write_text("[inputs]\nx = 1\n", encoding="utf-8")
    for table, match in (
        ({"scenario": []}, r"\[report\]\.scenario="),
        ({"scenarios": ["nope.toml"]}, "a scenario spec file"),
        ({"scenarios": ["odd.toml"]}, "an export-control spec"),
        ({"scenarios": "power.toml"}, "a list of names"),
        ({"top_moves": True}, "an integer from 1 to 50"),
    ):
        with pytest.raises(InputError, match=match):
            parse_report(table, tmp_path)


def test_deepseek_spec_names_its_scenarios_and_the_others_none() -> None:
    from ipposaki.shock import deepseek_spec
    from ipposaki.shock.pipeline import report_options

    built_in = report_options(deepseek_spec())
    example = report_options(load_spec(REPO / "examples" / "deepseek.toml"))
    assert (
        [p.name for p in built_in.scenarios]
        == [p.name for p in example.scenarios]
        == [
            "export_controls.toml",
            "power.toml",
            "compute_cost.toml",
        ]
    )
    for name in ("carry_unwind", "export_controls_2022"):
        assert report_options(load_spec(REPO / "examples" / f"{name}.toml")).scenarios == ()


def test_forecast_that_cannot_be_made_exits_2_with_its_reason(
    shared_store, capsys: pytest.CaptureFixture[str]
) -> None:
    from ipposaki.cli.main import run
    from ipposaki.spillover import forecast_next
    from ipposaki.spillover.forecast import ForecastUnavailableError

    store = ["--store", str(shared_store.path)]
    # DEXJPUS has no value on Columbus Day (a Fed holiday, a NYSE session); as the only driver
    # the forecast cannot be made (with others it is dropped with a DriverDroppedWarning).
    dex = ["--drivers", "DEXJPUS"]
    assert run(["spillover", "forecast", "--as-of", "2022-10-10", *dex, *store]) == 2
    err = capsys.readouterr().err
    assert "2022-10-10" in err and "DEXJPUS" in err
    assert run(["spillover", "forecast", "--as-of", "2025-10-06", *dex, *store]) == 2
    assert "no DEXJPUS after 2025-09-26" in capsys.readouterr().err
    with pytest.raises(ForecastUnavailableError) as info:
        forecast_next(shared_store, "2025-10-06", drivers=["DEXJPUS"])
    assert (info.value.kind, info.value.series, info.value.last) == (
        "missing_after",
        "DEXJPUS",
        "2025-09-26",
    )
    # Without the missing driver the forecast is made.
    table = forecast_next(shared_store, "2022-10-10", drivers=["^SOX", "^IXIC", "NVDA"]).table
    assert table["forecast"].notna().all()
