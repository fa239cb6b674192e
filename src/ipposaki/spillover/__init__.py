"""New York -> Tokyo spillover: aligned data, rolling OLS, one-step-ahead forecasts, evaluation."""

from ipposaki.ols import RollingFit, newey_west, rolling_ols
from ipposaki.spillover.connectedness import (
    Connectedness,
    RollingConnectedness,
    connectedness,
    rolling_connectedness,
)
from ipposaki.spillover.data import SeriesClock, SpilloverData, series_clock, spillover_data
from ipposaki.spillover.evaluate import (
    ClarkWestTest,
    SpilloverEvaluation,
    clark_west,
    evaluate_spillover,
    r2_oos,
)
from ipposaki.spillover.forecast import (
    DEFAULT_DRIVERS,
    DEFAULT_TARGETS,
    SpilloverForecast,
    forecast_next,
    next_target_session,
)

__all__ = [
    "DEFAULT_DRIVERS",
    "DEFAULT_TARGETS",
    "ClarkWestTest",
    "Connectedness",
    "RollingConnectedness",
    "RollingFit",
    "SeriesClock",
    "SpilloverData",
    "SpilloverEvaluation",
    "SpilloverForecast",
    "clark_west",
    "connectedness",
    "evaluate_spillover",
    "forecast_next",
    "newey_west",
    "next_target_session",
    "r2_oos",
    "rolling_connectedness",
    "rolling_ols",
    "series_clock",
    "spillover_data",
]
