"""Write the event-study tables of docs/deepseek.md from the real prices.

Run from the repository root, with ../shared/data/prices beside it::

    .venv/bin/python scripts/make_deepseek_doc.py > docs/deepseek_study.md
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

from ipposaki.store import Store
from ipposaki.study.spec import load_spec, run_spec

ROOT = Path(__file__).resolve().parents[1]
PRICES = ROOT.parent / "shared" / "data" / "prices" / "daily.csv"


def main() -> None:
    """Import the real prices into a temporary store, run the spec, print Markdown."""
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "store.duckdb")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            store.import_files([PRICES], non_sessions="skip")
        result = run_spec(load_spec(ROOT / "examples" / "deepseek.toml"), store)
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
        car = res.car.query("window == '0:1'")[["group", "symbol", "car", "car_se", "car_p", "bhar"]]
        print(car.to_markdown(index=False, floatfmt=".4f"))
        print()


if __name__ == "__main__":
    main()
