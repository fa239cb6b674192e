"""Diebold-Yilmaz connectedness: a published table, a hand computation, statsmodels, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ipposaki.cli.main import run
from ipposaki.errors import InputError
from ipposaki.spillover.connectedness import (
    connectedness,
    gfevd,
    ma_coefficients,
    read_returns,
    rolling_connectedness,
    rolling_var,
)

FIXTURES = Path(__file__).parent / "fixtures" / "connectedness"
DY2012 = FIXTURES / "dy2012.csv"

# Published output: ConnectednessApproach 1.0.4 (David Gabauer), docs/2012DieboldYilmaz.html,
# commit 37950cc0d1793986fca6f4b0f1ac120707cec4d5 of github.com/GabauerDavid/ConnectednessApproach,
# "Table 2: Volatility Spillover Table, Four Asset Classes" from
#   ConnectednessApproach(dy2012, nlag=4, nfore=10, model="VAR", connectedness="Time",
#       Connectedness_config=list(TimeConnectedness=list(generalized=TRUE)))
#   kable(dca$TABLE)
# It reproduces Table 2 of Diebold and Yilmaz (2012). Typed from the printed page (see README).
NAMES = ["SP500", "R_10Y", "DJUBSCOM", "USDX"]
PUBLISHED_BODY = [  # receivers x senders, then FROM
    [88.76, 7.29, 0.35, 3.61, 11.24],
    [10.21, 81.45, 2.73, 5.61, 18.55],
    [0.47, 3.70, 93.69, 2.14, 6.31],
    [5.69, 7.03, 1.55, 85.73, 14.27],
]
PUBLISHED_TO = [16.37, 18.01, 4.62, 11.36, 50.37]  # its last cell: the sum of FROM
PUBLISHED_INC_OWN = [105.13, 99.46, 98.31, 97.10]
PUBLISHED_NET = [5.13, -0.54, -1.69, -2.90]
PUBLISHED_TCI = 12.59  # printed as "16.79/12.59" (corrected TCI / TCI)


@pytest.fixture(scope="module")
def dy2012() -> pd.DataFrame:
    return read_returns(DY2012)


@pytest.fixture(scope="module")
def published_fit(dy2012: pd.DataFrame):
    return connectedness(dy2012, lags=4, horizon=10)


def _printed(value: float) -> float:
    """Round as the published table was printed (two decimals)."""
    return round(float(value), 2)


class TestPublishedTable:
    """Every printed cell of the DY2012 table, to its two decimals."""

    def test_fixture_is_the_package_data(self, dy2012: pd.DataFrame) -> None:
        assert list(dy2012.columns) == NAMES
        assert dy2012.shape == (2771, 4)
        assert dy2012.index[0] == "1999-01-25" and dy2012.index[-1] == "2010-01-29"

    @pytest.mark.parametrize("row", NAMES)
    def test_body_and_from(self, published_fit, row: str) -> None:
        table = published_fit.table
        expected = PUBLISHED_BODY[NAMES.index(row)]
        got = [_printed(v) for v in table.loc[row, [*NAMES, "FROM"]]]
        assert got == expected

    def test_to_row(self, published_fit) -> None:
        got = [_printed(v) for v in published_fit.table.loc["TO", [*NAMES, "FROM"]]]
        assert got == PUBLISHED_TO

    def test_including_own_row(self, published_fit) -> None:
        got = [_printed(v) for v in published_fit.table.loc["TO incl. own", NAMES]]
        assert got == PUBLISHED_INC_OWN

    def test_net(self, published_fit) -> None:
        assert [_printed(v) for v in published_fit.table.loc["NET", NAMES]] == PUBLISHED_NET
        assert [_printed(v) for v in published_fit.directional["net"]] == PUBLISHED_NET

    def test_total_index(self, published_fit) -> None:
        assert _printed(published_fit.total) == PUBLISHED_TCI
        assert _printed(published_fit.table.loc["TO incl. own", "FROM"]) == PUBLISHED_TCI


# Published output: frequencyConnectedness 0.2.4 (Tomas Krehlik), README.md at commit
# 51250a989b18088c1307c57ba589406add4be872 of github.com/tomaskrehlik/frequencyConnectedness:
#   est <- VAR(exampleSim[1:600,], p = 2, type = "const"); spilloverDY12(est, n.ahead = 100)
# Its FROM and TO are divided by the number of series, and n.ahead = 100 means h = 0..100.
EXAMPLESIM = FIXTURES / "examplesim600.csv"
KREHLIK_BODY = [
    [8.56, 10.34, 81.09, 30.48],
    [2.62, 11.50, 85.88, 29.50],
    [0.31, 0.26, 99.43, 0.19],
]
KREHLIK_TO = [0.97, 3.53, 55.66, 60.17]


@pytest.fixture(scope="module")
def krehlik_fit():
    """VAR(2) of the first 600 rows of exampleSim, h = 0..100."""
    data = read_returns(EXAMPLESIM)
    assert data.shape == (600, 3)
    return connectedness(data, lags=2, horizon=101)


class TestPublishedFrequencyConnectedness:
    """Every printed cell of frequencyConnectedness's spilloverDY12 example."""

    def test_body_and_from(self, krehlik_fit) -> None:
        names = ["V1", "V2", "V3"]
        table = krehlik_fit.table
        for row, expected in zip(names, KREHLIK_BODY, strict=True):
            cells = [*table.loc[row, names], table.loc[row, "FROM"] / 3]
            assert [_printed(v) for v in cells] == expected, row

    def test_to_and_total(self, krehlik_fit) -> None:
        to = krehlik_fit.table.loc["TO", ["V1", "V2", "V3"]] / 3
        assert [_printed(v) for v in [*to, krehlik_fit.total]] == KREHLIK_TO


