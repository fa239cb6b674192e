"""Shared by the peer drivers: read the benchmark data, time the peer, write its CARs.

Every driver is run as ``PEER_VENV/bin/python drive_PEER.py DATA_DIR OUT_JSON`` with the files
written by ``bench_study.py``: ``returns.csv`` (wide: date, S00000, ..., MKT, simple returns)
and ``events.csv`` (symbol, event_date). The peer is asked for the market model with an
estimation window of the 250 sessions -260..-11 and the event window -10..+10, and each
driver reports the per-firm CAR over -10..+10 and the seconds the peer's own computation took
(data loading excluded, as for ipposaki).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd


def load() -> tuple[Path, pd.DataFrame, pd.DataFrame]:
    data = Path(sys.argv[1])
    returns = pd.read_csv(data / "returns.csv", parse_dates=["date"])
    events = pd.read_csv(data / "events.csv", parse_dates=["event_date"])
    return data, returns, events


def timed(run: Callable[[], dict[str, float]]) -> None:
    """Time ``run`` (best of ``PEER_REPEAT`` calls in this process, default one) and write its
    seconds and CARs."""
    best = float("inf")
    for _ in range(max(1, int(os.environ.get("PEER_REPEAT", "1")))):
        start = time.perf_counter()
        cars = run()
        best = min(best, time.perf_counter() - start)
    Path(sys.argv[2]).write_text(json.dumps({"seconds": best, "car": cars}))
