"""The table of hostile inputs (issue #15), shared by tests/test_hostile_inputs.py and
scripts/make_errors_doc.py (which writes docs/errors.md from it).

Each :class:`Case` is one command line a new user might type with one thing wrong, the files it
reads, the exit code and the words its one-line message must hold. ``{tmp}`` in an argument is
the test's folder and ``{store}`` a copy of a small store of real-looking prices.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

FileMaker = str | bytes | Callable[[Path], None]


@dataclass(frozen=True)
class Case:
    """One hostile input: what is typed, what files exist, and what must come back."""

    id: str
    category: str
    args: tuple[str, ...]
    words: tuple[str, ...]
    files: dict[str, FileMaker] = field(default_factory=dict)
    code: int = 2


CATEGORIES = {
    "usage": "Usage: options and arguments (Click)",
    "prices": "Price files (data import)",
    "store": "The store file (--store)",
    "catalogue": "Baskets and instruments (data baskets, data instruments)",
    "spec": "Study and report specs (TOML)",
    "scenario": "Scenario specs (TOML): scenario export-controls, power, compute-cost",
    "options": "Option values: windows, thresholds, counts, choices",
    "dates": "Dates and sessions",
    "files": "Input files of study, simulate and events",
    "output": "Output folders",
}

GOOD = "date,symbol,close\n2025-01-24,NVDA,142.62\n2025-01-27,NVDA,118.42\n"
S = ("--store", "{store}")
SIM = ("--market", "^GSPC", "--exchange", "XNYS", "--events-per-run", "2")


def _parquet(frame_maker: Callable[[], object]) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        frame_maker().to_parquet(path)  # type: ignore[attr-defined]

    make.__doc__ = frame_maker.__doc__
    return make


def _tz_frame() -> object:
    """Parquet whose dates carry a time zone (America/New_York)"""
    import pandas as pd

    return pd.DataFrame(
        {
            "date": pd.to_datetime(["2025-01-24", "2025-01-27"]).tz_localize("America/New_York"),
            "symbol": ["NVDA", "NVDA"],
            "close": [142.62, 118.42],
        }
    )


def _int_symbol_frame() -> object:
    """Parquet whose symbol column holds the integer 7203"""
    import pandas as pd

    return pd.DataFrame(
        {"date": pd.to_datetime(["2025-01-24"]), "symbol": [7203], "close": [2800.0]}
    )


def _foreign_duckdb(path: Path) -> None:
    """another application's DuckDB file (a table 'users', no ipposaki meta)"""
    import duckdb

    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE users (id INT)")
    con.close()


def _newer_store(path: Path) -> None:
    """an ipposaki store whose meta says schema version 7"""
    import duckdb

    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.execute("INSERT INTO meta VALUES ('schema_version', '7'), ('application_id', 'ipposaki')")
    con.close()


def _spec(events: str, study: str = "") -> str:
    return f'title = "t"\n{study}\n{events}'


STUDY = (
    "study",
    "--prices",
    "{tmp}/p.csv",
    "--events",
    "{tmp}/e.csv",
    "--out",
    "{tmp}/o",
    "--market",
    "^GSPC",
)
STUDY_FILES: dict[str, FileMaker] = {
    "p.csv": GOOD.replace("NVDA", "^GSPC") + GOOD.split("\n", 1)[1],
    "e.csv": "symbol,event_date\nNVDA,2025-01-27\n",
}
EVENT = '[[events]]\nid = "e"\ndate = "2025-01-27"\nbaskets = ["us_ai_chips"]\n'

