"""Benchmark the J-Quants import: 2 years x 50 codes, recorded, served on loopback (issue #20).

A pull of 50 codes over 2023-2024 (about 490 XTKS sessions each, ~24,500 daily bars in the v2
response layout, simulated prices with one 1-for-2 split per code) is held in memory by the
loopback stand-in of ``tests/fixtures/jquants/loopback.py``. The real ``jquantsapi.ClientV2``
fetches it through :func:`ipposaki.sources.jquants.load_jquants`, which parses, validates and
writes it to a fresh store in one transaction.

The network is excluded by timing the client's HTTP calls (its ``_get``: request sent, response
read) and subtracting them; what remains is the import: the client's JSON parsing into frames,
ipposaki's mapping to price rows, validation and the atomic ingest. Target: under 5 s.

Run::

    .venv/bin/python benchmarks/bench_jquants.py
    .venv/bin/python benchmarks/bench_jquants.py --codes 5   # a smoke run
"""

from __future__ import annotations

import argparse
import importlib.util
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
TARGET_S = 5.0


def _loopback() -> Any:
    path = REPO / "tests" / "fixtures" / "jquants" / "loopback.py"
    spec = importlib.util.spec_from_file_location("jquants_loopback", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def recorded_pull(n_codes: int, start: str, end: str, seed: int = 20) -> dict[str, Any]:
    """The v2 ``/equities/bars/daily`` payloads of ``n_codes`` codes, by loopback file name."""
    from ipposaki.calendars import sessions

    days = [d.strftime("%Y-%m-%d") for d in sessions("XTKS", start, end)]
    rng = np.random.default_rng(seed)
    payloads: dict[str, Any] = {}
    for i in range(n_codes):
        code = f"{1301 + 97 * i:04d}0"
        close = 1500 * np.exp(np.cumsum(rng.normal(0, 0.018, len(days))))
        split = int(rng.integers(50, len(days) - 50))  # a 1-for-2 split on this session
        raw = np.where(np.arange(len(days)) < split, close * 2, close).round(1)
        vol = rng.integers(10_000, 2_000_000, len(days)).astype(float)
        rows = []
        for k, day in enumerate(days):
            c = float(raw[k])
            scale = 0.5 if k < split else 1.0
            rows.append(
                {
                    "Date": day, "Code": code, "O": c, "H": round(c * 1.01, 1),
                    "L": round(c * 0.99, 1), "C": c, "UL": "0", "LL": "0", "Vo": vol[k],
                    "Va": c * vol[k], "AdjFactor": 0.5 if k == split else 1.0,
                    "AdjO": c * scale, "AdjH": round(c * 1.01, 1) * scale,
                    "AdjL": round(c * 0.99, 1) * scale, "AdjC": c * scale,
                    "AdjVo": vol[k] / scale,
                }
            )  # fmt: skip
        payloads[f"bars_daily_{code}.json"] = {"data": rows}
    return payloads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codes", type=int, default=50)
    parser.add_argument("--start", default="2023-01-04")
    parser.add_argument("--end", default="2024-12-30")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import jquantsapi

    from ipposaki.sources.jquants import load_jquants
    from ipposaki.store import Store

    loopback = _loopback()
    payloads = recorded_pull(args.codes, args.start, args.end)
    codes = [name.split("_")[-1].removesuffix(".json") for name in payloads]
    n_bars = sum(len(p["data"]) for p in payloads.values())
    base, server = loopback.serve()
    loopback.Handler.extra = payloads
    results = []
    try:
        for _ in range(args.repeat):
            client = jquantsapi.ClientV2(api_key=loopback.API_KEY)
            client.JQUANTS_API_BASE = base
            network = [0.0]
            real_get = client._get

            def timed_get(
                url: str, params: Any = None, _get: Any = real_get, _net: list = network
            ) -> Any:
                t0 = time.perf_counter()
                try:
                    return _get(url, params=params)
                finally:
                    _net[0] += time.perf_counter() - t0

            client._get = timed_get
            with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
                warnings.simplefilter("ignore")
                store = Store(Path(tmp) / "store.duckdb")
                store.instruments()  # the store file's creation is not the import
                t0 = time.perf_counter()
                result = load_jquants(store, codes, [], args.start, args.end, client=client)
                wall = time.perf_counter() - t0
            results.append((wall, network[0], result.rows_written))
    finally:
        server.shutdown()
        server.server_close()
    wall, net, rows = min(results, key=lambda r: r[0] - r[1])
    verdict = "met" if wall - net < TARGET_S else "missed"
    print(
        f"jquants: {args.codes} codes x {args.start}..{args.end}: {n_bars:,} bars, "
        f"{rows:,} rows written; {wall:.2f} s wall, of which {net:.2f} s HTTP on loopback; "
        f"import {wall - net:.2f} s (best of {args.repeat}); target < {TARGET_S:g} s: {verdict}"
    )


if __name__ == "__main__":
    main()
