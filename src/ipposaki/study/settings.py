"""The event study's settings and their defaults, each written once.

:func:`~ipposaki.study.run_study`, a spec's ``[study]`` table, the ``study`` and ``simulate``
commands and the report take their defaults from :data:`DEFAULTS`.

Examples
--------
>>> DEFAULTS.estimation_window, DEFAULTS.event_window
('-250:-11', '-5:10')
>>> short = StudySettings(estimation_window="-120:-11", car_windows=("0:0",))
>>> short.kwargs()["estimation_window"], DEFAULTS.kwargs()["min_estimation_obs"]
('-120:-11', 100)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal, get_args

__all__ = [
    "CONVENTIONS",
    "DEFAULTS",
    "Convention",
    "Measure",
    "ModelName",
    "Roll",
    "StudySettings",
    "ThinTrading",
]

# The options' types live here, with the defaults, so that the command line can read both
# without importing the engine (numpy, pandas).

#: The normal-return models (:mod:`ipposaki.study.models`, :mod:`ipposaki.study.garch`).
ModelName = Literal[
    "market", "market-adjusted", "constant-mean", "factor", "raw", "garch", "egarch"
]
#: The thin-trading beta of the market model.
ThinTrading = Literal["none", "scholes-williams", "dimson"]
#: What to do with an event date that is not a session.
Roll = Literal["none", "next", "previous"]

#: Whose test statistics: ipposaki's, or estudy2's for reproducing it (docs/conventions.md).
Convention = Literal["ipposaki", "estudy2"]
#: The conventions, as values.
CONVENTIONS: tuple[str, ...] = get_args(Convention)
#: What is studied: returns, log volume or log squared returns (docs/measures.md).
Measure = Literal["return", "volume", "volatility"]


@dataclass(frozen=True)
class StudySettings:
    """How an event study is run: model, windows, estimation size and conventions.

    Parameters
    ----------
    model : str, default "market"
        The normal-return model (:data:`~ipposaki.study.models.MODELS`).
    estimation_window : str, default "-250:-11"
        Sessions relative to day 0 the model is estimated on.
    event_window : str, default "-5:10"
        Sessions relative to day 0 whose abnormal returns are kept.
    car_windows : tuple of str, default ("0:0", "0:1", "-1:1", "0:10")
        The windows cumulated and tested; inside the event window.
    min_estimation_obs : int, default 100
        Fewest valid estimation sessions a pair needs.
    thin_trading : str, default "none"
        The thin-trading beta of the market model (``scholes-williams``, ``dimson``).
    roll : str, default "none"
        What to do with an event date that is not a session (``next``, ``previous``).
    convention : str, default "ipposaki"
        Whose test statistics (``estudy2`` reproduces the R package's).
    measure : str, default "return"
        Returns, log volume or log squared returns.
    log_returns : bool, default False
        Whether the returns given are log returns.
    """

    model: ModelName = "market"
    estimation_window: str = "-250:-11"
    event_window: str = "-5:10"
    car_windows: tuple[str, ...] = ("0:0", "0:1", "-1:1", "0:10")
    min_estimation_obs: int = 100
    thin_trading: ThinTrading = "none"
    roll: Roll = "none"
    convention: Convention = "ipposaki"
    measure: Measure = "return"
    log_returns: bool = False

    def kwargs(self) -> dict[str, Any]:
        """The settings as keyword arguments of :func:`~ipposaki.study.run_study`."""
        return asdict(self)


#: The defaults of every study.
DEFAULTS = StudySettings()
