"""The shock pipeline: one event's moves, event study, spillover, scan and scenarios.

``run_shock(spec, store)`` computes everything with no file I/O and returns a read-only
:class:`ShockResult`; ``ShockResult.to_dir(path)`` writes its tables; :mod:`ipposaki.report`
renders it. ``run_demo`` adds the price ingest and writes the files (``ipposaki demo`` and
``ipposaki report``).
"""

from ipposaki.shock.demo import DemoResult, deepseek_spec, resolve_data, run_demo
from ipposaki.shock.options import ReportOptions, parse_report
from ipposaki.shock.pipeline import run_shock
from ipposaki.shock.result import (
    ForecastOutcome,
    PanelInfo,
    ScanOutcome,
    ScenarioRun,
    ShockResult,
)
from ipposaki.shock.sessions import ShockSession, shock_sessions

__all__ = [
    "DemoResult",
    "ForecastOutcome",
    "PanelInfo",
    "ReportOptions",
    "ScanOutcome",
    "ScenarioRun",
    "ShockResult",
    "ShockSession",
    "deepseek_spec",
    "parse_report",
    "resolve_data",
    "run_demo",
    "run_shock",
    "shock_sessions",
]
