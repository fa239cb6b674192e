"""Type aliases shared across ipposaki."""

from __future__ import annotations

import datetime as dt
from typing import TypeAlias

import numpy as np
import pandas as pd

__all__ = ["DateLike", "FloatArray"]

#: Anything that names a date: ``"2025-01-27"``, a ``datetime.date``, a Timestamp, a datetime64.
DateLike: TypeAlias = str | dt.date | dt.datetime | pd.Timestamp | np.datetime64
#: A float64 numpy array.
FloatArray: TypeAlias = np.ndarray