# fmt: off
CASES: list[Case] = [
    # -- usage ---------------------------------------------------------------------------------
    Case("import-no-file", "usage", ("data", "import"), ("Missing argument 'files'",)),
    Case("import-unknown-option", "usage", ("data", "import", "p.csv", "--bogus"),
         ("No such option: --bogus",)),
    Case("import-layout-no-value", "usage", ("data", "import", "p.csv", "--layout"),
         ("'--layout' requires an argument",)),
    Case("unknown-command", "usage", ("frobnicate",), ("No such command 'frobnicate'",)),
    Case("unknown-subcommand", "usage", ("data", "frobnicate"), ("No such command",)),
    Case("root-unknown-option", "usage", ("--json", "--nope", "data", "info"),
         ("No such option: --nope",)),
    Case("simulate-runs-not-int", "usage", ("simulate", "--runs", "x"),
         ("Invalid value for '--runs'",)),
    Case("simulate-runs-float", "usage", ("simulate", "--runs", "1.5"),
         ("Invalid value for '--runs'",)),
    Case("simulate-seed-text", "usage", ("simulate", "--seed", "abc"),
         ("Invalid value for '--seed'",)),
    Case("scan-z-text", "usage", ("scan", "--start", "2025-01-02", "--end", "2025-01-31",
                                  "--z", "abc"), ("Invalid value for '--z'",)),
    Case("scan-k-text", "usage", ("scan", "--start", "2025-01-02", "--end", "2025-01-31",
                                  "--k", "two"), ("Invalid value for '--k'",)),
    Case("scan-missing-start", "usage", ("scan", "--end", "2025-01-31"),
         ("Missing option '--start'",)),
    Case("forecast-window-text", "usage", ("spillover", "forecast", "--as-of", "2025-01-27",
                                           "--window", "many"), ("Invalid value for '--window'",)),
    Case("forecast-missing-as-of", "usage", ("spillover", "forecast"),
         ("Missing option '--as-of'",)),
    Case("events-show-no-id", "usage", ("events", "show"), ("Missing argument",)),
    Case("report-lang-no-value", "usage", ("report", "--lang"), ("'--lang' requires an argument",)),
    Case("study-estimation-no-value", "usage", ("study", "--estimation-window"),
         ("requires an argument",)),
    Case("demo-unknown-option", "usage", ("demo", "--bogus"), ("No such option: --bogus",)),
    Case("pull-no-symbols", "usage", ("data", "pull", "--start", "2025-01-02", "--end",
                                      "2025-01-31"), ("Missing argument",)),
    # -- price files ---------------------------------------------------------------------------
    Case("prices-missing-file", "prices", ("data", "import", "{tmp}/nope.csv", *S), ("nope.csv",)),
    Case("prices-non-utf8", "prices", ("data", "import", "{tmp}/p.csv", *S), ("UTF-8",),
         {"p.csv": b"date,symbol,close\n2025-01-27,NV\xff\xfeDA,118.42\n"}),
    Case("prices-empty", "prices", ("data", "import", "{tmp}/p.csv", *S), ("p.csv",),
         {"p.csv": ""}),
    Case("prices-header-only", "prices", ("data", "import", "{tmp}/p.csv", *S), ("p.csv",),
         {"p.csv": "date,symbol,close\n"}),
    Case("prices-ragged-row", "prices", ("data", "import", "{tmp}/p.csv", *S), ("p.csv",),
         {"p.csv": "date,symbol,close\n2025-01-27,NVDA,118.42,7,8\n"}),
    Case("prices-duplicate-column", "prices", ("data", "import", "{tmp}/p.csv", *S),
         ("close",), {"p.csv": "date,symbol,close,close\n2025-01-27,NVDA,118.42,118\n"}),
    Case("prices-wide-symbol-twice", "prices", ("data", "import", "{tmp}/w.csv", *S),
         ("column 'AVGO' appears more than once",), {"w.csv": "date,AVGO,avgo\n2025-01-24,1,2\n"}),
    Case("prices-no-date-column", "prices", ("data", "import", "{tmp}/p.csv", *S), ("date",),
         {"p.csv": "day,symbol,close\n2025-01-27,NVDA,118.42\n"}),
    Case("prices-no-symbol-column", "prices", ("data", "import", "{tmp}/p.csv", *S),
         ("symbol",), {"p.csv": "date,ticker,close\n2025-01-27,NVDA,118.42\n"}),
    Case("prices-no-price-column", "prices", ("data", "import", "{tmp}/p.csv", *S), ("close",),
         {"p.csv": "date,symbol,volume\n2025-01-27,NVDA,1000\n"}),
    Case("prices-bad-date", "prices", ("data", "import", "{tmp}/p.csv", *S), ("2025-13-45",),
         {"p.csv": "date,symbol,close\n2025-13-45,NVDA,118.42\n"}),
    Case("prices-day-first-date", "prices", ("data", "import", "{tmp}/p.csv", *S),
         ("27/01/2025",), {"p.csv": "date,symbol,close\n27/01/2025,NVDA,118.42\n"}),
    Case("prices-text-price", "prices", ("data", "import", "{tmp}/p.csv", *S), ("abc",),
         {"p.csv": "date,symbol,close\n2025-01-27,NVDA,abc\n"}),
    Case("prices-zero", "prices", ("data", "import", "{tmp}/p.csv", *S),
         ("line 2", "close=0"), {"p.csv": "date,symbol,close\n2025-01-27,NVDA,0\n"}),
    Case("prices-negative", "prices", ("data", "import", "{tmp}/p.csv", *S),
         ("line 2", "close=-3"), {"p.csv": "date,symbol,close\n2025-01-27,NVDA,-3\n"}),
    Case("prices-1e300", "prices", ("data", "import", "{tmp}/p.csv", *S),
         ("line 2", "at most 1e+09"), {"p.csv": "date,symbol,close\n2025-01-27,NVDA,1e300\n"}),
    Case("prices-infinite", "prices", ("data", "import", "{tmp}/p.csv", *S),
         ("line 2", "at most 1e+09"), {"p.csv": "date,symbol,close\n2025-01-27,NVDA,inf\n"}),
    Case("prices-high-below-low", "prices", ("data", "import", "{tmp}/p.csv", *S),
         ("line 2", "high=110 is below low=120"),
         {"p.csv": "date,symbol,high,low,close\n2025-01-27,NVDA,110,120,118\n"}),
    Case("prices-negative-volume", "prices", ("data", "import", "{tmp}/p.csv", *S),
         ("volume=-5",), {"p.csv": "date,symbol,close,volume\n2025-01-27,NVDA,118,-5\n"}),
    Case("prices-saturday", "prices", ("data", "import", "{tmp}/p.csv", *S),
         ("2025-01-25 is not a session of XNYS", "--non-sessions skip"),
         {"p.csv": "date,symbol,close\n2025-01-25,NVDA,118.42\n"}),
    Case("prices-year-2200", "prices", ("data", "import", "{tmp}/p.csv", *S), ("2200",),
         {"p.csv": "date,symbol,close\n2200-01-04,NVDA,118.42\n"}),
    Case("prices-year-1800", "prices", ("data", "import", "{tmp}/p.csv", *S), ("1800",),
         {"p.csv": "date,symbol,close\n1800-01-06,NVDA,118.42\n"}),
    Case("prices-conflicting-duplicates", "prices", ("data", "import", "{tmp}/p.csv", *S),
         ("duplicate rows for NVDA",),
         {"p.csv": "date,symbol,close\n2025-01-27,NVDA,118.42\n2025-01-27,NVDA,119\n"}),
    Case("prices-blank-symbol", "prices", ("data", "import", "{tmp}/p.csv", *S), ("symbol",),
         {"p.csv": "date,symbol,close\n2025-01-27,,118.42\n"}),
    Case("prices-long-symbol", "prices", ("data", "import", "{tmp}/p.csv", *S),
         ("line 2", "at most 32 characters"),
         {"p.csv": "date,symbol,close\n2025-01-27," + "X" * 10_000 + ",118.42\n"}),
    Case("prices-invisible-symbol", "prices", ("data", "import", "{tmp}/p.csv", *S),
         ("line 2", "invisible"),
         {"p.csv": "date,symbol,close\n2025-01-27,NV\u200bDA,118.42\n"}),
    Case("prices-volume-infinite", "prices", ("data", "import", "{tmp}/p.csv", *S),
         ("line 2", "volume=inf"),
         {"p.csv": "date,symbol,close,volume\n2025-01-27,NVDA,118.42,inf\n"}),
    Case("prices-symbol-with-space", "prices", ("data", "import", "{tmp}/p.csv", *S),
         ("line 2", "without spaces"), {"p.csv": "date,symbol,close\n2025-01-27,NV DA,118.42\n"}),
    Case("prices-wide-layout-on-long", "prices", ("data", "import", "{tmp}/p.csv", "--layout",
                                                  "wide", *S), ("p.csv",), {"p.csv": GOOD}),
    Case("prices-bad-layout", "prices", ("data", "import", "{tmp}/p.csv", "--layout", "diagonal",
                                         *S), ("diagonal",), {"p.csv": GOOD}),
    Case("prices-bad-non-sessions", "prices", ("data", "import", "{tmp}/p.csv", "--non-sessions",
                                               "drop", *S),
         ("--non-sessions='drop' is not allowed",), {"p.csv": GOOD}),
    Case("prices-binary-junk", "prices", ("data", "import", "{tmp}/p.csv", *S), ("p.csv",),
         {"p.csv": bytes(range(256)) * 4}),
    Case("prices-parquet-tz-aware", "prices", ("data", "import", "{tmp}/p.parquet", *S),
         ("p.parquet",), {"p.parquet": _parquet(_tz_frame)}),
    Case("prices-parquet-int-symbol", "prices", ("data", "import", "{tmp}/p.parquet", *S),
         ("p.parquet",), {"p.parquet": _parquet(_int_symbol_frame)}),
    Case("prices-parquet-corrupt", "prices", ("data", "import", "{tmp}/p.parquet", *S),
         ("p.parquet",), {"p.parquet": b"PAR1 this is not parquet"}),
    Case("prices-unknown-extension", "prices", ("data", "import", "{tmp}/p.xlsx", *S),
         ("p.xlsx",), {"p.xlsx": b"PK\x03\x04 not really a workbook"}),
    Case("prices-second-file-bad", "prices", ("data", "import", "{tmp}/a.csv", "{tmp}/b.csv", *S),
         ("b.csv", "line 2"), {"a.csv": GOOD, "b.csv": "date,symbol,close\n2025-01-27,AVGO,-1\n"}),
    Case("prices-empty-folder", "prices", ("data", "import", "{tmp}/empty", *S), ("empty",),
         {"empty/.keep": ""}),
    # -- the store file ------------------------------------------------------------------------
    Case("store-is-a-csv", "store", ("data", "info", "--store", "{tmp}/p.csv"),
         ("not a DuckDB database",), {"p.csv": GOOD}),
    Case("store-is-empty-file", "store", ("data", "info", "--store", "{tmp}/s.duckdb"),
         ("an empty file",), {"s.duckdb": ""}),
    Case("store-is-a-folder", "store", ("data", "info", "--store", "{tmp}/dir"),
         ("a file path, not a directory",), {"dir/.keep": ""}),
    Case("store-foreign-duckdb", "store", ("data", "info", "--store", "{tmp}/app.duckdb"),
         ("not an ipposaki store", "users"), {"app.duckdb": _foreign_duckdb}),
    Case("store-foreign-import", "store", ("data", "import", "{tmp}/p.csv", "--store",
                                           "{tmp}/app.duckdb"),
         ("not an ipposaki store",), {"app.duckdb": _foreign_duckdb, "p.csv": GOOD}),
    Case("store-newer-schema", "store", ("data", "info", "--store", "{tmp}/new.duckdb"),
         ("schema version 7 is newer",), {"new.duckdb": _newer_store}),
    Case("store-under-a-file", "store", ("data", "import", "{tmp}/p.csv", "--store",
                                         "{tmp}/p.csv/x.duckdb"),
         ("p.csv/x.duckdb: its folder cannot be created", "p.csv is a file"), {"p.csv": GOOD}),
    Case("store-csv-for-study", "store", ("study", "{tmp}/s.toml", "--out", "{tmp}/o",
                                          "--store", "{tmp}/p.csv"),
         ("not a DuckDB database",), {"p.csv": GOOD, "s.toml": _spec(EVENT)}),
    Case("store-csv-for-scan", "store", ("scan", "--start", "2025-01-02", "--end", "2025-01-31",
                                         "--store", "{tmp}/p.csv"),
         ("not a DuckDB database",), {"p.csv": GOOD}),
    # -- baskets and instruments ---------------------------------------------------------------
    Case("baskets-missing-file", "catalogue", ("data", "baskets", "{tmp}/nope.csv", *S),
         ("nope.csv",)),
    Case("baskets-blank-symbol", "catalogue", ("data", "baskets", "{tmp}/b.csv", *S),
         ("line 3, column symbol: ''",), {"b.csv": "basket,symbol\njp_x,7011.T\njp_x,\n"}),
    Case("baskets-blank-basket", "catalogue", ("data", "baskets", "{tmp}/b.csv", *S),
         ("line 2, column basket",), {"b.csv": "basket,symbol\n,7011.T\n"}),
    Case("baskets-numeric-symbol", "catalogue", ("data", "baskets", "{tmp}/b.csv", *S),
         ("line 2, column symbol: '7011'", "7011.T"), {"b.csv": "basket,symbol\njp_x,7011\n"}),
    Case("baskets-unknown-symbol", "catalogue", ("data", "baskets", "{tmp}/b.csv", *S),
         ("line 2, column symbol: unknown symbol 'NVDAA'", "did you mean NVDA"),
         {"b.csv": "basket,symbol\nus_x,NVDAA\n"}),
    Case("baskets-twice", "catalogue", ("data", "baskets", "{tmp}/b.csv", *S),
         ("line 3", "lists it twice"), {"b.csv": "basket,symbol\nus_x,NVDA\nus_x,NVDA\n"}),
    Case("baskets-no-symbol-column", "catalogue", ("data", "baskets", "{tmp}/b.csv", *S),
         ("missing required column 'symbol'",), {"b.csv": "basket,ticker\nus_x,NVDA\n"}),
    Case("baskets-empty-file", "catalogue", ("data", "baskets", "{tmp}/b.csv", *S),
         ("the file is empty",), {"b.csv": ""}),
    Case("baskets-non-utf8", "catalogue", ("data", "baskets", "{tmp}/b.csv", *S),
         ("not UTF-8",), {"b.csv": b"basket,symbol\nus_x,\xff\n"}),
    Case("baskets-ragged", "catalogue", ("data", "baskets", "{tmp}/b.csv", *S),
         ("line 2: 4 cells where the header has 2",), {"b.csv": "basket,symbol\nus_x,NVDA,1,2\n"}),
    Case("baskets-toml-int-symbol", "catalogue", ("data", "baskets", "{tmp}/b.toml", *S),
         ("line 1, column symbols: 7011",), {"b.toml": "[jp_x]\nsymbols = [7011]\n"}),
    Case("baskets-toml-empty-list", "catalogue", ("data", "baskets", "{tmp}/b.toml", *S),
         ("at least one symbol",), {"b.toml": "[jp_x]\nsymbols = []\n"}),
    Case("baskets-toml-typo-key", "catalogue", ("data", "baskets", "{tmp}/b.toml", *S),
         ("column nmae",), {"b.toml": '[jp_x]\nsymbols = ["7011.T"]\nnmae = "x"\n'}),
    Case("baskets-toml-invalid", "catalogue", ("data", "baskets", "{tmp}/b.toml", *S),
         ("not valid TOML",), {"b.toml": "[jp_x\n"}),
    Case("baskets-toml-no-list", "catalogue", ("data", "baskets", "{tmp}/b.toml", *S),
         ("needs a list 'symbols'",), {"b.toml": 'jp_x = "7011.T"\n'}),
    Case("instruments-huge-cell", "catalogue", ("data", "instruments", "{tmp}/i.csv", *S),
         ("i.csv: line 2", "field limit"), {"i.csv": "symbol,name\nABC," + "x" * 200_000 + "\n"}),
    Case("instruments-blank-symbol", "catalogue", ("data", "instruments", "{tmp}/i.csv", *S),
         ("line 2, column symbol: ''",), {"i.csv": "symbol,name\n,Foo\n"}),
    Case("instruments-numeric-symbol", "catalogue", ("data", "instruments", "{tmp}/i.csv", *S),
         ("line 2, column symbol: '1234'",), {"i.csv": "symbol,name\n1234,Foo\n"}),
    Case("instruments-unknown-exchange", "catalogue", ("data", "instruments", "{tmp}/i.csv", *S),
         ("line 2, column exchange", "XLON"), {"i.csv": "symbol,exchange\nABC,XLON\n"}),
    Case("instruments-unknown-kind", "catalogue", ("data", "instruments", "{tmp}/i.csv", *S),
         ("line 2, column kind", "share"), {"i.csv": "symbol,kind\nABC,share\n"}),
    Case("instruments-unknown-benchmark", "catalogue", ("data", "instruments", "{tmp}/i.csv",
                                                        *S),
         ("line 2, column benchmark: unknown symbol '^NOPE'",),
         {"i.csv": "symbol,exchange,benchmark\nABC,XNYS,^NOPE\n"}),
    Case("instruments-twice", "catalogue", ("data", "instruments", "{tmp}/i.csv", *S),
         ("line 3, column symbol: 'ABC'",), {"i.csv": "symbol\nABC\nABC\n"}),
    Case("instruments-toml-typo", "catalogue", ("data", "instruments", "{tmp}/i.toml", *S),
         ("line 1, column nmae", "did you mean name"),
         {"i.toml": '[instruments."7013.T"]\nnmae = "IHI"\n'}),
    Case("instruments-toml-wrong-table", "catalogue", ("data", "instruments", "{tmp}/i.toml", *S),
         ("expected [instruments.SYMBOL] tables",), {"i.toml": "[other]\nx = 1\n"}),
    Case("instruments-no-symbol-column", "catalogue", ("data", "instruments", "{tmp}/i.csv", *S),
         ("missing required column 'symbol'",), {"i.csv": "ticker\nABC\n"}),
    # -- specs ---------------------------------------------------------------------------------
    Case("study-spec-missing", "spec", ("study", "{tmp}/nope.toml", "--out", "{tmp}/o", *S),
         ("nope.toml",)),
    Case("study-spec-invalid-toml", "spec", ("study", "{tmp}/s.toml", "--out", "{tmp}/o", *S),
         ("s.toml",), {"s.toml": "title = \n"}),
    Case("study-spec-non-utf8", "spec", ("study", "{tmp}/s.toml", "--out", "{tmp}/o", *S),
         ("s.toml", "UTF-8"), {"s.toml": b'title = "\xff\xfe"\n'}),
    Case("study-spec-events-int", "spec", ("study", "{tmp}/s.toml", "--out", "{tmp}/o", *S),
         ("events",), {"s.toml": 'title = "t"\nevents = [1]\n'}),
    Case("study-spec-study-string", "spec", ("study", "{tmp}/s.toml", "--out", "{tmp}/o", *S),
         ("study",), {"s.toml": 'title = "t"\nstudy = "x"\n' + EVENT}),
    Case("study-spec-no-events", "spec", ("study", "{tmp}/s.toml", "--out", "{tmp}/o", *S),
         ("events",), {"s.toml": 'title = "t"\n'}),
    Case("study-spec-unknown-basket", "spec", ("study", "{tmp}/s.toml", "--out", "{tmp}/o", *S),
         ("us_ai_chipz",),
         {"s.toml": _spec(EVENT.replace('"us_ai_chips"', '"us_ai_chipz"'))}),
    Case("study-spec-bad-date", "spec", ("study", "{tmp}/s.toml", "--out", "{tmp}/o", *S),
         ("2025-02-30",), {"s.toml": _spec(EVENT.replace("2025-01-27", "2025-02-30"))}),
    Case("study-spec-date-now", "spec", ("study", "{tmp}/s.toml", "--out", "{tmp}/o", *S),
         ("events[0].date='now'", "YYYY-MM-DD"),
         {"s.toml": _spec(EVENT.replace("2025-01-27", "now"))}),
    Case("study-spec-date-us-order", "spec", ("study", "{tmp}/s.toml", "--out", "{tmp}/o", *S),
         ("1/27/2025",), {"s.toml": _spec(EVENT.replace("2025-01-27", "1/27/2025"))}),
    Case("study-spec-date-with-time", "spec", ("study", "{tmp}/s.toml", "--out", "{tmp}/o", *S),
         ("'timestamp'",),
         {"s.toml": _spec(EVENT.replace('"2025-01-27"', "2025-01-27T23:30:00-12:00"))}),
    Case("study-spec-date-9999", "spec", ("study", "{tmp}/s.toml", "--out", "{tmp}/o", *S),
         ("9999-12-31", "between 1677-09-22 and 2262-04-11"),
         {"s.toml": _spec(EVENT.replace('"2025-01-27"', "9999-12-31"))}),
    Case("study-spec-timestamp-year-1", "spec", ("study", "{tmp}/s.toml", "--out", "{tmp}/o",
                                                 *S),
         ("events[0].timestamp", "between 1677-09-22 and 2262-04-11"),
         {"s.toml": _spec(EVENT.replace('date = "2025-01-27"',
                                        'timestamp = "0001-01-01T09:00+09:00"'))}),
    Case("study-spec-event-id-twice", "spec", ("study", "{tmp}/s.toml", "--out", "{tmp}/o", *S),
         ("events[1].id='e'", "one event only"),
         {"s.toml": _spec(EVENT + EVENT.replace("2025-01-27", "2025-01-28"))}),
    Case("study-spec-unknown-study-key", "spec", ("study", "{tmp}/s.toml", "--out", "{tmp}/o",
                                                  *S),
         ("modle",), {"s.toml": _spec(EVENT, '[study]\nmodle = "market"\n')}),
    Case("study-spec-unknown-event-key", "spec", ("study", "{tmp}/s.toml", "--out", "{tmp}/o",
                                                  *S),
         ("bsakets",), {"s.toml": _spec(EVENT + 'bsakets = ["x"]\n')}),
    Case("study-spec-with-window-option", "spec", ("study", "{tmp}/s.toml", "--out", "{tmp}/o",
                                                   "--estimation-window", "-100:-11", *S),
         ("--estimation-window='-100:-11'", "[study] table"), {"s.toml": _spec(EVENT)}),
    Case("study-spec-with-model-option", "spec", ("study", "{tmp}/s.toml", "--out", "{tmp}/o",
                                                  "--model", "raw", *S),
         ("--model='raw'", "[study] table"), {"s.toml": _spec(EVENT)}),
    Case("study-spec-bad-model", "spec", ("study", "{tmp}/s.toml", "--out", "{tmp}/o", *S),
         ("capm",), {"s.toml": _spec(EVENT, '[study]\nmodel = "capm"\n')}),
    Case("study-spec-bad-window", "spec", ("study", "{tmp}/s.toml", "--out", "{tmp}/o", *S),
         ("[study].estimation_window", "-250:3", "does not overlap the event window"),
         {"s.toml": _spec(EVENT, '[study]\nestimation_window = "-250:3"\n')}),
    Case("study-spec-bad-convention", "spec", ("study", "{tmp}/s.toml", "--out", "{tmp}/o", *S),
         ("convention", "eviews", "ipposaki, estudy2"),
         {"s.toml": _spec(EVENT, '[study]\nconvention = "eviews"\n')}),
    Case("study-spec-thin-trading-raw", "spec", ("study", "{tmp}/s.toml", "--out", "{tmp}/o", *S),
         ("[study].thin_trading", "dimson"),
         {"s.toml": _spec(EVENT, '[study]\nmodel = "raw"\nthin_trading = "dimson"\n')}),
    Case("study-spec-default-car-window", "spec", ("study", "{tmp}/s.toml", "--out", "{tmp}/o",
                                                   *S),
         ("[study].car_windows", "the default"),
         {"s.toml": _spec(EVENT, '[study]\nevent_window = "0:0"\n')}),
    Case("study-spec-bad-measure", "spec", ("study", "{tmp}/s.toml", "--out", "{tmp}/o", *S),
         ("measure", "turnover", "return, volume, volatility"),
         {"s.toml": _spec(EVENT, '[study]\nmeasure = "turnover"\n')}),
    Case("study-spec-turnover-of-returns", "spec", ("study", "{tmp}/s.toml", "--out", "{tmp}/o",
                                                    *S),
         ("turnover", "volume"),
         {"s.toml": _spec(EVENT, '[study]\nturnover = true\n')}),
    Case("study-spec-index-symbol", "spec", ("study", "{tmp}/s.toml", "--out", "{tmp}/o", *S),
         ("[[events]].symbols", "^GSPC", "benchmark"),
         {"s.toml": _spec(EVENT.replace('baskets = ["us_ai_chips"]', 'symbols = ["^GSPC"]'))}),
    Case("report-spec-missing", "spec", ("report", "{tmp}/nope.toml", "--out", "{tmp}/o", *S),
         ("nope.toml",)),
    Case("report-unknown-basket", "spec", ("report", "{tmp}/s.toml", "--out", "{tmp}/o",
                                           "--offline", *S),
         ("us_ai_chipz",), {"s.toml": _spec(EVENT.replace('"us_ai_chips"', '"us_ai_chipz"'))}),
    Case("report-no-events", "spec", ("report", "{tmp}/s.toml", "--out", "{tmp}/o",
                                      "--offline", *S),
         ("[[events]]",), {"s.toml": 'title = "t"\n'}),
    Case("report-bad-scenario-value", "spec", ("report", "{tmp}/s.toml", "--out", "{tmp}/o",
                                               "--offline", *S),
         ("c.toml", "inputs.pue", "PUE >= 1"),
         {"s.toml": _spec(EVENT) + '[report]\nscenarios = ["c.toml"]\n',
          "c.toml": '[scenario]\ntitle = "c"\n[inputs]\n'
                    'active_params = { dist = "fixed", value = 37e9 }\n'
                    'tokens = { dist = "fixed", value = 14.8e12 }\n'
                    'gpu_hours = { dist = "fixed", value = 2.788e6 }\n'
                    'price_per_gpu_hour = { dist = "fixed", value = 2.0 }\n'
                    'peak_flops = { dist = "fixed", value = 989.4e12 }\n'
                    'board_power_kw = { dist = "fixed", value = 0.7 }\n'
                    'pue = { dist = "fixed", value = 0.9 }\n'}),
    Case("report-bad-lang", "spec", ("report", "--lang", "fr", "--out", "{tmp}/o", *S), ("fr",)),
    Case("report-invalid-toml", "spec", ("report", "{tmp}/s.toml", "--out", "{tmp}/o", *S),
         ("s.toml",), {"s.toml": "[[events]\n"}),
    # -- option values -------------------------------------------------------------------------
    Case("study-estimation-text", "options", (*STUDY, "--estimation-window", "abc"),
         ("estimation-window", "abc"), STUDY_FILES),
    Case("study-estimation-reversed", "options", (*STUDY, "--estimation-window", "-11:-250"),
         ("estimation-window",), STUDY_FILES),
    Case("study-event-window-reversed", "options", (*STUDY, "--event-window", "5:-5"),
         ("event-window",), STUDY_FILES),
    Case("study-car-window-text", "options", (*STUDY, "--car-window", "x"), ("car-window",),
         STUDY_FILES),
    Case("study-car-window-outside", "options", (*STUDY, "--car-window", "0:40"),
         ("car-window",), STUDY_FILES),
    Case("study-bad-model", "options", (*STUDY, "--model", "capm"), ("capm",), STUDY_FILES),
    Case("study-bad-convention", "options", (*STUDY, "--convention", "stata"), ("stata",),
         STUDY_FILES),
    Case("study-bad-measure", "options", (*STUDY, "--measure", "turnover"),
         ("--measure", "turnover", "volatility"), STUDY_FILES),
    Case("study-volume-without-volume", "options", (*STUDY, "--measure", "volume"),
         ("volume",), STUDY_FILES),
    Case("study-bad-adjust", "options", (*STUDY, "--adjust", "bonferroni"),
         ("--adjust", "bonferroni", "holm"), STUDY_FILES),
    Case("study-bad-bootstrap", "options", (*STUDY, "--bootstrap", "block"),
         ("--bootstrap", "block", "wild"), STUDY_FILES),
    Case("study-draws-too-few", "options", (*STUDY, "--bootstrap", "wild", "--draws", "5"),
         ("--draws", "5"), STUDY_FILES),
    Case("study-bad-backend", "options", (*STUDY, "--backend", "spark"), ("spark",),
         STUDY_FILES),
    Case("study-threads-zero", "options", (*STUDY, "--threads", "0"), ("--threads", "0", ">= 1"),
         STUDY_FILES),
    Case("study-threads-with-dask", "options", (*STUDY, "--threads", "2", "--backend", "dask"),
         ("--threads", "dask"), STUDY_FILES),
    Case("study-threads-text", "usage", (*STUDY, "--threads", "two"),
         ("Invalid value for '--threads'",), STUDY_FILES),
    Case("study-bad-thin-trading", "options", (*STUDY, "--thin-trading", "lots"), ("lots",),
         STUDY_FILES),
    Case("study-bad-roll", "options", (*STUDY, "--roll", "sideways"), ("sideways",),
         STUDY_FILES),
    Case("study-min-obs-negative", "options", (*STUDY, "--min-estimation-obs", "-5"),
         ("min-estimation-obs",), STUDY_FILES),
    Case("study-bad-exchange", "options", (*STUDY, "--exchange", "XLON"), ("XLON",),
         STUDY_FILES),
    Case("scan-z-nan", "options", ("scan", "--start", "2025-01-02", "--end", "2025-01-31",
                                   "--z", "nan", *S), ("--z",)),
    Case("scan-z-negative", "options", ("scan", "--start", "2025-01-02", "--end", "2025-01-31",
                                        "--z", "-1", *S), ("--z",)),
    Case("scan-k-zero", "options", ("scan", "--start", "2025-01-02", "--end", "2025-01-31",
                                    "--k", "0", *S), ("--k",)),
    Case("scan-window-zero", "options", ("scan", "--start", "2025-01-02", "--end", "2025-01-31",
                                         "--window", "0", *S), ("--window",)),
    Case("scan-max-gap-negative", "options", ("scan", "--start", "2025-01-02", "--end",
                                              "2025-01-31", "--max-gap", "-1", *S),
         ("--max-gap",)),
    Case("scan-max-sessions-zero", "options", ("scan", "--start", "2025-01-02", "--end",
                                               "2025-01-31", "--max-sessions", "0", *S),
         ("--max-sessions", "0")),
    Case("lock-timeout-negative", "store", ("--lock-timeout", "-1", "data", "info", *S),
         ("--lock-timeout", "seconds >= 0")),
    Case("lock-timeout-text", "store", ("--lock-timeout", "soon", "data", "info", *S),
         ("--lock-timeout", "soon")),
    Case("scan-unknown-basket", "options", ("scan", "--start", "2025-01-02", "--end",
                                            "2025-01-31", "--universe", "us_ai_chipz", *S),
         ("us_ai_chipz",)),
    Case("forecast-window-zero", "options", ("spillover", "forecast", "--as-of", "2025-01-27",
                                             "--window", "0", *S), ("window",)),
    Case("forecast-level-above-1", "options", ("spillover", "forecast", "--as-of", "2025-01-27",
                                               "--level", "2", *S), ("level",)),
    Case("forecast-unknown-exchange", "options", ("spillover", "forecast", "--as-of",
                                                  "2025-01-27", "--from", "XLON", *S), ("XLON",)),
    Case("forecast-same-exchange", "options", ("spillover", "forecast", "--as-of", "2025-01-27",
                                               "--from", "XTKS", "--to", "XTKS", *S), ("XTKS",)),
    Case("forecast-unknown-target", "options", ("spillover", "forecast", "--as-of", "2025-01-27",
                                                "--targets", "NOPE.T", *S), ("NOPE.T",)),
    Case("evaluate-window-negative", "options", ("spillover", "evaluate", "--start",
                                                 "2025-01-06", "--end", "2025-01-31",
                                                 "--window", "-3", *S), ("window",)),
    Case("align-unknown-exchange", "options", ("spillover", "align", "--start", "2025-01-06",
                                               "--end", "2025-01-31", "--to", "XXXX"),
         ("XXXX",)),
    Case("simulate-runs-zero", "options", ("simulate", *SIM, "--runs", "0", *S), ("runs",)),
    Case("simulate-runs-negative", "options", ("simulate", *SIM, "--runs", "-4", *S), ("runs",)),
    Case("simulate-runs-huge", "options", ("simulate", *SIM, "--runs", "1000000000000", *S),
         ("runs",)),
    Case("simulate-abnormal-text", "options", ("simulate", *SIM, "--abnormal", "x", *S),
         ("abnormal",)),
    Case("simulate-abnormal-below-minus-1", "options", ("simulate", *SIM, "--abnormal", "-2", *S),
         ("abnormal",)),
    Case("simulate-bad-backend", "options", ("simulate", *SIM, "--backend", "spark", *S), ("spark",)),
    Case("study-scheduler-huge", "options", (*STUDY, "--backend", "dask", "--scheduler",
                                             "local:99999999999999999999"),
         ("local:N with 1 <= N <= 64",), {"p.csv": GOOD, "e.csv": "symbol,event_date\n"}),
    Case("simulate-ftp-scheduler", "options", ("simulate", *SIM, "--backend", "dask", "--scheduler",
                                               "ftp://example.org", *S), ("scheduler",)),
    Case("simulate-scheduler-with-local", "options", ("simulate", *SIM, "--scheduler",
                                                      "tcp://127.0.0.1:8786", *S),
         ("scheduler",)),
    Case("simulate-missing-above-1", "options", ("simulate", *SIM, "--missing", "2", *S),
         ("missing",)),
    Case("simulate-events-per-run-zero", "options", ("simulate", *SIM, "--events-per-run", "0", *S),
         ("events-per-run",)),
    Case("simulate-bad-model", "options", ("simulate", *SIM, "--model", "capm", *S), ("capm",)),
    Case("export-partition-twice", "options", ("data", "export", "--parquet", "{tmp}/pq",
                                               "--partition-by", "year,year", *S),
         ("--partition-by='year,year'", "each partition column once")),
    Case("export-bad-partition", "options", ("data", "export", "--parquet", "{tmp}/pq",
                                             "--partition-by", "colour", *S), ("colour",)),
    Case("contagion-unknown-event", "options", ("contagion", "--basket", "us_ai_chips", "--event", "no_such_event", *S),
         ("no_such_event",)),
    Case("events-show-unknown", "options", ("events", "show", "deepseek_shok"),
         ("deepseek_shok", "did you mean"),),
    # -- dates ---------------------------------------------------------------------------------
    Case("scan-bad-start", "dates", ("scan", "--start", "yesterday", "--end", "2025-01-31", *S),
         ("yesterday",)),
    Case("study-files-with-basket", "options", (*STUDY, "--basket", "us_ai_chips"),
         ("--basket='us_ai_chips'", "applies to --event or a SPEC"),
         {"p.csv": GOOD, "e.csv": "symbol,event_date\nNVDA,2025-01-27\n"}),
    Case("study-window-20-digits", "options", (*STUDY, "--estimation-window",
                                               "-99999999999999999999:-11"),
         ("within 100,000 sessions",),
         {"p.csv": GOOD, "e.csv": "symbol,event_date\nNVDA,2025-01-27\n"}),
    Case("scan-window-20-digits", "options", ("scan", "--start", "2025-01-02", "--end",
                                              "2025-01-31", "--window", "99999999999999999999",
                                              *S), ("--window", "<= 100000")),
    Case("scan-start-year-1", "dates", ("scan", "--start", "0001-01-01", "--end", "2025-01-31",
                                        *S), ("--start='0001-01-01'", "1677-09-22")),
    Case("event-time-year-9999", "dates", ("spillover", "event-time",
                                           "9999-12-31T09:00+09:00"), ("9999-12-31",)),
    Case("scan-start-after-end", "dates", ("scan", "--start", "2025-02-28", "--end",
                                           "2025-01-02", *S), ("start",)),
    Case("scan-impossible-date", "dates", ("scan", "--start", "2025-02-30", "--end",
                                           "2025-03-31", *S), ("2025-02-30",)),
    Case("align-bad-start", "dates", ("spillover", "align", "--start", "2025/13/01", "--end",
                                      "2025-01-31"), ("2025/13/01",)),
    Case("align-start-after-end", "dates", ("spillover", "align", "--start", "2025-02-28",
                                            "--end", "2025-01-02"), ("start",)),
    Case("forecast-bad-as-of", "dates", ("spillover", "forecast", "--as-of", "soon", *S),
         ("soon",)),
    Case("forecast-as-of-not-session", "dates", ("spillover", "forecast", "--as-of",
                                                 "2025-01-25", *S), ("2025-01-25",)),
    Case("evaluate-bad-end", "dates", ("spillover", "evaluate", "--start", "2025-01-06",
                                       "--end", "31.01.2025", *S), ("31.01.2025",)),
    Case("evaluate-start-after-end", "dates", ("spillover", "evaluate", "--start", "2025-02-28",
                                               "--end", "2025-01-06", *S), ("start",)),
    Case("event-time-no-zone", "dates", ("spillover", "event-time", "2025-01-27T09:00"),
         ("2025-01-27T09:00",)),
    Case("event-time-garbage", "dates", ("spillover", "event-time", "monday"), ("monday",)),
    Case("pull-bad-start", "dates", ("data", "pull", "NVDA", "--start", "01/02/2025", "--end",
                                     "2025-01-31", *S), ("01/02/2025",)),
    Case("pull-start-after-end", "dates", ("data", "pull", "NVDA", "--start", "2025-02-28",
                                           "--end", "2025-01-02", *S), ("start",)),
    Case("simulate-bad-start", "dates", ("simulate", *SIM, "--start", "2025-13-01", *S),
         ("2025-13-01",)),
    Case("simulate-start-after-end", "dates", ("simulate", *SIM, "--start", "2025-02-01", "--end",
                                               "2024-01-01", *S), ("start",)),
    Case("contagion-bad-timestamp", "dates", ("contagion", "--basket", "us_ai_chips", "--timestamp", "noon", *S),
         ("noon",)),
    # -- input files of study, simulate and events ---------------------------------------------
    Case("study-prices-without-events", "files", ("study", "--prices", "{tmp}/p.csv", "--out",
                                                  "{tmp}/o", "--market", "^GSPC"),
         ("events",), {"p.csv": GOOD}),
    Case("study-events-missing-file", "files", ("study", "--prices", "{tmp}/p.csv", "--events",
                                                "{tmp}/nope.csv", "--out", "{tmp}/o",
                                                "--market", "^GSPC"),
         ("nope.csv",), {"p.csv": GOOD}),
    Case("study-events-bad-date", "files", ("study", "--prices", "{tmp}/p.csv", "--events",
                                            "{tmp}/e.csv", "--out", "{tmp}/o", "--market",
                                            "^GSPC"),
         ("e.csv", "2025-99-01"),
         {"p.csv": GOOD, "e.csv": "symbol,event_date\nNVDA,2025-99-01\n"}),
    Case("study-events-no-symbol", "files", ("study", "--prices", "{tmp}/p.csv", "--events",
                                             "{tmp}/e.csv", "--out", "{tmp}/o", "--market",
                                             "^GSPC"),
         ("'symbol' column",), {"p.csv": GOOD, "e.csv": "ticker,event_date\nNVDA,2025-01-27\n"}),
    Case("study-events-non-utf8", "files", ("study", "--prices", "{tmp}/p.csv", "--events",
                                            "{tmp}/e.csv", "--out", "{tmp}/o", "--market",
                                            "^GSPC"),
         ("e.csv",), {"p.csv": GOOD, "e.csv": b"symbol,event_date\nNV\xffDA,2025-01-27\n"}),
    Case("study-prices-bad", "files", ("study", "--prices", "{tmp}/p.csv", "--events",
                                       "{tmp}/e.csv", "--out", "{tmp}/o", "--market", "^GSPC"),
         ("p.csv", "close=-1"),
         {"p.csv": "date,symbol,close\n2025-01-27,NVDA,-1\n",
          "e.csv": "symbol,event_date\nNVDA,2025-01-27\n"}),
    Case("study-unknown-market", "files", ("study", "--prices", "{tmp}/p.csv", "--events",
                                           "{tmp}/e.csv", "--out", "{tmp}/o", "--market",
                                           "^NOPE"),
         ("^NOPE",), {"p.csv": GOOD, "e.csv": "symbol,event_date\nNVDA,2025-01-27\n"}),
    Case("study-bad-date-format", "files", ("study", "--prices", "{tmp}/p.csv", "--events",
                                            "{tmp}/e.csv", "--out", "{tmp}/o", "--market",
                                            "^GSPC", "--date-format", "%Q"),
         ("date-format",), {"p.csv": GOOD, "e.csv": "symbol,event_date\nNVDA,2025-01-27\n"}),
    Case("simulate-prices-missing", "files", ("simulate", *SIM, "--prices", "{tmp}/nope.csv"),
         ("nope.csv",)),
    Case("simulate-unknown-symbol", "files", ("simulate", *SIM, "--symbol", "NOPE", *S), ("NOPE",)),
    Case("events-catalog-missing", "files", ("events", "list", "--catalog", "{tmp}/nope.toml"),
         ("nope.toml",)),
    Case("events-catalog-unknown-key", "files", ("events", "list", "--catalog", "{tmp}/c.toml"),
         ("line 6: colour='red'", "keys among id, name"),
         {"c.toml": '[[events]]\nid = "x"\nname = "X"\ntimestamp = "2025-01-27T09:00+09:00"\nsource = "s"\ncolour = "red"\n'}),
    Case("events-catalog-bad-precision", "files", ("events", "list", "--catalog",
                                                   "{tmp}/c.toml"),
         ("precision='century'", "minute or day"),
         {"c.toml": '[[events]]\nid = "x"\nname = "X"\ntimestamp = "2025-01-27T09:00+09:00"\nsource = "s"\nprecision = "century"\n'}),
    Case("events-catalog-name-number", "files", ("events", "list", "--catalog", "{tmp}/c.toml"),
         ("name=5", "expected text"), {"c.toml": '[[events]]\nid = "x"\nname = "X"\ntimestamp = "2025-01-27T09:00+09:00"\nsource = "s"\n'.replace('name = "X"', "name = 5")}),
    Case("events-catalog-top-key", "files", ("events", "list", "--catalog", "{tmp}/c.toml"),
         ("unknown key 'foo'",), {"c.toml": "foo = 1\n" + '[[events]]\nid = "x"\nname = "X"\ntimestamp = "2025-01-27T09:00+09:00"\nsource = "s"\n'}),
    Case("events-catalog-invalid", "files", ("events", "list", "--catalog", "{tmp}/c.toml"),
         ("c.toml",), {"c.toml": "[[events]\n"}),
    Case("events-catalog-non-utf8", "files", ("events", "list", "--catalog", "{tmp}/c.toml"),
         ("c.toml",), {"c.toml": b'[[events]]\nid = "\xff"\n'}),
    Case("events-catalog-no-timestamp", "files", ("events", "list", "--catalog", "{tmp}/c.toml"),
         ("timestamp",), {"c.toml": '[[events]]\nid = "x"\nname = "X"\n'}),
    # -- output folders ------------------------------------------------------------------------
    Case("study-out-is-a-file", "output", ("study", "{tmp}/s.toml", "--out", "{tmp}/o.txt", *S),
         ("o.txt",), {"s.toml": _spec(EVENT), "o.txt": "not a folder"}),
    Case("scan-out-is-a-file", "output", ("scan", "--start", "2025-01-02", "--end", "2025-01-31",
                                          "--out", "{tmp}/o.txt", *S),
         ("o.txt",), {"o.txt": "not a folder"}),
    Case("report-out-is-a-file", "output", ("report", "{tmp}/s.toml", "--out", "{tmp}/o.txt",
                                            "--offline", *S),
         ("o.txt",), {"s.toml": _spec(EVENT), "o.txt": "not a folder"}),
    Case("simulate-out-is-a-file", "output", ("simulate", *SIM, "--out", "{tmp}/o.txt", *S),
         ("o.txt",), {"o.txt": "not a folder"}),
    Case("export-parquet-under-a-file", "output", ("data", "export", "--parquet",
                                                    "{tmp}/p.csv/pq", *S),
         ("--parquet", "p.csv is a file"), {"p.csv": GOOD}),
    Case("export-parquet-exists", "output", ("data", "export", "--parquet", "{tmp}/pq", *S),
         ("pq",), {"pq/.keep": ""}),
    Case("forecast-out-is-a-file", "output", ("spillover", "forecast", "--as-of", "2025-01-27",
                                              "--out", "{tmp}/o.txt", *S),
         ("o.txt",), {"o.txt": "not a folder"}),
]
# fmt: on
CASES += __import__("hostile_cases_scenario").SCENARIO_CASES  # scenario specs (its own file)


