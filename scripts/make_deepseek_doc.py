"""Write the event-study tables of docs/deepseek.md from the real prices.

Run from the repository root, with ../shared/data/prices beside it::

    .venv/bin/python scripts/make_deepseek_doc.py > docs/deepseek_study.md
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import pandas as pd

from ipposaki.scan import scan
from ipposaki.spillover import evaluate_spillover, forecast_next
from ipposaki.store import Store
from ipposaki.study.spec import load_spec, run_spec

ROOT = Path(__file__).resolve().parents[1]
PRICES = ROOT.parent / "shared" / "data" / "prices" / "daily.csv"


def spillover_tables(store: Store) -> None:
    """The shock-day diagnostic and the out-of-sample evaluation, as Markdown."""
    targets = ["^N225", "^TOPX", "jp_semi_equipment", "jp_electric_wires"]
    print("### One step ahead: Tokyo's sessions around the shock\n")
    print(
        "Rolling 250-session regressions of each Tokyo target on the aligned New York returns "
        "of ^SOX, ^IXIC, NVDA and the USD/JPY change (JPY=X, whose daily close comes at 17:00 "
        "New York time, so the last one known at the New York close is the previous day's), "
        "using only data known at the New York close before the forecast session. 90% "
        "prediction intervals; z = (actual - forecast) / residual s.d.\n"
    )
    rows = []
    for as_of in ("2025-01-24", "2025-01-27"):
        res = forecast_next(store, as_of, targets=targets)
        table = res.table
        table.insert(0, "from New York", as_of)
        table["z"] = (table["actual"] - table["forecast"]) / table["sigma"]
        rows.append(table)
    both = pd.concat(rows, ignore_index=True)
    cols = [
        "from New York",
        "target_session",
        "target",
        "forecast",
        "lower",
        "upper",
        "actual",
        "z",
    ]
    print(both[cols].to_markdown(index=False, floatfmt=".4f"))
    print("\n### Out of sample, 2016-06-01 to 2025-12-31\n")
    ev = evaluate_spillover(store, "2016-06-01", "2025-12-31", targets=targets)
    cols = [
        "target",
        "nobs",
        "rmse",
        "rmse_vs_zero",
        "rmse_vs_mean",
        "hit_rate",
        "hit_rate_mean",
        "dm_zero",
        "dm_zero_p_value",
        "dm_mean_p_value",
        "cw_zero_p_value",
        "cw_mean_p_value",
        "r2_oos",
        "mz_a",
        "mz_b",
        "mz_p_value",
    ]
    print(ev.metrics[cols].to_markdown(index=False, floatfmt=".4f"))
    print()


def scan_tables(store: Store) -> None:
    """The shock scan of 2024-06-01..2025-03-31: top episodes and per-basket rankings."""
    res = scan(store, "2024-06-01", "2025-03-31")
    print("### Shock scan, 2024-06-01 to 2025-03-31\n")
    m = res.manifest
    print(
        f"All baskets and both exchanges' stock universes; |SAR| > {m['z']} against a "
        f"rolling {m['window']}-session market model fitted before each session (basket "
        f"channel), and each exchange's indices and equal-weighted universe with |z| > {m['z']} "
        f"on raw returns over an {m['market_volatility']} (market channel); episodes of at "
        f"most {m['max_sessions']} consecutive sessions of the two exchanges; severity: "
        f"{m['severity']}. {len(res.episodes)} episodes; the top ten:\n"
    )
    cols = ["rank", "start", "sessions", "severity", "channels", "baskets", "market", "events"]
    print(res.episodes.head(10)[cols].to_markdown(index=False, floatfmt=".1f"))
    print("\nRanked by one basket's severity:\n")
    rows = []
    for b in ("us_ai_chips", "jp_semi_equipment", "jp_electric_wires"):
        ranked = res.ranking(b).head(3)
        for i, r in enumerate(ranked.itertuples(), start=1):
            rows.append(
                {
                    "basket": b,
                    "rank": i,
                    "episode": r.start,
                    "sessions": r.sessions,
                    "severity": getattr(r, f"severity_{b}"),
                }
            )
    print(pd.DataFrame(rows).to_markdown(index=False, floatfmt=".2f"))
    print()


def main() -> None:
    """Import the real prices into a temporary store, run the spec, print Markdown."""
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "store.duckdb")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            store.import_files([PRICES], non_sessions="skip")
        result = run_spec(load_spec(ROOT / "examples" / "deepseek.toml"), store)
        print("### Event sessions\n")
        timing = result.timing()[["event_id", "exchange", "event_session", "hours_to_open"]]
        timing["event_session"] = timing["event_session"].dt.date
        print(timing.to_markdown(index=False, floatfmt=".1f"))
        print()
        for line in result.summary.as_text().splitlines():
            if "first" in line and "session after" in line:
                print(f"* {line}")
        print()
        spillover_tables(store)
        scan_tables(store)
    for exchange, res in result.results.items():
        p = res.parameters
        print(f"### {exchange}: CAAR by basket\n")
        print(
            f"Data: `shared/data/prices/daily.csv` ({p.data_source.split('(')[-1].rstrip(')')}); "
            f"model: {p.model} against each instrument's benchmark; estimation window "
            f"{p.estimation_window}, event window {p.event_window}; {len(res.params)} pairs, "
            f"{len(res.excluded)} excluded.\n"
        )
        table = res._summary_table()
        print(table.to_markdown(index=False, floatfmt=".4f"))
        print(f"\n### {exchange}: CAR by symbol, window 0:1\n")
        car = res.car.query("window == '0:1'")[
            ["basket", "symbol", "car", "car_std_err", "car_p_value", "bhar"]
        ]
        print(car.to_markdown(index=False, floatfmt=".4f"))
        print()


if __name__ == "__main__":
    main()
