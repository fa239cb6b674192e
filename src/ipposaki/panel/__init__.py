"""Returns panels aligned on each exchange's own sessions."""

from ipposaki.panel.returns import (
    ReturnKind,
    ReturnsPanel,
    build_panel,
    panel_from_rows,
    returns_from_prices,
)

__all__ = ["ReturnKind", "ReturnsPanel", "build_panel", "panel_from_rows", "returns_from_prices"]
