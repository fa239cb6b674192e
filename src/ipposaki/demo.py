"""The demo job, kept here for existing imports: see :mod:`ipposaki.shock`."""

from ipposaki.shock.demo import DEEPSEEK_BASKETS, DemoResult, deepseek_spec, resolve_data, run_demo
from ipposaki.shock.sessions import ShockSession, shock_sessions

__all__ = [
    "DEEPSEEK_BASKETS",
    "DemoResult",
    "ShockSession",
    "deepseek_spec",
    "resolve_data",
    "run_demo",
    "shock_sessions",
]
