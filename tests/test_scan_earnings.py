"""What else happened in a scanned episode (#20): the moving members' own earnings
announcements within one session, from the store's earnings calendar."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from ipposaki.scan import scan
from ipposaki.store import Store


@pytest.fixture
def store_with_earnings(shared_store: Store, tmp_path: Path) -> Store:
    """A copy of the real-price store with two made-up announcements (test data, not facts):
    one on the DeepSeek Tokyo session for a chip-equipment member, one far from any episode."""
    copy = Store(tmp_path / "store.duckdb")
    shutil.copy(shared_store.path, copy.path)
    copy.add_earnings(
        pd.DataFrame(
            {
                "symbol": ["8035.T", "8035.T"],
                "date": ["2025-01-29", "2024-07-10"],
                "kind": ["disclosed", "disclosed"],
                "fiscal_year": ["2025", "2025"],
                "fiscal_quarter": ["3Q", "1Q"],
                "source": ["test", "test"],
            }
        )
    )
    return copy


def test_the_deepseek_episode_shows_an_announcement_the_next_session(
    store_with_earnings: Store,
) -> None:
    res = scan(store_with_earnings, "2024-06-01", "2025-03-31")
    top = res.episodes.iloc[0]
    assert top["sessions"] == "XTKS 01-27, XNYS 01-27, XTKS 01-28"
    # 8035.T moved beyond the threshold on XTKS 01-28; 01-29 is one session after it.
    assert "8035.T 2025-01-29 (+1)" in top["earnings"]
    others = res.episodes.iloc[1:]
    assert not others["earnings"].str.contains("2025-01-29").any()


def test_without_a_calendar_the_column_is_empty(shared_store: Store) -> None:
    res = scan(shared_store, "2024-12-01", "2025-02-28")
    assert (res.episodes["earnings"] == "").all()
