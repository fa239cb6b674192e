"""The event-study engine: normal-return models, AR/CAR/BHAR, the test battery, results."""

from ipposaki.study.engine import DEFAULT_CAR_WINDOWS, MISSING_POLICY, run_study
from ipposaki.study.models import MODELS
from ipposaki.study.multitest import adjust_pvalues
from ipposaki.study.results import EventStudyResult, Inference, StudyParameters
from ipposaki.study.statistics import TEST_NAMES, TestResult
from ipposaki.study.windows import Window, parse_window

__all__ = [
    "DEFAULT_CAR_WINDOWS",
    "MISSING_POLICY",
    "MODELS",
    "TEST_NAMES",
    "EventStudyResult",
    "Inference",
    "StudyParameters",
    "TestResult",
    "Window",
    "adjust_pvalues",
    "parse_window",
    "run_study",
]
