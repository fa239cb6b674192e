"""Write the tables of docs/export_controls.md: equipment makers around US export controls.

Run from the repository root, with ../shared/data/prices beside it::

    .venv/bin/python scripts/make_export_controls_doc.py > /tmp/ec.md
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

from ipposaki.events import builtin_catalog
from ipposaki.store import Store
from ipposaki.study.spec import SpecEvent, StudySpec, run_spec

ROOT = Path(__file__).resolve().parents[1]
PRICES = ROOT.parent / "shared" / "data" / "prices" / "daily.csv"
EVENTS = ("us_ec_2022_10_07", "us_ec_2023_10_17", "us_ec_2024_12_02")
MAKERS = ("8035.T", "6857.T", "6146.T", "6920.T", "7735.T", "AMAT", "LRCX", "KLAC", "ASML")


def main() -> None:
    """Import the real prices, study the three dates, print Markdown tables."""
    catalog = builtin_catalog()
    spec = StudySpec(
        title="US export controls and chip-equipment makers",
        events=tuple(
            SpecEvent(
                id=e,
                date=None,
                name=catalog.get(e).name,
                symbols=MAKERS,
                timestamp=catalog.get(e).timestamp,
            )
            for e in EVENTS
        ),
        study={
            "model": "market",
            "estimation_window": "-250:-11",
            "event_window": "-5:10",
            "car_windows": ["0:0", "0:1", "-1:1", "0:5", "0:10"],
        },
    )
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "store.duckdb")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            store.import_files([PRICES], non_sessions="skip")
        result = run_spec(spec, store)
    timing = result.timing()[["event_id", "exchange", "event_session", "hours_to_open"]]
    timing["event_session"] = timing["event_session"].dt.date
    print("### Event sessions\n")
    print(timing.to_markdown(index=False, floatfmt=".1f"))
    for exchange, res in result.results.items():
        print(f"\n### {exchange}: CAR by firm and event\n")
        car = res.car.pivot_table(index=["event_id", "symbol"], columns="window", values="car")
        car = car[["0:0", "0:1", "-1:1", "0:5", "0:10"]].reset_index()
        print(car.to_markdown(index=False, floatfmt=".4f"))
        print(f"\n### {exchange}: CAAR by event, with KP and rank p-values\n")
        table = res._summary_table()
        table = table.loc[table["basket"] != "all"]
        print(table.to_markdown(index=False, floatfmt=".4f"))
        if len(res.excluded):
            print("\nExcluded:\n")
            print(res.excluded.to_markdown(index=False))


if __name__ == "__main__":
    main()
