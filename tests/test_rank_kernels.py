"""The vectorised kernels behind the rank tests against their one-row-at-a-time definitions."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ipposaki.study.statistics import _count_below

# Small integers make ties common; +inf stands for missing values (sorted last).
_values = st.sampled_from([-2.0, -1.0, 0.0, 0.5, 1.0, 3.0, np.inf])


@settings(max_examples=200, derandomize=True, deadline=None)
@given(
    rows=hnp.arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 9)), elements=_values),
    probe=st.lists(st.sampled_from([-3.0, -1.0, 0.0, 0.5, 2.0, 3.0, 4.0, np.nan]), min_size=6),
)
def test_count_below_is_searchsorted_row_by_row(rows: np.ndarray, probe: list[float]) -> None:
    ordered = np.sort(rows, axis=1)
    value = np.resize(np.asarray(probe), len(ordered))
    for strict, side in ((True, "left"), (False, "right")):
        got = _count_below(ordered, value, strict=strict)
        # NaN (a pair without the window) compares false with everything: nothing counted.
        want = [
            0 if np.isnan(v) else int(np.searchsorted(r, v, side=side))  # type: ignore[call-overload]
            for r, v in zip(ordered, value, strict=True)
        ]
        assert got.tolist() == want
