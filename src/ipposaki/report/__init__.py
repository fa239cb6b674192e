"""The bilingual report: HTML (self-contained, plotly), Markdown, PNG charts and CSVs."""

from ipposaki.report.locale import LANGS, Locale, load_locale
from ipposaki.report.render import ReportFiles, write_report

__all__ = ["LANGS", "Locale", "ReportFiles", "load_locale", "write_report"]