def _hand_gfevd(phi: np.ndarray, sigma: np.ndarray, horizon: int) -> np.ndarray:
    """The DY2012 formula for a VAR(1), written out with scalar loops."""
    n = len(sigma)
    powers = [np.eye(n)]
    for _ in range(1, horizon):
        powers.append(phi @ powers[-1])
    theta = np.zeros((n, n))
    for i in range(n):
        den = sum(
            sum(sum(a[i, k] * sigma[k, m] * a[i, m] for m in range(n)) for k in range(n))
            for a in powers
        )
        for j in range(n):
            num = sum(sum(a[i, k] * sigma[k, j] for k in range(n)) ** 2 for a in powers)
            theta[i, j] = num / sigma[j, j] / den
    return theta / theta.sum(axis=1, keepdims=True)


class TestHandComputation:
    """A 2-variable VAR(1) with known coefficients."""

    phi = np.array([[0.5, 0.2], [0.1, 0.3]])
    sigma = np.array([[1.0, 0.5], [0.5, 2.0]])

    def test_horizon_one_closed_form(self) -> None:
        # H = 1: theta_ij = s_ij^2 / (s_ii s_jj) before normalisation; rho^2 = 0.125.
        got = gfevd(ma_coefficients(self.phi[None], 1), self.sigma)
        rho2 = 0.25 / 2.0
        expected = np.array([[1, rho2], [rho2, 1]]) / (1 + rho2)
        np.testing.assert_allclose(got, expected, rtol=1e-14)

    def test_horizon_two_by_hand(self) -> None:
        # H = 2, A_1 = Phi. Row 1: A_1 S = [[0.6, 0.65], [0.25, 0.65]];
        # theta_11 ∝ (1^2 + 0.6^2)/1 = 1.36, theta_12 ∝ (0.5^2 + 0.65^2)/2 = 0.33625.
        # Row 2: theta_21 ∝ (0.5^2 + 0.25^2)/1 = 0.3125, theta_22 ∝ (2^2 + 0.65^2)/2 = 2.21125.
        got = gfevd(ma_coefficients(self.phi[None], 2), self.sigma)
        row1 = np.array([1.36, 0.33625]) / (1.36 + 0.33625)
        row2 = np.array([0.3125, 2.21125]) / (0.3125 + 2.21125)
        np.testing.assert_allclose(got, np.vstack([row1, row2]), rtol=1e-14)

    @pytest.mark.parametrize("horizon", [1, 2, 5, 10])
    def test_loops_agree(self, horizon: int) -> None:
        got = gfevd(ma_coefficients(self.phi[None], horizon), self.sigma)
        np.testing.assert_allclose(got, _hand_gfevd(self.phi, self.sigma, horizon), rtol=1e-13)


