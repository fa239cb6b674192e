"""One event study per exchange, from study inputs that hold several exchanges."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from ipposaki.results import Result, Summary, SummaryTable, freeze, versions

if TYPE_CHECKING:
    from ipposaki.study.results import EventStudyResult

__all__ = ["ExchangeStudies"]


@dataclass(frozen=True)
class ExchangeStudies(Result):
    """One event study per exchange, from inputs that hold several exchanges.

    Attributes
    ----------
    results : Mapping[str, EventStudyResult]
        Results by exchange (ISO MIC), read-only.

    Notes
    -----
    :meth:`to_dir` writes each exchange's study into ``out/EXCHANGE/`` (its own
    :meth:`~ipposaki.study.results.EventStudyResult.to_dir`), then ``caar.csv`` (every
    exchange's CAAR), ``summary.txt`` and ``manifest.json`` into ``out``.
    """

    results: Mapping[str, EventStudyResult]

    def __post_init__(self) -> None:
        object.__setattr__(self, "results", freeze(self.results))

    @property
    def summary(self) -> Summary:
        """Every exchange's summary under ``== EXCHANGE ==``, one after the other."""
        blocks: list[str | SummaryTable] = []
        for mic, res in self.results.items():
            blocks.extend([f"== {mic} ==", *res.summary.blocks])
        return Summary.of(*blocks)

    @property
    def manifest(self) -> Mapping[str, Any]:
        """Each exchange's pairs, exclusions and data hash (the rest is in each exchange's
        own manifest), and the versions."""
        exchanges = {
            mic: {
                "pairs": len(res.params),
                "excluded": len(res.excluded),
                "data_hash": res.parameters.data_hash,
            }
            for mic, res in self.results.items()
        }
        return freeze({"exchanges": exchanges, "versions": versions()})

    def frames(self) -> dict[str, pd.DataFrame]:
        """``caar``: every exchange's CAAR table, with the exchange as its first column."""
        caar = [res.caar.assign(exchange=mic) for mic, res in self.results.items()]
        if not caar:
            return {"caar": pd.DataFrame(columns=["exchange"])}
        table = pd.concat(caar, ignore_index=True)
        return {"caar": table[["exchange", *(c for c in table.columns if c != "exchange")]]}

    def parts(self) -> Mapping[str, Result]:
        """Each exchange's study, written into ``out/EXCHANGE/``."""
        return self.results
