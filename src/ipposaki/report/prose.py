"""The report's descriptive paragraphs: model, sample, missing data, exclusions, distributions.

Each is written from the result's fields into the locale's sentences, never printed as a repr.
"""

from __future__ import annotations

import re
from typing import Any

from ipposaki.report.content import ReportTables
from ipposaki.report.locale import Locale
from ipposaki.study.settings import DEFAULTS

__all__ = ["distribution_text", "excluded_reason", "missing_text", "model_text", "sample_text"]


def _window(text: str) -> tuple[int, int]:
    a, b = (int(x) for x in str(text).split(":"))
    return a, b


def window_words(text: str, loc: Locale) -> str:
    """A window of sessions in words: ``sessions −1 to +1`` or ``day 0`` /
    ``1取引日前から1取引日後まで`` or ``基準日``."""
    a, b = _window(text)
    if loc.lang == "en":
        return f"sessions {_rel(a)} to {_rel(b)}" if a != b else f"day {_rel(a)}"

    def ja(k: int) -> str:
        return loc.terms["day0"] if k == 0 else f"{abs(k)}取引日{'前' if k < 0 else '後'}"

    if a == b:
        return ja(a)
    return f"{ja(a)}から{ja(b)}まで"


def _rel(k: int) -> str:
    return "0" if k == 0 else f"{k:+d}".replace("-", "\u2212")


def model_text(tables: ReportTables, loc: Locale) -> str:
    """The normal-return model, its windows and the CAR windows, as a sentence or two."""
    params: dict[str, Any] = next(iter(tables.params.values()), {})
    model = str(params.get("model", "market"))
    key = f"model.{model.replace('-', '_')}" if loc.has(f"model.{model.replace('-', '_')}") else ""
    windows = [window_words(w, loc) for w in params.get("car_windows", tables.windows)]
    text = loc.t(
        "model.text",
        model=loc.t(key) if key else model,
        estimation=window_words(
            str(params.get("estimation_window", DEFAULTS.estimation_window)), loc
        ),
        min_obs=params.get("min_estimation_obs", 100),
        event=window_words(str(params.get("event_window", DEFAULTS.event_window)), loc),
        windows=loc.join(windows),
    )
    thin = str(params.get("thin_trading", "none"))
    if thin != "none":
        text += loc.t("model.thin", method=loc.t(f"model.thin_{thin.replace('-', '_')}"))
    return text


def sample_text(tables: ReportTables, loc: Locale) -> str:
    """Per exchange: firms studied and excluded, and the headline panel's span and basis."""
    parts = []
    for exchange, params in tables.params.items():
        excluded = tables.excluded.loc[tables.excluded["exchange"] == exchange]
        parts.append(
            loc.t(
                "sample.study",
                exchange=loc.exchange(exchange),
                pairs=params.get("pairs", 0),
                excluded=len(excluded),
            )
        )
    for exchange, info in tables.shock.panels.items():
        if not info.sessions:
            continue
        parts.append(
            loc.t(
                "sample.panel",
                exchange=loc.exchange(exchange),
                sessions=info.sessions,
                first=loc.date(info.first),
                last=loc.date(info.last),
                symbols=info.symbols,
                adjusted=info.adjusted,
                as_traded=info.as_traded,
                missing=info.missing,
            )
        )
    return loc.t("sample.sep").join(parts) + loc.t("sample.end")


def missing_text(loc: Locale) -> str:
    """The missing-data rule, in words."""
    return loc.t("missing.text")


_REASONS = (
    (
        "few_returns",
        re.compile(
            r"estimation window has (\d+) valid returns, fewer than min_estimation_obs=(\d+)"
        ),
        ("have", "need"),
    ),
    (
        "needs_before",
        re.compile(
            r"(?:estimation|event) window needs (\d+) sessions before day 0, the data has (\d+)"
        ),
        ("need", "have"),
    ),
    (
        "needs_after",
        re.compile(r"event window needs (\d+) sessions after day 0, the data has (-?\d+)"),
        ("need", "have"),
    ),
    ("no_returns", re.compile(r"no returns for symbol (\S+)"), ("symbol",)),
    ("singular", re.compile(r"no fit: the estimation design is singular"), ()),
    ("duplicate", re.compile(r"duplicate of event (\S+)"), ("event",)),
    ("elsewhere", re.compile(r"(\S+) trades on (\S+), not (\S+)"), ("symbol", "home", "exchange")),
)


def excluded_reason(reason: str, loc: Locale) -> str:
    """The engine's reason for leaving a firm out, in ``loc``'s words."""
    for key, pattern, names in _REASONS:
        match = pattern.search(str(reason))
        if match:
            values = dict(zip(names, match.groups(), strict=True))
            if "home" in values:
                values["home"] = loc.exchange(values["home"])
                values["exchange"] = loc.exchange(values["exchange"])
            return loc.t(f"excluded.{key}", **values)
    return loc.t("excluded.other")


_DIST = re.compile(r"^(\w+)\((.*)\)$")


def distribution_text(text: str, loc: Locale) -> str:
    """A distribution such as ``pert(min=0.1, mode=0.3, max=0.7)`` in words."""
    match = _DIST.match(str(text).strip())
    if not match:
        return str(text)
    dist, raw = match.groups()
    params = {}
    for item in raw.split(","):
        if "=" in item:
            k, v = item.split("=", 1)
            params[k.strip()] = v.strip()
    key = f"distribution.{dist}"
    if not loc.has(key):
        return str(text)
    words = {k: _number(v, loc) for k, v in params.items()}
    words.setdefault("lambda", "4")
    return loc.t(key, **words)


def _number(value: str, loc: Locale) -> str:
    try:
        x = float(value)
    except ValueError:
        return value
    if abs(x) >= 1e5:
        return loc.big(x)
    if x.is_integer():  # years and counts as they are
        return str(int(x)).replace("-", "\u2212")
    text = f"{x:.1f}" if abs(x) >= 100 else f"{x:.3g}"  # three significant digits
    return text.replace("-", "\u2212")