@pytest.fixture(scope="module")
def fitted():
    """statsmodels' VAR(2) of the DY2012 data."""
    from statsmodels.tsa.api import VAR

    return VAR(pd.read_csv(DY2012, index_col=0).to_numpy()).fit(2)


class TestAgainstStatsmodels:
    def test_ma_coefficients(self, fitted) -> None:
        np.testing.assert_allclose(
            ma_coefficients(np.asarray(fitted.coefs), 12), fitted.ma_rep(11), atol=1e-13
        )

    def test_diagonal_sigma_is_statsmodels_fevd(self, fitted) -> None:
        # With uncorrelated shocks the generalized and Cholesky decompositions coincide.
        from statsmodels.tsa.vector_ar.var_model import VARResults

        sigma = np.diag(np.diag(fitted.sigma_u))
        diag = VARResults(
            fitted.endog,
            fitted.endog_lagged,
            fitted.params,
            sigma,
            fitted.k_ar,
            model=fitted.model,
            names=fitted.names,
        )
        theirs = diag.fevd(10).decomp[:, -1, :]
        ours = gfevd(ma_coefficients(np.asarray(fitted.coefs), 10), sigma)
        np.testing.assert_allclose(ours, theirs, atol=1e-12)

    def test_order_of_series_does_not_matter(self, dy2012: pd.DataFrame) -> None:
        order = ["USDX", "SP500", "DJUBSCOM", "R_10Y"]
        a = connectedness(dy2012, 2, 10).fevd
        b = connectedness(dy2012[order], 2, 10).fevd
        pd.testing.assert_frame_equal(a.loc[order, order], b, atol=1e-12, rtol=0)


