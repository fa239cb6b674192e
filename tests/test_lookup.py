"""Name look-ups (study.lookup): the dict route for small look-ups equals pandas' get_indexer,
which is the reference here (it is what the engine called before)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipposaki.study.lookup import positions

_TEXT = st.text(alphabet="AB.T ", max_size=3)
_NAME = st.one_of(_TEXT, st.integers(0, 3), st.just(float("nan")), st.none())


@settings(max_examples=300, deadline=None)
@given(
    names=st.lists(_NAME, max_size=12),
    among=st.lists(st.one_of(_TEXT, st.integers(0, 3)), max_size=8, unique=True),
    text_index=st.booleans(),
)
def test_positions_equal_pandas_on_both_routes(names, among, text_index):
    candidates = pd.Index(
        among, dtype="str" if text_index and all(isinstance(a, str) for a in among) else None
    )
    values = np.array(names, dtype=object)
    expected = candidates.get_indexer(pd.Index(values)).astype(np.int64)
    for small in (0, 10_000):  # pandas' route, then the dict's where it applies
        got = positions(values, candidates, small=small)
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got, expected)


def test_positions_reads_series_and_lists():
    among = pd.Index(["all", "chips", "power"], dtype="str")
    basket = pd.Series(["power", "all", "power", "wires"], dtype="str")
    np.testing.assert_array_equal(positions(basket, among), [2, 0, 2, -1])
    np.testing.assert_array_equal(positions(["chips"], ["all", "chips"]), [1])


def test_repeated_candidates_raise_as_pandas_does():
    among = pd.Index(["A", "B", "A"])
    with pytest.raises(pd.errors.InvalidIndexError) as by_pandas:
        among.get_indexer(pd.Index(["A"]))
    with pytest.raises(pd.errors.InvalidIndexError) as ours:
        positions(np.array(["A"], dtype=object), among)
    assert str(ours.value) == str(by_pandas.value)