def materialise(case: Case, tmp: Path) -> None:
    """Create the case's files under ``tmp``."""
    for name, content in case.files.items():
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if callable(content):
            content(path)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def argv(case: Case, tmp: Path, store: Path) -> list[str]:
    """The case's arguments with ``{tmp}`` and ``{store}`` filled in."""
    return [a.replace("{tmp}", str(tmp)).replace("{store}", str(store)) for a in case.args]


def small_prices() -> str:
    """A small long CSV of deterministic prices: ten symbols on their own sessions, 2024-2025."""
    import numpy as np

    from ipposaki.calendars import sessions

    rng = np.random.default_rng(15)
    out = io.StringIO()
    out.write("date,symbol,close\n")
    for symbol, exchange, start in (
        ("NVDA", "XNYS", 120.0),
        ("AVGO", "XNYS", 170.0),
        ("^GSPC", "XNYS", 5800.0),
        ("^IXIC", "XNYS", 19000.0),
        ("^SOX", "XNYS", 5000.0),
        ("JPY=X", "XNYS", 155.0),
        ("DEXJPUS", "XNYS", 155.0),
        ("8035.T", "XTKS", 25000.0),
        ("^N225", "XTKS", 39000.0),
        ("^TOPX", "XTKS", 2700.0),
    ):
        days = sessions(exchange)
        days = days[(days >= "2024-01-02") & (days <= "2025-02-28")]
        path = start * np.exp(np.cumsum(rng.normal(0, 0.015, len(days))))
        for day, px in zip(days, path, strict=True):
            out.write(f"{day.date()},{symbol},{px:.4f}\n")
    return out.getvalue()


