"""What else happened (#20): a spec study lists each pair's own earnings announcements within
one session of its event session, from the store's earnings calendar."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from test_turnover import _store_with_shares


def _spec(folder: Path) -> Path:
    spec = folder / "e.toml"
    spec.write_text(
        'title = "e"\n[study]\nmodel = "constant-mean"\n'
        '[[events]]\nid = "d"\ndate = "2025-01-28"\nsymbols = ["8035.T", "6857.T"]\n'
    )
    return spec


def test_earnings_within_one_session_are_listed(tmp_path: Path) -> None:
    from ipposaki.study.spec import load_spec, run_spec

    store, _ = _store_with_shares(tmp_path, with_shares=False)
    # 2025-01-27 is the session before day 0 (Monday); 2025-01-24 is two sessions before.
    store.add_earnings(  # type: ignore[attr-defined]
        pd.DataFrame(
            {
                "symbol": ["8035.T", "6857.T"],
                "date": ["2025-01-27", "2025-01-24"],
                "kind": ["disclosed", "disclosed"],
                "fiscal_year": ["2025", "2025"],
                "fiscal_quarter": ["3Q", "3Q"],
                "source": ["test", "test"],
            }
        )
    )
    study = run_spec(load_spec(_spec(tmp_path)), store)  # type: ignore[arg-type]
    near = study.earnings.set_index("symbol")
    assert near.loc["8035.T", "earnings_count"] == 1
    assert near.loc["8035.T", "earnings_dates"] == "2025-01-27 (-1)"
    assert near.loc["6857.T", "earnings_count"] == 0  # two sessions before: outside
    assert "8035.T (d, XTKS): 2025-01-27 (-1)" in study.summary
    written = study.to_dir(tmp_path / "out")
    assert tmp_path / "out" / "earnings.csv" in written
    table = pd.read_csv(tmp_path / "out" / "earnings.csv")
    assert list(table.columns) == [
        "event_id",
        "symbol",
        "exchange",
        "event_session",
        "earnings_count",
        "earnings_dates",
    ]


def test_no_calendar_no_rows(tmp_path: Path) -> None:
    from ipposaki.study.spec import load_spec, run_spec

    store, _ = _store_with_shares(tmp_path, with_shares=False)
    study = run_spec(load_spec(_spec(tmp_path)), store)  # type: ignore[arg-type]
    assert study.earnings.empty
    assert "earnings" not in study.summary.as_text().lower()
