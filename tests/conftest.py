"""Shared fixtures and markers: the real price folder beside the checkout, the DeepSeek demo run
once per session, fresh stores, tiny files.

Markers applied here (``pyproject.toml`` declares them): ``shared`` on every test that uses the
real prices (the ``shared_prices``, ``shared_store`` or ``deepseek_demo`` fixture, directly or
through another fixture), and ``slow`` on every test that needs the full demo pipeline
(``deepseek_demo``) or the headless browser (a ``chromium`` fixture). Tests that read
``../shared`` by another route, start a Dask cluster or run a pipeline of their own carry the
markers themselves.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ipposaki.store import Store

# One BLAS/OpenMP thread, so that sums come out the same on every run (tolerances are 1e-12).
# This must happen before numpy is first imported: pytest loads this file before it imports any
# test module or doctest module (tests/ is in testpaths). The Makefile's pytest targets set the
# same variables; tests/test_cli.py checks with threadpoolctl that they took effect.
for _threads in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_threads] = "1"

REPO = Path(__file__).resolve().parents[1]
SHARED_PRICES = REPO.parent / "shared" / "data" / "prices"

#: Fixtures that read ../shared/data/prices: a test using one is marked ``shared``.
SHARED_FIXTURES = frozenset({"shared_prices", "shared_store", "deepseek_demo", "readme_run"})
#: Fixtures that need the full demo pipeline or a browser: a test using one is marked ``slow``.
SLOW_FIXTURES = frozenset({"deepseek_demo", "readme_run", "chromium", "dask_client"})


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test by the fixtures it uses (``fixturenames`` is the whole closure)."""
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        if names & SHARED_FIXTURES:
            item.add_marker(pytest.mark.shared)
        if names & SLOW_FIXTURES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def dask_client() -> Iterator[Any]:
    """One real Dask LocalCluster (two worker processes, one thread each) for the session's
    scale-out tests: starting a cluster costs seconds, and the tests only submit work to it."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


@pytest.fixture(scope="session")
def shared_prices() -> Path:
    """The real prices in ../shared/data/prices; skip when the folder is absent."""
    if not (SHARED_PRICES / "daily.csv").is_file():
        pytest.skip(
            f"real prices not found at {SHARED_PRICES} (shared/ is not beside the checkout)"
        )
    return SHARED_PRICES


@pytest.fixture(scope="session")
def shared_store(shared_prices: Path, tmp_path_factory: pytest.TempPathFactory) -> Store:
    """A store holding the real daily prices, imported once per test session."""
    from ipposaki.store import Store

    store = Store(tmp_path_factory.mktemp("shared") / "store.duckdb")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store.import_files([shared_prices / "daily.csv"], non_sessions="skip")
    return store


@dataclass(frozen=True)
class Demo:
    """The DeepSeek demo on the real prices: what ``ipposaki demo --data ../shared/data/prices``
    computes and writes, without the command line and the import.

    Attributes
    ----------
    result : ShockResult
        ``run_shock`` of ``examples/deepseek.toml`` (the demo's spec) on the shared store.
    tables : ReportTables
        The report's tables, built once for both languages.
    out : pathlib.Path
        The folder holding the result's files (``to_dir``) and both reports, as the demo
        writes them.
    """

    result: Any
    tables: Any
    out: Path


def _digests(folder: Path) -> dict[str, str]:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return {p.relative_to(folder).as_posix(): file_digest(p) for p in files}


@pytest.fixture(scope="session")
def deepseek_demo(shared_store: Store, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The DeepSeek demo, run once per session for every test that only reads its outputs.

    Read only: a test that changes a table or a file works on a copy (``frame.copy()``,
    ``dataclasses.replace``, ``shutil.copytree``). The folder is checked at the end of the
    session, and a change to it is an error.
    """
    from ipposaki.report import write_report
    from ipposaki.report.content import report_tables
    from ipposaki.shock import run_shock
    from ipposaki.study.spec import load_spec

    result = run_shock(load_spec(REPO / "examples" / "deepseek.toml"), shared_store)
    out = tmp_path_factory.mktemp("deepseek_demo")
    result.to_dir(out)
    tables = report_tables(result)
    for lang in ("en", "ja"):
        write_report(result, lang, out, tables=tables)
    before = _digests(out)
    yield Demo(result, tables, out)
    assert _digests(out) == before, f"a test changed the shared demo folder {out}"


@dataclass(frozen=True)
class ReadmeRun:
    """The README's ``ipposaki`` commands, run once in order (``tests/test_readme.py``).

    Attributes
    ----------
    work : pathlib.Path
        The scratch checkout the commands ran in (``examples/`` and ``../shared`` beside it).
    store : pathlib.Path
        The store the commands used (``IPPOSAKI_STORE``).
    ran : list of (argv, exit code, stderr, seconds)
        The import that stands for ``make demo`` first, then each README command run, up to
        and including the first that failed.
    skipped : list of argv
        The README commands left out (they need the internet).
    """

    work: Path
    store: Path
    ran: list[tuple[list[str], int, str, float]]
    skipped: list[list[str]]

    def output(self, *head: str) -> Path:
        """The ``--out`` folder of the first command run that starts with ``head`` (after the
        global options), once it is checked to have succeeded."""
        for argv, code, err, _ in self.ran:
            words = argv[next(i for i, a in enumerate(argv) if not a.startswith("-")) :]
            if words[: len(head)] == list(head):
                assert code == 0, f"ipposaki {' '.join(argv)} exited {code}: {err[-400:]}"
                return self.work / argv[argv.index("--out") + 1]
        raise AssertionError(f"the README runs no `ipposaki {' '.join(head)}`")


@pytest.fixture(scope="session")
def readme_run(shared_prices: Path, tmp_path_factory: pytest.TempPathFactory) -> ReadmeRun:
    """Every ``ipposaki`` command of the README's shell examples, run once per session in a
    scratch checkout with a fresh store (the commands that need the internet are left out).

    ``tests/test_readme.py`` checks that each command succeeded; other tests check the files a
    command wrote instead of running the same command again (``tests/test_cli.py``: the demo on
    the real prices). Read only: a test that writes works on a copy.
    """
    import contextlib
    import io
    import shlex
    import time

    from ipposaki.cli.main import run
    from test_readme import readme_commands, skipped, write_inputs

    root = tmp_path_factory.mktemp("readme")
    work = root / "checkout"
    work.mkdir()
    (work / "examples").symlink_to(REPO / "examples")
    (root / "shared").symlink_to(shared_prices.parents[1])
    write_inputs(work, shared_prices)
    store = root / "store.duckdb"
    # the README's first block is `make demo`, which leaves the real prices in the store
    daily = str(shared_prices / "daily.csv")
    commands = [["--quiet", "data", "import", daily, "--non-sessions", "skip"]]
    commands += [argv for argv in readme_commands() if not skipped(argv)]
    ran: list[tuple[list[str], int, str, float]] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(work)
        mp.setenv("IPPOSAKI_STORE", str(store))
        mp.delenv("IPPOSAKI_DATA", raising=False)
        for argv in commands:
            out, err = io.StringIO(), io.StringIO()
            start = time.perf_counter()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = run(argv)
            ran.append((argv, code, err.getvalue(), round(time.perf_counter() - start, 1)))
            if code != 0:
                print(f"ipposaki {shlex.join(argv)} exited {code}")
                break
    return ReadmeRun(work, store, ran, [argv for argv in readme_commands() if skipped(argv)])


@pytest.fixture
def store(tmp_path: Path) -> Store:
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
