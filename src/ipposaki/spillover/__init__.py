"""New York -> Tokyo spillover: aligned data, rolling OLS, one-step-ahead forecasts, evaluation."""

from ipposaki.spillover.data import SpilloverData, spillover_data
from ipposaki.spillover.evaluate import SpilloverEvaluation, evaluate_spillover
from ipposaki.spillover.forecast import (
    DEFAULT_DRIVERS,
    DEFAULT_TARGETS,
    SpilloverForecast,
    forecast_next,
    next_target_session,
)
from ipposaki.spillover.model import RollingFit, newey_west, rolling_ols

__all__ = [
    "DEFAULT_DRIVERS",
    "DEFAULT_TARGETS",
    "RollingFit",
    "SpilloverData",
    "SpilloverEvaluation",
    "SpilloverForecast",
    "evaluate_spillover",
    "forecast_next",
    "newey_west",
    "next_target_session",
    "rolling_ols",
    "spillover_data",
]
