"""Export controls (issue #14): exposures, the firm-specific model by hand, the bound at -100%,
the Nikkei points, reactions on each exchange's day 0, and clustered errors checked against
statsmodels (CR1) and against a CR2 written out here from its definition."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import linalg

from conftest import REPO
from ipposaki.errors import InputError
from ipposaki.scenario import Input, Output, simulate
from ipposaki.scenario.clustered import clustered_ols
from ipposaki.scenario.export_controls import export_controls
from ipposaki.scenario.exposures import read_exposures
from ipposaki.scenario.montecarlo import _quantiles

JAPANESE = {
    "8035.T": ("Tokyo Electron", "東京エレクトロン"),
    "6857.T": ("Advantest", "アドバンテスト"),
    "7735.T": ("SCREEN Holdings", "SCREENホールディングス"),
    "6525.T": ("Kokusai Electric", "KOKUSAI ELECTRIC（国際電気）"),
    "6146.T": ("Disco", "ディスコ"),
    "6920.T": ("Lasertec", "レーザーテック"),
}


# -- exposures ---------------------------------------------------------------------------------


def test_shipped_exposures_are_the_example_file() -> None:
    shipped = REPO / "src" / "ipposaki" / "data" / "exposures.csv"
    assert shipped.read_bytes() == (REPO / "examples" / "exposures.csv").read_bytes()


def test_exposures_name_the_six_japanese_makers_and_grade_every_share() -> None:
    table = read_exposures().table.set_index("symbol")
    for sym, (en, ja) in JAPANESE.items():
        assert (table.loc[sym, "name"], table.loc[sym, "name_ja"]) == (en, ja)
    # FACTS.md section 1: the sourced numbers and their grade.
    assert table.loc["8035.T", "china_share"] == 0.44 and table.loc["8035.T", "status"] == "press"
    assert table.loc["ASML", "china_share"] == 0.263 and table.loc["ASML", "status"] == "filing"
    assert table.loc["AMAT", "status"] == "secondary" and table.loc["LRCX", "status"] == "secondary"
    # No sourced share for Disco, Lasertec or KLA: ranges marked as guesses.
    for sym in ("6146.T", "6920.T", "KLAC"):
        assert table.loc[sym, "status"] == "guess" and table.loc[sym, "distribution"].startswith(
            "uniform"
        )
    shares = read_exposures().shares
    assert shares["6146.T"] is not None and shares["6146.T"].is_guess
    assert shares["8035.T"] is not None and not shares["8035.T"].is_guess


def test_exposures_from_toml_with_a_distribution(tmp_path: Path) -> None:
    path = tmp_path / "exp.toml"
    path.write_text(
        '[[firms]]\nsymbol = "6146.T"\nname = "Disco"\nperiod = "FY2024"\nstatus = "guess"\n'
        'source = "my reading"\nchina_share = { dist = "pert", min = 0.2, mode = 0.3, max = 0.4 }\n',
        encoding="utf-8",
    )
    exp = read_exposures(path)
    row = exp.table.iloc[0]
    assert row["china_share"] == pytest.approx(0.3)  # symmetric PERT: median = mode
    assert (row["china_share_low"], row["china_share_high"]) == (0.2, 0.4)
    assert row["name_ja"] == "Disco"  # no Japanese name given: the English one
    share = exp.shares["6146.T"]
    assert share is not None and share.dist == "pert" and share.is_guess


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "symbol,name,china_share,period,status,source\nX,x,0.4,2024,rumour,s\n",
            "line 2: status='rumour' is not allowed: expected one of filing, company, press",
        ),
        (
            "symbol,name,china_share,period,status,source\nX,x,1.4,2024,press,s\n",
            "line 2: china_share=1.4 is not allowed: expected a share between 0 and 1",
        ),
        (
            "symbol,name,china_share,period,status,source\nX,x,0.4,2024,press,\n",
            "line 2: source=None is not allowed: expected a source for every firm",
        ),
        (
            "symbol,name,china_share,period,status,source\nX,x,0.4,2024,press,s\nX,x,0.3,2024,press,s\n",
            "line 3: symbol='X' is not allowed: expected each firm once",
        ),
        ("symbol,name,period,status,source\nX,x,2024,press,s\n", "expected a column 'china_share'"),
    ],
)
def test_bad_exposure_tables_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "exp.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_exposures(path)
    assert message in str(err.value)


# -- the model by hand -------------------------------------------------------------------------


def _doc(**inputs: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "severity": 2.0,
        "duration_years": 3,
        "valuation_years": 15,
        "at_risk": 0.2,
        "operating_leverage": 2.0,
    }
    base.update(inputs)
    return {
        "scenario": {"firms": ["8035.T", "6146.T"], "draws": 200, "seed": 1},
        "inputs": base,
        "firms": {
            "8035.T": {"reaction": -0.03},
            "6146.T": {
                "china_share": {"dist": "fixed", "value": 0.3},
                "at_risk": 0.5,
                "operating_leverage": 1.5,
                "reaction": -0.01,
            },
        },
    }


def test_export_controls_by_hand() -> None:
    res = export_controls(_doc())
    q = res.quantiles.set_index(["output", "label"])["q50"]
    # TEL: share 0.44 (shipped, FY3/2024); lost = min(1, 0.2 x 2) = 0.4; revenue -0.176;
    # profit x 2 = -0.352; price x 3/15 = -0.0704; market -0.03 x 2 = -0.06.
    assert q[("revenue_impact", "8035.T")] == pytest.approx(-0.176, rel=1e-12)
    assert q[("op_profit_impact", "8035.T")] == pytest.approx(-0.352, rel=1e-12)
    assert q[("price_impact_fundamental", "8035.T")] == pytest.approx(-0.0704, rel=1e-12)
    assert q[("price_impact_market", "8035.T")] == pytest.approx(-0.06, rel=1e-12)
    # Disco, its own inputs: lost = min(1, 0.5 x 2) = 1; revenue -0.3; profit -0.45.
    assert q[("revenue_impact", "6146.T")] == pytest.approx(-0.3, rel=1e-12)
    assert q[("op_profit_impact", "6146.T")] == pytest.approx(-0.45, rel=1e-12)
    assert q[("price_impact_market", "6146.T")] == pytest.approx(-0.02, rel=1e-12)
    exposures = res.extra["exposures"].set_index("symbol")
    assert exposures.loc["6146.T", "from_spec"] and exposures.loc["6146.T", "china_share"] == 0.3


def test_operating_profit_is_bounded_at_minus_100_percent() -> None:
    # TEL: revenue -0.44 x min(1, 0.9 x 2) = -0.44; x leverage 4 = -1.76, bounded at -1.
    res = export_controls(_doc(at_risk=0.9, operating_leverage=4.0))
    q = res.quantiles.set_index(["output", "label"])
    assert q.loc[("op_profit_impact", "8035.T"), "q50"] == -1.0
    assert q.loc[("price_impact_fundamental", "8035.T"), "q50"] == pytest.approx(-0.2)
    wide = export_controls(
        _doc(
            at_risk={"dist": "uniform", "low": 0.0, "high": 1.0, "source": "t"},
            operating_leverage={"dist": "uniform", "low": 1.0, "high": 6.0, "source": "t"},
        )
    )
    assert (wide.quantiles["q05"] >= -1.0).all()


def test_firms_move_together_through_severity() -> None:
    doc = _doc(severity={"dist": "uniform", "low": 0.5, "high": 2.0, "source": "t"})
    res = export_controls(doc)
    s1 = res.sobol.query("output == 'price_impact_market'").set_index(["label", "input"])["s1"]
    # The reactions are fixed, so severity explains every firm's market path.
    assert s1[("8035.T", "severity")] == pytest.approx(1.0, abs=0.05)
    assert s1[("6146.T", "severity")] == pytest.approx(1.0, abs=0.05)
    # A firm's own inputs appear for that firm only.
    assert set(res.sobol.loc[res.sobol["input"] == "severity", "label"]) == {"8035.T", "6146.T"}


def test_nikkei_points_by_hand() -> None:
    doc = _doc()
    doc["nikkei"] = {"level": 40000.0, "weights": {"8035.T": 0.1}, "source": "test weights"}
    q = export_controls(doc).quantiles.set_index(["output", "label"])["q50"]
    assert q[("nikkei_points_fundamental", "8035.T")] == pytest.approx(40000 * 0.1 * -0.0704)
    assert q[("nikkei_points_market", "total")] == pytest.approx(40000 * 0.1 * -0.06)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["scenario"].update(firms=["ZZZZ"]) or d.pop("firms"),
            "firms.ZZZZ.china_share=None is not allowed: expected a China share for ZZZZ",
        ),
        (
            lambda d: d["firms"]["8035.T"].pop("reaction"),
            "firms.8035.T.reaction=None is not allowed",
        ),
        (
            lambda d: d["firms"]["8035.T"].update(beta=1),
            "firms.8035.T.beta=1 is not allowed: expected one of china_share",
        ),
        (
            lambda d: d.update(nikkei={"level": 40000.0, "weights": {"8035.T": 0.1}}),
            "nikkei.source=None is not allowed",
        ),
    ],
)
def test_spec_errors_name_the_key(change: Any, message: str) -> None:
    doc = copy.deepcopy(_doc())
    change(doc)
    with pytest.raises(InputError) as err:
        export_controls(doc)
    assert str(err.value).startswith(message)


# -- Monte Carlo helpers -----------------------------------------------------------------------


def test_partial_sort_quantiles_equal_numpy() -> None:
    rng = np.random.default_rng(4)
    y = rng.standard_normal((1001, 4))
    y[::7, 2] = np.nan
    qs = (0.05, 0.25, 0.5, 0.75, 0.95)
    np.testing.assert_allclose(_quantiles(y, qs), np.nanquantile(y, qs, axis=0), rtol=1e-14)


def test_scoped_inputs_are_reported_for_their_own_label() -> None:
    inputs = {
        "a": Input("a", "uniform", {"low": 0.0, "high": 1.0}, "t"),
        "b": Input("b", "uniform", {"low": 0.0, "high": 1.0}, "t"),
    }

    def model(x: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {"y": np.column_stack([x["a"], x["b"]])}

    res = simulate("s", inputs, model, {"y": Output("u", ("A", "B"))}, 20_000, 1, scope={"a": "A"})
    rows = res.sobol.set_index(["input", "label"])["s1"]
    assert list(rows.loc["a"].index) == ["A"] and rows[("a", "A")] == pytest.approx(1, abs=0.01)
    assert set(rows.loc["b"].index) == {"A", "B"}


# -- clustered errors --------------------------------------------------------------------------


def _cr2_by_definition(
    y: np.ndarray, x: np.ndarray, groups: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """CR2 standard errors and Bell–McCaffrey degrees of freedom, written out from their
    definitions with n x n matrices: V_j = e' Q_j e with Q_j = sum_g a_g a_g', a_g the vector
    (zero outside cluster g) of A_g X_g (X'X)^-1 e_j, A_g = (I - H_gg)^(-1/2) by scipy's sqrtm;
    df_j the Satterthwaite value 2 E[V]^2 / Var[V] = tr(MQM)^2 / tr((MQM)^2) under iid errors
    (Bell and McCaffrey 2002)."""
    n, k = x.shape
    bread = np.linalg.inv(x.T @ x)
    hat = x @ bread @ x.T
    m = np.eye(n) - hat
    e = m @ y
    se, df = np.empty(k), np.empty(k)
    for j in range(k):
        q = np.zeros((n, n))
        for g in np.unique(groups):
            rows = groups == g
            a = np.real(linalg.inv(linalg.sqrtm(np.eye(rows.sum()) - hat[np.ix_(rows, rows)])))
            vec = np.zeros(n)
            vec[rows] = a @ x[rows] @ bread[:, j]
            q += np.outer(vec, vec)
        se[j] = np.sqrt(e @ q @ e)
        mqm = m @ q @ m
        df[j] = np.trace(mqm) ** 2 / np.trace(mqm @ mqm)
    return se, df


def _synthetic(seed: int = 0, clusters: int = 4) -> tuple[np.ndarray, pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    sizes = rng.integers(3, 8, clusters)
    groups = np.repeat(np.arange(clusters), sizes)
    share = rng.uniform(0.2, 0.5, len(groups))
    shock = rng.normal(0, 0.03, clusters)[groups]
    y = 0.01 - 0.05 * share + shock + rng.normal(0, 0.02, len(groups))
    return y, pd.DataFrame({"const": 1.0, "china_share": share}), groups


def test_cr1_equals_statsmodels_cluster() -> None:
    y, x, groups = _synthetic()
    ours = clustered_ols(y, x, groups, "CR1").params
    ref = sm.OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": groups})
    np.testing.assert_allclose(ours["coef"], ref.params, rtol=1e-12)
    np.testing.assert_allclose(ours["std_err"], ref.bse, rtol=1e-10)
    assert (ours["df"] == 3).all()  # G - 1


def test_cr2_and_bell_mccaffrey_df_equal_their_definitions() -> None:
    y, x, groups = _synthetic(seed=2, clusters=3)
    ours = clustered_ols(y, x, groups, "CR2").params
    se, df = _cr2_by_definition(y, x.to_numpy(), groups)
    np.testing.assert_allclose(ours["std_err"], se, rtol=1e-9)
    np.testing.assert_allclose(ours["df"], df, rtol=1e-9)


def test_cr2_of_a_mean_with_equal_clusters() -> None:
    # Intercept only, G clusters of m: H_gg = J/n, so A_g 1 = (1 - m/n)^(-1/2) 1 and
    # V = G/(G-1) sum_g (sum of e_g)^2 / n^2; the Bell–McCaffrey df is exactly G - 1.
    rng = np.random.default_rng(7)
    groups = np.repeat(np.arange(5), 4)
    y = rng.normal(size=20)
    e = y - y.mean()
    sums = np.array([e[groups == g].sum() for g in range(5)])
    fit = clustered_ols(y, pd.DataFrame({"const": np.ones(20)}), groups, "CR2").params
    assert fit.loc["const", "std_err"] == pytest.approx(
        np.sqrt(5 / 4 * (sums**2).sum() / 400), rel=1e-12
    )
    assert fit.loc["const", "df"] == pytest.approx(4.0, rel=1e-10)


def test_clustered_ols_refuses_one_cluster() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        clustered_ols([1.0, 2.0], pd.DataFrame({"const": [1.0, 1.0]}), ["a", "a"])


# -- on the real prices ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def calibration(shared_store: Any) -> Any:
    from ipposaki.scenario.calibration import calibrate

    firms = [*JAPANESE, "ASML", "AMAT", "LRCX", "KLAC"]
    return calibrate(shared_store, firms)


def test_tel_reacts_to_the_us_rules_of_2022_10_07_on_tokyos_2022_10_11(calibration: Any) -> None:
    rx = calibration.reactions.set_index(["event_id", "symbol"])
    tel = rx.loc[("us_ec_2022_10_07", "8035.T")]
    assert (tel["exchange"], tel["day0"], tel["country"]) == ("XTKS", "2022-10-11", "US")
    assert tel["announced"] == "2022-10-07T12:00-04:00" and tel["name_ja"] == "東京エレクトロン"
    assert rx.loc[("us_ec_2022_10_07", "AMAT"), "day0"] == "2022-10-07"
    # Raw return on day 0 from the shared closes of 2022-10-07 and 2022-10-11.
    closes = pd.read_csv(REPO.parent / "shared" / "data" / "prices" / "daily.csv")
    tel_px = closes.loc[closes["symbol"] == "8035.T"].set_index("date")["close"]
    assert tel["ret_day0"] == pytest.approx(
        tel_px["2022-10-11"] / tel_px["2022-10-07"] - 1, rel=1e-9
    )
    # Kokusai listed in October 2023: no estimation window for the 2022 rules, and the row says so.
    kokusai = rx.loc[("us_ec_2022_10_07", "6525.T")]
    assert np.isnan(kokusai["car"]) and "estimation window" in kokusai["note"]
    assert set(calibration.reactions["country"]) == {"US", "JP"}


def test_calibration_clusters_by_announcement(calibration: Any) -> None:
    table = calibration.table
    assert set(table["cov_type"]) == {"CR2", "CR1"} and set(table["country"]) == {"US", "JP"}
    us = calibration.reactions.query("country == 'US'").dropna(subset=["car", "china_share"])
    ref = sm.OLS(us["car"], sm.add_constant(us["china_share"])).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(us["event_id"])[0]}
    )
    cr1 = table.query("country == 'US' and cov_type == 'CR1'").set_index("term")
    assert cr1.loc["china_share", "coef"] == pytest.approx(ref.params["china_share"], rel=1e-10)
    assert cr1.loc["china_share", "std_err"] == pytest.approx(ref.bse["china_share"], rel=1e-10)
    se, df = _cr2_by_definition(
        us["car"].to_numpy(),
        sm.add_constant(us["china_share"]).to_numpy(),
        us["event_id"].to_numpy(),
    )
    assert calibration.se == pytest.approx(se[1], rel=1e-9)
    assert calibration.df == pytest.approx(df[1], rel=1e-9)
    assert calibration.clusters == 3 and calibration.nobs == len(us)
    # Guessed shares never identify the slope.
    assert us["symbol"].isin(["6146.T", "6920.T", "KLAC"]).sum() == 0
    if not calibration.identified:
        assert "each firm's average reaction" in table.query("country == 'US'")["verdict"].iloc[0]
        fr = calibration.firm_reactions.set_index("symbol")
        tel = calibration.reactions.query("country == 'US' and symbol == '8035.T'")["car"]
        assert fr.loc["8035.T", "mean"] == pytest.approx(tel.mean(), rel=1e-12)


def test_cli_writes_the_four_tables(shared_store: Any, tmp_path: Path) -> None:
    from ipposaki.cli.main import run

    spec = str(REPO / "examples" / "export_controls.toml")
    out = tmp_path / "ec"
    assert (
        run(
            [
                "scenario",
                "export-controls",
                spec,
                "--store",
                str(shared_store.path),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    exposures = pd.read_csv(out / "exposures.csv").set_index("symbol")
    for sym, (en, ja) in JAPANESE.items():
        assert (exposures.loc[sym, "name"], exposures.loc[sym, "name_ja"]) == (en, ja)
    quantiles = pd.read_csv(out / "quantiles.csv")
    outputs = {
        "revenue_impact",
        "op_profit_impact",
        "price_impact_fundamental",
        "price_impact_market",
    }
    assert set(quantiles["output"]) == outputs
    assert set(quantiles["label"]) >= set(JAPANESE)
    reactions = pd.read_csv(out / "reactions.csv")
    columns = [
        "event_id",
        "country",
        "announced",
        "exchange",
        "day0",
        "symbol",
        "name",
        "car",
        "car_std_err",
        "ret_day0",
    ]
    assert set(columns) <= set(reactions.columns)
    calibration = pd.read_csv(out / "calibration.csv")
    assert "cov_type" in calibration and set(calibration["cov_type"]) == {"CR2", "CR1"}


def test_a_store_without_the_firms_prices_is_a_named_error(store: Any) -> None:
    from ipposaki.scenario import export_controls_spec

    with pytest.raises(InputError, match="a store holding the firms' prices"):
        export_controls_spec(REPO / "examples" / "export_controls.toml", store)


def test_wild_cluster_bootstrap_equals_a_loop_over_every_webb_vector() -> None:
    import itertools

    from ipposaki.scenario.clustered import wild_cluster_p

    y, x, groups = _synthetic(seed=3, clusters=3)
    # Restricted fit (slope = 0), then every one of the 6^3 Webb weight vectors, each refitted
    # by statsmodels with CR1 (cluster) errors.
    webb = [-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)]
    restricted = sm.OLS(y, x[["const"]]).fit()
    t_obs = abs(
        sm.OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": groups}).tvalues["china_share"]
    )
    hits = 0
    vectors = list(itertools.product(webb, repeat=3))
    for w in vectors:
        ystar = restricted.fittedvalues + np.asarray(w)[groups] * restricted.resid
        fit = sm.OLS(ystar, x).fit(cov_type="cluster", cov_kwds={"groups": groups})
        hits += abs(fit.tvalues["china_share"]) >= t_obs - 1e-12
    assert wild_cluster_p(y, x, groups, "china_share") == pytest.approx(hits / len(vectors))


def test_a_calibration_on_given_reactions_is_a_read_only_result(tmp_path: Path) -> None:
    from ipposaki.scenario.calibration import CALIBRATION_EVENTS, calibrate_reactions

    rng = np.random.default_rng(5)
    firms = {"8035.T": "XTKS", "6857.T": "XTKS", "AMAT": "XNAS", "LRCX": "XNAS"}
    rx = pd.DataFrame(
        [
            {"event_id": e, "country": c, "exchange": x, "symbol": s, "car": rng.normal(0, 0.02)}
            for c, ids in CALIBRATION_EVENTS.items()
            for e in ids
            for s, x in firms.items()
        ]
    )
    cal = calibrate_reactions(rx, list(firms))
    # The CR1 slope is statsmodels' clustered OLS on the same rows.
    us = cal.reactions.query("country == 'US'")
    ref = sm.OLS(us["car"], sm.add_constant(us["china_share"])).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(us["event_id"])[0]}
    )
    cr1 = cal.table.query("country == 'US' and cov_type == 'CR1'").set_index("term")
    assert cr1.loc["china_share", "coef"] == pytest.approx(ref.params["china_share"], rel=1e-10)
    with pytest.raises(TypeError):
        cal.fits["US", "CR2"] = None  # type: ignore[index]
    text = cal.summary.as_text()
    assert text.startswith("Export-control calibration, CAR(0:1): car = const + slope")
    assert f"US rules, CR2: slope {cal.slope:.4f}" in text and "12 firm-events" in text
    assert list(cal.frames()) == ["calibration", "reactions", "firm_reactions"]
    assert dict(cal.manifest["events"]) == {k: tuple(v) for k, v in CALIBRATION_EVENTS.items()}
    assert cal.manifest["identified"] == cal.identified
    doc = {
        "scenario": {"firms": list(firms), "draws": 200, "seed": 1},
        "inputs": {"severity": 1.0, "duration_years": 3, "valuation_years": 15},
        "firms": {s: {"at_risk": 0.2, "operating_leverage": 2.0} for s in firms},
    }
    res = export_controls(doc, cal)
    assert res.extra["calibration"] is cal
    pd.testing.assert_frame_equal(res.frames()["calibration"], cal.table)
    assert res.manifest["calibration"]["window"] == "0:1"
    assert "calibration.csv" in {p.name for p in res.to_dir(tmp_path / "ec")}


def test_a_calibrated_reaction_without_a_standard_error_is_a_named_error() -> None:
    """One past reaction of its own and no other firm's to pool with gave a Normal(mean, NaN)
    input, and the Monte Carlo's binning failed inside numpy (an exposure table of one firm on
    a store of two years; found by a red-team of the CLI)."""
    from ipposaki.scenario.export_controls import _reaction

    row = {"mean": 0.0283, "std_err": float("nan"), "n_events": 1, "basis": "own average"}
    with pytest.raises(InputError, match=r"^firms\.8035\.T\.reaction=None .*no standard error"):
        _reaction("8035.T", {}, row, None)


def test_a_calibration_window_past_the_default_event_window_is_measured(shared_store: Any) -> None:
    """``[calibration] window = "0:40"`` was refused as ``[study].car_windows`` (outside the
    study's default event window -5:10); the reactions' event window now widens to hold it,
    and its CARs are not the 0:1 ones."""
    from ipposaki.scenario.calibration import calibrate

    long = calibrate(shared_store, ["8035.T", "AMAT"], window="0:40").reactions
    short = calibrate(shared_store, ["8035.T", "AMAT"], window="0:1").reactions
    assert set(long["window"]) == {"0:40"} and long["car"].notna().all()
    assert not np.allclose(long["car"].to_numpy(), short["car"].to_numpy())
