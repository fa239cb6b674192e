"""The event-study engine: normal-return models, AR/CAR/BHAR, the test battery, results.

The names below load on first use, so that reading :mod:`ipposaki.study.settings` (the command
line does, for its defaults) does not import the engine.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_LAZY: dict[str, str] = {
    "DEFAULT_CAR_WINDOWS": "ipposaki.study.engine",
    "MISSING_POLICY": "ipposaki.study.engine",
    "run_study": "ipposaki.study.engine",
    "MODELS": "ipposaki.study.models",
    "adjust_pvalues": "ipposaki.study.multitest",
    "EventStudyResult": "ipposaki.study.results",
    "Inference": "ipposaki.study.results",
    "StudyParameters": "ipposaki.study.results",
    "DEFAULTS": "ipposaki.study.settings",
    "StudySettings": "ipposaki.study.settings",
    "TEST_NAMES": "ipposaki.study.statistics",
    "TestResult": "ipposaki.study.statistics",
    "Window": "ipposaki.study.windows",
    "parse_window": "ipposaki.study.windows",
}

__all__ = [
    "DEFAULTS",
    "DEFAULT_CAR_WINDOWS",
    "MISSING_POLICY",
    "MODELS",
    "TEST_NAMES",
    "EventStudyResult",
    "Inference",
    "StudyParameters",
    "StudySettings",
    "TestResult",
    "Window",
    "adjust_pvalues",
    "parse_window",
    "run_study",
]

if TYPE_CHECKING:
    from ipposaki.study.engine import DEFAULT_CAR_WINDOWS, MISSING_POLICY, run_study
    from ipposaki.study.models import MODELS
    from ipposaki.study.multitest import adjust_pvalues
    from ipposaki.study.results import EventStudyResult, Inference, StudyParameters
    from ipposaki.study.settings import DEFAULTS, StudySettings
    from ipposaki.study.statistics import TEST_NAMES, TestResult
    from ipposaki.study.windows import Window, parse_window


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ipposaki.study' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
