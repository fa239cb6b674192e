"""Shared fixtures: the real price folder beside the checkout, fresh stores, tiny files."""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_PRICES = REPO.parent / "shared" / "data" / "prices"


@pytest.fixture(scope="session")
def shared_prices() -> Path:
    """The real prices in ../shared/data/prices; skip when the folder is absent."""
    if not (SHARED_PRICES / "daily.csv").is_file():
        pytest.skip(
            f"real prices not found at {SHARED_PRICES} (shared/ is not beside the checkout)"
        )
    return SHARED_PRICES


@pytest.fixture(scope="session")
def shared_store(shared_prices: Path, tmp_path_factory: pytest.TempPathFactory):
    """A store holding the real daily prices, imported once per test session."""
    from ipposaki.store import Store

    store = Store(tmp_path_factory.mktemp("shared") / "store.duckdb")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store.import_files([shared_prices / "daily.csv"], non_sessions="skip")
    return store


@pytest.fixture
def store(tmp_path: Path):
    """An empty store in a temporary folder."""
    from ipposaki.store import Store

    return Store(tmp_path / "store.duckdb")


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes, or 'absent'."""
    if not path.exists():
        return "absent"
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def write(tmp_path: Path) -> Iterator[object]:
    """Write a text file into tmp_path and return its path."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    yield _write