def build_template(folder: Path) -> Path:
    """Write :func:`small_prices` into a new store in ``folder``; return the store's path."""
    import warnings

    from ipposaki.store import Store

    prices = folder / "prices.csv"
    prices.write_text(small_prices(), encoding="utf-8")
    store = Store(folder / "store.duckdb")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store.import_files([prices])
    return store.path


def normalise(message: str, tmp: Path) -> str:
    """The message with the case's folder written ``{tmp}``, as in the table."""
    return message.replace(str(tmp), "{tmp}")


def _shell(args: tuple[str, ...]) -> str:
    import re
    import shlex

    return " ".join(a if re.fullmatch(r"[\w@%+=:,./{}^*-]+", a) else shlex.quote(a) for a in args)


def _file_text(case: Case) -> str:
    parts = []
    for name, content in case.files.items():
        if name.endswith("/.keep"):
            parts.append(f"{name.removesuffix('/.keep')}/ (a folder)")
        elif callable(content):
            parts.append(f"{name}: {(content.__doc__ or content.__name__).strip().lstrip('_')}")
        elif isinstance(content, bytes):
            parts.append(f"{name}: {len(content)} bytes of binary or non-UTF-8 data")
        else:
            text = content.replace("\n", "⏎")
            parts.append(
                f"{name}: {text[:70]}{'…' if len(text) > 70 else ''}"
                if text
                else f"{name}: (empty)"
            )
    return "; ".join(parts)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("`", "'")


