"""Benchmark the scenario engine (issues #6, #14): 100,000 Monte Carlo draws in under a second.

Times (best of 3) the draws and the vectorised model, then the full summary (quantiles, tornado,
Sobol) for: the export-control scenario with 20 firms (each with its own distributions), and the power scenario over 12 years.

Reproduce::

    .venv/bin/python benchmarks/bench_scenario.py
"""

from __future__ import annotations

import time
import tomllib
from pathlib import Path

import numpy as np

from ipposaki.scenario import export_controls, power

ROOT = Path(__file__).resolve().parents[1]
DRAWS = 100_000


def best(fn, repeat: int = 3) -> float:  # type: ignore[no-untyped-def]
    """Best wall time of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    """Run both scenarios at 100,000 draws."""
    firms = [f"F{i:02d}" for i in range(20)]
    spec = tomllib.loads((ROOT / "examples" / "export_controls.toml").read_text())
    # Every firm with its own uncertain China share, share at risk, leverage and reaction:
    # 4 x 20 per-firm inputs and the 3 common ones (83 uncertain inputs).
    ec = {
        "scenario": {"firms": firms, "draws": DRAWS, "seed": 1},
        "inputs": spec["inputs"],
        "firms": {
            f: {
                "china_share": {"dist": "uniform", "low": 0.1, "high": 0.5, "source": "benchmark"},
                "at_risk": {"dist": "pert", "min": 0.05, "mode": 0.2, "max": 0.5, "source": "b"},
                "operating_leverage": {
                    "dist": "pert",
                    "min": 1.2,
                    "mode": 2,
                    "max": 3,
                    "source": "b",
                },
                "reaction": {"dist": "normal", "mean": -0.02, "sd": 0.02, "source": "benchmark"},
            }
            for f in firms
        },
    }
    pw = tomllib.loads((ROOT / "examples" / "power.toml").read_text())
    pw["scenario"]["draws"] = DRAWS
    t_ec = best(lambda: export_controls(ec))
    t_pw = best(lambda: power(pw))
    res = power(pw)
    q = res.quantiles.query("output == 'twh' and label == '2035'").iloc[0]
    print(f"{DRAWS:,} draws, full summary (quantiles, tornado, Sobol), best of 3:")
    print(f"  export controls, 20 firms : {t_ec:6.3f} s")
    print(f"  power, 12 years           : {t_pw:6.3f} s  (2035 median {q['q50']:.0f} TWh)")
    rng = np.random.default_rng(0)
    x = rng.random((DRAWS, 20))
    t_raw = best(lambda: np.quantile(x * 2.0, [0.05, 0.5, 0.95], axis=0))
    print(f"  (numpy quantiles of a 100,000 x 20 array alone: {t_raw:.3f} s)")


if __name__ == "__main__":
    main()
