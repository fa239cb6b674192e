"""Report labels, prose and number formats per language, from ``locales/*.toml``.

Terms come from ``locales/glossary.toml`` (``docs/glossary.md`` is generated from it): a locale
string writes ``{g[caar]}`` for the term, so both editions name a thing the same way everywhere.

Formats: English writes ``27 Jan 2025``, ``09:00 JST (00:00 UTC)``, ``$5.58 million`` and ``37
billion``; Japanese writes ``2025年1月27日``, ``9:00（日本時間、UTC 0:00）``, ``約558万ドル`` and
``370億``. Both write a true minus sign (``−16.97%``).
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from typing import Any

import pandas as pd

from ipposaki.errors import InputError

__all__ = ["LANGS", "Locale", "glossary", "load_locale"]

LANGS = ("en", "ja")
MINUS = "\u2212"
_ZONES = {"XTKS": "Asia/Tokyo", "XNYS": "America/New_York"}
#: Index changes Japanese writes in price units (the Nikkei in yen, the Dow in dollars).
_POINT_UNITS_JA = {"^N225": "円", "^DJI": "ドル"}


@cache
def glossary() -> dict[str, dict[str, str]]:
    """The report's terms: key -> {"en", "ja", "note"} (``locales/glossary.toml``)."""
    text = resources.files("ipposaki.report").joinpath("locales", "glossary.toml")
    return tomllib.loads(text.read_text("utf-8"))


def _signed(text: str) -> str:
    return text.replace("-", MINUS)


