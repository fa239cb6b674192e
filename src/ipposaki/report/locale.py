"""Report labels, prose and number formats per language, from ``locales/*.toml``."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Any

import pandas as pd

from ipposaki.errors import InputError

__all__ = ["LANGS", "Locale", "load_locale"]

LANGS = ("en", "ja")


@dataclass(frozen=True)
class Locale:
    """One language's strings and formats."""

    lang: str
    strings: dict[str, Any]
    context: dict[str, str] = field(default_factory=dict)

    def bind(self, **values: str) -> Locale:
        """This locale with ``values`` filled into every string that names them (e.g. the
        event's title and sessions), besides what each :meth:`t` call passes."""
        return replace(self, context={**self.context, **values})

    def t(self, key: str, **values: object) -> str:
        """The string at dotted ``key`` (e.g. ``"study.title"``), with ``values`` filled in."""
        node: Any = self.strings
        for part in key.split("."):
            node = node[part]
        merged = {**self.context, **values}
        return str(node).format(**merged) if "{" in str(node) else str(node)

    def pct(self, x: Any, digits: int = 2) -> str:
        """A signed percentage with a true minus sign, e.g. ``−16.97%``."""
        if pd.isna(x):
            return "–"
        text = f"{100 * float(x):+.{digits}f}%"
        return text.replace("-", "\u2212")

    def num(self, x: Any, digits: int = 3) -> str:
        """A plain number, grouped by thousands."""
        return "–" if pd.isna(x) else f"{float(x):,.{digits}f}".replace("-", "\u2212")

    def date(self, day: object) -> str:
        """A date in the language's format (``27 Jan 2025`` / ``2025年01月27日``)."""
        return pd.Timestamp(day).strftime(self.t("date_format"))  # type: ignore[arg-type]


def load_locale(lang: str) -> Locale:
    """Load the locale ``lang`` (``en`` or ``ja``).

    Raises
    ------
    InputError
        For a language without a locale file.
    """
    if lang not in LANGS:
        raise InputError("--lang", lang, f"one of {', '.join(LANGS)}")
    text = resources.files("ipposaki.report").joinpath("locales", f"{lang}.toml").read_text("utf-8")
    return Locale(lang, tomllib.loads(text))