def render_doc(messages: dict[str, str]) -> str:
    """docs/errors.md: every case's message, by category, with the input that causes it."""
    lines = [
        "# Error messages",
        "",
        "<!-- Generated by scripts/make_errors_doc.py from tests/hostile_cases.py; "
        "tests/test_hostile_inputs.py checks that it is current. -->",
        "",
        "Every input error is **one line on stderr** starting `error:`, and the exit code is 2;",
        "nothing is written (the store stays byte-for-byte as it was). Each row below is a case",
        "of the hostile-input suite: the command as typed (`{tmp}` is its folder, `{store}` a",
        "store holding prices), the files it reads, and the message it prints.",
        "An unexpected failure is a bug: exit code 1 and one line starting `internal error:`;",
        "`IPPOSAKI_DEBUG=1` shows its traceback. Warnings are one line each, starting",
        "`warning: <class>:`.",
        "",
    ]
    for key, title in CATEGORIES.items():
        cases = [c for c in CASES if c.category == key]
        if not cases:
            continue
        lines += [f"## {title}", "", "| command | files | message |", "|---|---|---|"]
        for case in cases:
            command = _cell(_shell(("ipposaki", *case.args)))
            files = _cell(_file_text(case)) or "—"
            lines.append(f"| `{command}` | {files} | `{_cell(messages[case.id])}` |")
        lines.append("")
    return "\n".join(lines)