class TestRolling:
    @pytest.mark.parametrize("lags", [1, 2, 4])
    def test_windows_match_statsmodels(self, dy2012: pd.DataFrame, lags: int) -> None:
        from statsmodels.tsa.api import VAR

        values = dy2012.to_numpy()
        window = 200
        starts, intercepts, coefs, sigma = rolling_var(values, lags, window, step=7)
        for w in (0, 1, len(starts) // 2, len(starts) - 1):
            s = starts[w]
            res = VAR(values[s : s + window]).fit(lags)
            np.testing.assert_allclose(coefs[w], res.coefs, atol=1e-10)
            np.testing.assert_allclose(sigma[w], res.sigma_u, atol=1e-10)
            np.testing.assert_allclose(intercepts[w], res.intercept, atol=1e-10)
            theirs = gfevd(ma_coefficients(np.asarray(res.coefs), 10), np.asarray(res.sigma_u))
            ours = gfevd(ma_coefficients(coefs[w], 10), sigma[w])
            np.testing.assert_allclose(ours, theirs, atol=1e-10)

    def test_total_matches_one_window_fit(self, dy2012: pd.DataFrame) -> None:
        roll = rolling_connectedness(dy2012, lags=4, horizon=10, window=200, step=100)
        offset = (len(dy2012) - 200) % 100  # windows are anchored at the last row
        assert roll.total.index[-1] == dy2012.index[-1]
        assert roll.total.index[0] == dy2012.index[offset + 199]
        assert len(roll.total) == len(range(offset, len(dy2012) - 200 + 1, 100))
        for k in (0, 5, len(roll.total) - 1):
            lo = offset + k * 100
            single = connectedness(dy2012.iloc[lo : lo + 200], 4, 10)
            assert roll.total.iloc[k] == pytest.approx(single.total, abs=1e-10)
            np.testing.assert_allclose(
                roll.net.iloc[k], single.directional["net"].to_numpy(), atol=1e-10
            )
        frame = roll.frame
        assert list(frame.columns[:3]) == ["end", "total", "to:SP500"]

    def test_returns_twenty_series(self) -> None:
        rng = np.random.default_rng(3)
        data = pd.DataFrame(rng.normal(0, 0.01, (600, 20)))
        roll = rolling_connectedness(data, lags=1, horizon=10, window=250, step=1)
        assert len(roll.total) == 351
        assert ((roll.total > 0) & (roll.total < 100)).all()


class TestResult:
    def test_read_only(self, published_fit) -> None:
        with pytest.raises(AttributeError):
            published_fit.lags = 2  # type: ignore[misc]
        copy = published_fit.fevd
        copy.iloc[0, 0] = 99.0
        assert published_fit.fevd.iloc[0, 0] < 1

    def test_pairwise_is_antisymmetric(self, published_fit) -> None:
        m = published_fit.pairwise_matrix
        np.testing.assert_allclose(m.to_numpy(), -m.to_numpy().T, atol=1e-12)
        pairs = published_fit.pairwise
        assert len(pairs) == 6
        row = pairs[(pairs.series == "SP500") & (pairs.other == "R_10Y")].iloc[0]
        assert row.net == pytest.approx(10.21 - 7.29, abs=0.01)
        # NET of a series is the sum of its net pairwise spillovers.
        np.testing.assert_allclose(m.sum(axis=1), published_fit.directional["net"], atol=1e-10)

    def test_summary(self, published_fit) -> None:
        text = str(published_fit)
        assert "Total index 12.59%" in text and "88.76" in text


class TestInputs:
    @pytest.mark.parametrize(
        ("kwargs", "argument"),
        [
            ({"lags": 0}, "lags"),
            ({"lags": 1.5}, "lags"),
            ({"horizon": 0}, "horizon"),
        ],
        ids=["lags-zero", "lags-float", "horizon-zero"],
    )
    def test_bad_numbers(self, dy2012: pd.DataFrame, kwargs: dict, argument: str) -> None:
        with pytest.raises(InputError) as err:
            connectedness(dy2012, **kwargs)
        assert err.value.argument == argument

    def test_bad_data(self, dy2012: pd.DataFrame) -> None:
        with pytest.raises(InputError, match="at least two series"):
            connectedness(dy2012[["SP500"]])
        gappy = dy2012.copy()
        gappy.iloc[3, 1] = np.nan
        with pytest.raises(InputError, match="1 row"):
            connectedness(gappy)
        with pytest.raises(InputError, match="rows for a VAR"):
            connectedness(dy2012.iloc[:10], lags=4)

    def test_constant_series(self, dy2012: pd.DataFrame) -> None:
        with pytest.raises(InputError, match="constant column") as err:
            connectedness(dy2012.assign(USDX=1.0))
        assert err.value.argument == "returns"

    def test_window_with_a_constant_series_is_nan_with_a_warning(self) -> None:
        from ipposaki.errors import DataWarning

        rng = np.random.default_rng(1)
        data = pd.DataFrame(rng.normal(size=(300, 3)), columns=list("abc"))
        data.iloc[:120, 2] = 0.5  # constant in the windows starting at rows 0..20
        with pytest.warns(DataWarning, match="21 of 201 windows"):
            roll = rolling_connectedness(data, lags=1, horizon=10, window=100)
        assert roll.total.iloc[:21].isna().all() and roll.total.iloc[21:].notna().all()

    @pytest.mark.parametrize(
        ("kwargs", "argument"),
        [({"window": 10}, "window"), ({"window": 5000}, "window"), ({"step": 0}, "step")],
        ids=["window-short", "window-long", "step-zero"],
    )
    def test_bad_rolling(self, dy2012: pd.DataFrame, kwargs: dict, argument: str) -> None:
        args = {"lags": 2, "horizon": 10, "window": 200, "step": 1, **kwargs}
        with pytest.raises(InputError) as err:
            rolling_connectedness(dy2012, **args)
        assert err.value.argument == argument


class TestCli:
    def test_table_pairwise_rolling(self, tmp_path: Path) -> None:
        out = tmp_path / "conn"
        args = ["spillover", "connectedness", "--returns", str(DY2012), "--lags", "4"]
        args += ["--horizon", "10", "--window", "200", "--step", "50", "--out", str(out)]
        assert run(args) == 0
        names = {p.name for p in out.iterdir()}
        assert names == {
            "table.csv",
            "pairwise.csv",
            "directional.csv",
            "rolling.csv",
            "rolling.png",
            "summary.txt",
            "manifest.json",
        }
        table = pd.read_csv(out / "table.csv", index_col=0)
        assert round(table.loc["SP500", "R_10Y"], 2) == 7.29
        assert round(table.loc["TO incl. own", "FROM"], 2) == 12.59
        assert (out / "rolling.png").read_bytes()[:4] == b"\x89PNG"
        rolling = pd.read_csv(out / "rolling.csv")
        days = pd.read_csv(DY2012, usecols=[0]).iloc[:, 0]
        assert rolling["end"].iloc[-1] == days.iloc[-1] == "2010-01-29"
        assert rolling["end"].iloc[0] == days.iloc[(2771 - 200) % 50 + 199]
        assert len(rolling) == len(range((2771 - 200) % 50, 2771 - 200 + 1, 50))

    def test_json(self, capsys: pytest.CaptureFixture[str]) -> None:
        args = ["--json", "spillover", "connectedness", "--returns", str(DY2012), "--lags", "4"]
        assert run(args) == 0
        doc = json.loads(capsys.readouterr().out)
        assert round(doc["total"], 2) == 12.59
        assert doc["table"][0]["receiver"] == "SP500"
        assert round(doc["table"][0]["FROM"], 2) == 11.24

    @pytest.mark.parametrize(
        ("extra", "message"),
        [
            (["--lags", "0"], "--lags=0"),
            (["--window", "3"], "--window=3"),
            (["--step", "0", "--window", "200"], "--step=0"),
            (["--symbols", "^GSPC,^N225"], "--returns/--symbols"),
            (["--start", "2001-01-01"], "--start/--end"),
        ],
        ids=["lags", "window", "step", "both-inputs", "start-with-file"],
    )
    def test_errors_name_flags(
        self, extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        args = ["spillover", "connectedness", "--returns", str(DY2012), *extra]
        assert run(args) == 2
        assert message in capsys.readouterr().err

    def test_out_is_a_file(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        bad = tmp_path / "file"
        bad.write_text("x")
        args = ["spillover", "connectedness", "--returns", str(DY2012), "--out", str(bad)]
        assert run(args) == 2
        assert "--out" in capsys.readouterr().err


@pytest.mark.shared
def test_store_symbols_new_york_and_tokyo(shared_store, tmp_path: Path, capsys) -> None:
    """Symbols on New York and Tokyo: rows on Tokyo sessions, New York known before the open."""
    from ipposaki.crossmarket import align_sessions
    from ipposaki.panel import build_panel
    from ipposaki.spillover.connectedness import connectedness_returns

    data, info = connectedness_returns(shared_store, ["^GSPC", "^N225"], "2024-01-04", "2024-12-30")
    assert "non-synchronous" in info["alignment"]
    assert list(data.columns) == ["^GSPC", "^N225"]
    align = align_sessions("XNYS", "XTKS", "2024-01-04", "2024-12-30")
    ny = build_panel(shared_store, "XNYS", ["^GSPC"], "2023-12-01", "2024-12-30").returns
    # 2024-08-05 in Tokyo follows New York's Friday 2024-08-02.
    assert align.loc["2024-08-05", "source_session"] == pd.Timestamp("2024-08-02")
    assert data.loc["2024-08-05", "^GSPC"] == pytest.approx(ny.loc["2024-08-02", "^GSPC"])
    out = tmp_path / "nyt"
    args = ["spillover", "connectedness", "--store", str(shared_store.path)]
    args += ["--symbols", "^GSPC,^N225", "--start", "2024-01-04", "--end", "2024-12-30"]
    args += ["--lags", "1", "--out", str(out)]
    assert run(args) == 0
    text = capsys.readouterr().out
    assert "non-synchronous" in text
    assert (out / "table.csv").is_file()


def test_docs_page_runs_and_prints_its_table(monkeypatch, capsys) -> None:
    """docs/spillover.md: its Python blocks run from the repository root and print its table."""
    import re

    repo = Path(__file__).resolve().parents[1]
    text = (repo / "docs" / "spillover.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    shown = re.findall(r"```text\n(.*?)```", text, flags=re.S)
    assert len(blocks) == 2 and len(shown) == 1
    monkeypatch.chdir(repo)
    namespace: dict[str, object] = {}
    exec(compile(blocks[0], "spillover.md", "exec"), namespace)
    printed = capsys.readouterr().out
    assert [line.rstrip() for line in printed.splitlines()] == shown[0].splitlines()
    exec(compile(blocks[1], "spillover.md", "exec"), namespace)
    assert "Rolling connectedness: VAR(4)" in capsys.readouterr().out
