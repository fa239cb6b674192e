"""Write docs/glossary.md from the report's glossary (src/ipposaki/report/locales/glossary.toml).

Reproduce (a test fails when the file is stale)::

    .venv/bin/python scripts/make_glossary.py
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "docs" / "glossary.md"


def render() -> str:
    """The glossary as Markdown: one row per term, English, Japanese and what it means."""
    from ipposaki.report.locale import glossary

    lines = [
        "# Glossary: the report's terms in English and Japanese",
        "",
        "The report's locale files (`src/ipposaki/report/locales/en.toml` and `ja.toml`) take "
        "these terms from `src/ipposaki/report/locales/glossary.toml` (as `{g[key]}`), so both "
        "editions name each thing the same way everywhere. This page is generated from that "
        "file by `scripts/make_glossary.py`; a test checks that it is current.",
        "",
        "Formats of the Japanese edition: dates as 2025年1月27日; times in 日本時間 (Tokyo) or "
        "米東部時間 (New York) with UTC beside them, e.g. 9:00（日本時間、UTC 0:00）; money as "
        "約558万ドル; large counts as 370億 or 14.8兆; the Nikkei 225's and the Dow's changes in "
        "円 and ドル, other indices' in ポイント; gains in red and falls in blue (the English "
        "edition: gains green, falls red).",
        "",
        "| key | English | 日本語 | meaning |",
        "|---|---|---|---|",
    ]
    for key, term in glossary().items():
        lines.append(f"| `{key}` | {term['en']} | {term['ja']} | {term['note']} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    TARGET.write_text(render(), encoding="utf-8")
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