def _sig(value: float, digits: int) -> str:
    """``value`` with at most ``digits`` significant digits, no trailing zeros."""
    if value == 0:
        return "0"
    decimals = max(digits - 1 - math.floor(math.log10(abs(value))), 0)
    text = f"{value:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class Locale:
    """One language's strings, terms and formats."""

    lang: str
    strings: dict[str, Any]
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def terms(self) -> dict[str, str]:
        """Glossary key -> the term in this language."""
        return {k: v[self.lang] for k, v in glossary().items()}

    def bind(self, **values: Any) -> Locale:
        """This locale with ``values`` filled into every string that names them (e.g. the
        event's title and sessions), besides what each :meth:`t` call passes."""
        return replace(self, context={**self.context, **values})

    def has(self, key: str) -> bool:
        """Whether the dotted ``key`` exists."""
        node: Any = self.strings
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                return False
            node = node[part]
        return True

    def t(self, key: str, **values: object) -> str:
        """The string at dotted ``key`` (e.g. ``"study.title"``), with ``values`` filled in."""
        node: Any = self.strings
        for part in key.split("."):
            node = node[part]
        text = str(node)
        if "{" not in text:
            return text
        return text.format(**{"g": self.terms, **self.context, **values})

    # -- numbers -------------------------------------------------------------------------------

    def pct(self, x: Any, digits: int = 2, sign: bool = True) -> str:
        """A percentage with a true minus sign, e.g. ``−16.97%`` (``+`` on gains if ``sign``)."""
        if x is None or pd.isna(x):
            return "–"
        fmt = f"{{:{'+' if sign else ''}.{digits}f}}%"
        return _signed(fmt.format(100 * float(x)))

    def num(self, x: Any, digits: int = 3, sign: bool = False) -> str:
        """A number grouped by thousands, e.g. ``39,016.87`` (never ``−0``)."""
        if x is None or pd.isna(x):
            return "–"
        value = round(float(x), digits) + 0.0  # -0.0 + 0.0 is 0.0
        return _signed(f"{value:{'+' if sign and value != 0 else ''},.{digits}f}")

    def pval(self, x: Any) -> str:
        """A p-value: three decimals, ``<0.001`` below that."""
        if x is None or pd.isna(x):
            return "–"
        return "<0.001" if float(x) < 0.0005 else f"{float(x):.3f}"

    def points(self, x: Any, symbol: str) -> str:
        """An index's change: ``−548.93円`` (ja, the Nikkei) or ``−548.93 points`` (en)."""
        if x is None or pd.isna(x):
            return "–"
        value = self.num(x, 2, sign=True)
        if self.lang == "ja":
            return value + _POINT_UNITS_JA.get(symbol, "ポイント")
        return f"{value} points"

    def big(self, x: Any, digits: int = 4) -> str:
        """A large count: ``370億`` / ``37 billion``, ``278.8万`` / ``2.788 million``."""
        if x is None or pd.isna(x):
            return "–"
        x = float(x)
        if abs(x) >= 1e16:  # beyond 兆 / trillion: powers of ten
            exp = math.floor(math.log10(abs(x)))
            sup = str(exp).translate(str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻"))
            return f"{_sig(x / 10**exp, min(digits, 3))}×10{sup}"
        units = (
            ((1e12, "兆"), (1e8, "億"), (1e4, "万"))
            if self.lang == "ja"
            else ((1e12, " trillion"), (1e9, " billion"), (1e6, " million"))
        )
        for size, unit in units:
            if abs(x) >= size:
                return _sig(x / size, digits) + unit
        return _sig(x, digits)

    def usd(self, x: Any) -> str:
        """Dollars, rounded to three significant digits: ``約558万ドル`` / ``about $5.58
        million`` ("about" only when rounding changed the value)."""
        if x is None or pd.isna(x):
            return "–"
        x = float(x)
        text = self.big(x, 3)
        exact = self.big(x, 12) == text
        if self.lang == "ja":
            return ("" if exact else "約") + text + "ドル"
        return ("" if exact else "about ") + "$" + text

    def join(self, items: Sequence[str]) -> str:
        """``a, b and c`` / ``a、b、c``."""
        items = list(items)
        if self.lang == "ja":
            return "、".join(items)
        if len(items) <= 1:
            return "".join(items)
        return ", ".join(items[:-1]) + " and " + items[-1]

    # -- dates and times -----------------------------------------------------------------------

    def date(self, day: object) -> str:
        """``27 Jan 2025`` / ``2025年1月27日``."""
        d = pd.Timestamp(day)  # type: ignore[arg-type]
        if self.lang == "ja":
            return f"{d.year}年{d.month}月{d.day}日"
        return f"{d.day} {d:%b %Y}"

    def short(self, day: object) -> str:
        """``27 Jan`` / ``1月27日``."""
        d = pd.Timestamp(day)  # type: ignore[arg-type]
        return f"{d.month}月{d.day}日" if self.lang == "ja" else f"{d.day} {d:%b}"

    def exchange(self, mic: str) -> str:
        """``Tokyo`` / ``東証``, ``New York`` / ``NY市場``."""
        key = mic.lower()
        return self.terms.get(key, mic)

    def session(self, mic: str, day: object, year: bool = True) -> str:
        """``Tokyo 27 Jan 2025`` / ``東証 2025年1月27日``."""
        when = self.date(day) if year else self.short(day)
        return f"{self.exchange(mic)} {when}"

    def clock(self, stamp: Any, zone: str = "UTC") -> str:
        """The time of day of a UTC timestamp in ``zone``: ``9:00`` (ja) / ``09:00`` (en)."""
        t = pd.Timestamp(stamp)
        t = (t.tz_localize("UTC") if t.tzinfo is None else t).tz_convert(zone)
        return f"{t.hour}:{t:%M}" if self.lang == "ja" else f"{t:%H:%M}"

    def moment(self, stamp: Any, exchange: str = "XTKS", with_date: bool = True) -> str:
        """A moment in the exchange's local time with UTC beside it.

        ``2025年1月27日 9:00（日本時間、UTC 0:00）`` / ``27 Jan 2025 09:00 JST (00:00 UTC)``;
        New York times are in ET (米東部時間).
        """
        t = pd.Timestamp(stamp)
        t = t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")
        zone = _ZONES.get(exchange, "UTC")
        local = t.tz_convert(zone)
        label = self.terms["jst"] if exchange == "XTKS" else self.terms["et"]
        day = (self.date(local) + " ") if with_date else ""
        if self.lang == "ja":
            return f"{day}{self.clock(t, zone)}（{label}、UTC {self.clock(t)}）"
        return f"{day}{self.clock(t, zone)} {label} ({self.clock(t)} UTC)"

    def hours(self, h: float) -> str:
        """A duration in hours: ``3 hours`` / ``3時間``; ``2.5`` keeps its half."""
        text = f"{h:.0f}" if float(h).is_integer() else f"{h:.1f}"
        if self.lang == "ja":
            return f"{text}時間"
        return f"{text} hour" + ("" if text == "1" else "s")


def load_locale(lang: str) -> Locale:
    """Load the locale ``lang`` (``en`` or ``ja``).

    Raises
    ------
    InputError
        For a language without a locale file.
    """
    if lang not in LANGS:
        raise InputError("lang", lang, f"one of {', '.join(LANGS)}")
    text = resources.files("ipposaki.report").joinpath("locales", f"{lang}.toml").read_text("utf-8")
    return Locale(lang, tomllib.loads(text))
