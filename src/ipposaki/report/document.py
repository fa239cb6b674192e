"""The report as a document model (sections of paragraphs, tables, charts and lists), and its
two renderings: HTML (through the Jinja template, autoescaped) and Markdown (escaped here).

Every user string (a title, a basket or firm name, a data source) reaches both renderings as
text: HTML escapes it through Jinja; Markdown through :func:`md_escape`, so a ``<script>`` in a
spec's title is text in ``report.*.md`` too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = [
    "Cell",
    "Chart",
    "Code",
    "Heading",
    "Items",
    "Para",
    "Section",
    "Table",
    "markdown",
    "md_escape",
]


@dataclass(frozen=True)
class Cell:
    """A table cell: its text and its style (``t`` text, ``n`` number, ``up``, ``down``,
    ``cite`` a citation kept in its own language)."""

    text: str
    cls: str = "n"


@dataclass(frozen=True)
class Para:
    """A paragraph; ``cls`` ``warn`` for a warning; ``links`` are (label, href) after it."""

    text: str
    cls: str = ""
    links: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Code:
    """A paragraph that starts with a label (with its separator, ``: `` or ``：``) and ends
    with literal text (paths, hashes)."""

    label: str
    code: str


@dataclass(frozen=True)
class Items:
    """A list; each item is (text, anchor or "", anchor label)."""

    items: tuple[tuple[str, str, str], ...]
    ordered: bool = False


@dataclass(frozen=True)
class Heading:
    """A third-level heading inside a section."""

    text: str
    id: str = ""
    links: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Table:
    """A table with a header row; ``csv`` names the file behind it."""

    id: str
    head: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    csv: str = ""


@dataclass(frozen=True)
class Chart:
    """A chart: an interactive plotly div in HTML, a PNG in Markdown."""

    id: str
    alt: str
    png: str


Block = Para | Code | Items | Heading | Table | Chart


@dataclass(frozen=True)
class Section:
    """A numbered section of the report."""

    id: str
    title: str
    blocks: tuple[Block, ...] = field(default_factory=tuple)


_MD_SPECIAL = re.compile(r"([\\`*_|~])")
_ENTITY = re.compile(r"&(?=#?\w+;)")
_LINE_START = re.compile(r"^(\s*)([#>+=-])")
_LINE_NUMBER = re.compile(r"^(\s*\d+)([.)])")


def md_escape(text: str, line: bool = False) -> str:
    """Escape ``text`` for Markdown: HTML's ``<``, ``>`` and entity-like ``&`` become entities,
    and Markdown's own characters are backslash-escaped, so the text renders as itself.

    ``line``: the text starts a line (a paragraph), where a leading ``#``, ``>``, ``-`` or
    ``1.`` would be markup too.
    """
    text = _ENTITY.sub("&amp;", str(text))
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text).replace("\n", " ").replace("](", "]\\(")
    if line:
        text = _LINE_START.sub(r"\1\\\2", text)
        text = _LINE_NUMBER.sub(r"\1\\\2", text)
    return text


def _links(links: tuple[tuple[str, str], ...]) -> str:
    return "".join(f" ([{md_escape(label)}]({href}))" for label, href in links)


def markdown(title: str, meta: str, warning: str, sections: list[Section], toc: str) -> str:
    """The report as Markdown."""
    out = [f"# {md_escape(title)}", "", md_escape(meta, line=True), ""]
    if warning:
        out += [f"> {md_escape(warning)}", ""]
    out += [
        f"**{md_escape(toc)}**: "
        + " · ".join(f"[{md_escape(s.title)}](#{s.id})" for s in sections),
        "",
    ]
    for s in sections:
        out += [f'<a id="{s.id}"></a>', "", f"## {md_escape(s.title)}", ""]
        for b in s.blocks:
            out += _md_block(b)
    return "\n".join(out)


def _md_block(b: Block) -> list[str]:
    if isinstance(b, Para):
        text = md_escape(b.text, line=True) + _links(b.links)
        return [f"> {text}" if b.cls == "warn" else text, ""]
    if isinstance(b, Code):
        return [f"{md_escape(b.label, line=True)}`{b.code.replace('`', '')}`", ""]
    if isinstance(b, Heading):
        anchor = f'<a id="{b.id}"></a> ' if b.id else ""
        return [f"### {anchor}{md_escape(b.text)}{_links(b.links)}", ""]
    if isinstance(b, Items):
        lines = []
        for i, (text, anchor, label) in enumerate(b.items, start=1):
            mark = f"{i}." if b.ordered else "-"
            link = f" ([{md_escape(label)}](#{anchor}))" if anchor else ""
            lines.append(f"{mark} {md_escape(text)}{link}")
        return [*lines, ""]
    if isinstance(b, Table):
        head = "| " + " | ".join(md_escape(h) for h in b.head) + " |"
        rows = ["| " + " | ".join(md_escape(c.text) for c in r) + " |" for r in b.rows]
        csv = [f"[CSV]({b.csv})", ""] if b.csv else []
        return [head, "|" + "---|" * len(b.head), *rows, "", *csv]
    return [f"![{md_escape(b.alt)}]({b.png})", ""]
