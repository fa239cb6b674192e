"""Small builders the report's sections share: a chart block, a link to a CSV file, and the
style of a cell by the sign of its value."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ipposaki.report.document import Chart
from ipposaki.report.locale import Locale

__all__ = ["chart", "csv_link", "direction"]


def chart(loc: Locale, pngs: dict[str, str], cid: str, key: str, **values: Any) -> Chart:
    """Chart ``cid`` with the caption ``key`` (worded with ``values``) and its PNG if any."""
    return Chart(cid, loc.t(key, **values), pngs.get(cid, ""))


def csv_link(loc: Locale, name: str) -> tuple[tuple[str, str], ...]:
    """The link to a CSV file, for a block's ``links``."""
    return ((loc.t("csv"), name),)


def direction(x: Any) -> str:
    """The cell style of a signed value: ``up``, ``down``, or ``n`` when it is missing."""
    return "n" if x is None or pd.isna(x) else ("up" if float(x) >= 0 else "down")
