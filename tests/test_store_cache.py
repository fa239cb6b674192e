"""The store remembers its small tables (instruments, baskets, symbols) until its file changes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ipposaki.store import Store
from ipposaki.store import store as store_module


def test_a_write_by_another_store_object_is_seen_at_once(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    reader, writer = Store(path), Store(path)
    writer.add_baskets(
        pd.DataFrame({"basket": ["mine"], "symbol": ["NVDA"], "name": [""], "name_ja": [""]})
    )
    assert reader.basket("mine") == ["NVDA"]
    writer.add_baskets(
        pd.DataFrame({"basket": ["mine"], "symbol": ["AVGO"], "name": [""], "name_ja": [""]})
    )
    assert reader.basket("mine") == ["AVGO"]  # the replaced basket, not the remembered one


def test_repeated_reads_open_the_file_once_and_hand_out_copies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.duckdb"
    store = Store(path)
    store.add_baskets(
        pd.DataFrame({"basket": ["mine"], "symbol": ["NVDA"], "name": [""], "name_ja": [""]})
    )
    opened = []
    real = store_module.connect

    def counting(*args: object, **kwargs: object) -> object:
        opened.append(args)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store_module, "connect", counting)
    first = store.baskets()
    first.loc[:, "symbol"] = "changed by the caller"
    for _ in range(5):
        assert store.basket("mine") == ["NVDA"]
        assert "NVDA" in set(store.instruments()["symbol"])
    assert len(opened) == 2  # baskets once, instruments once
