"""Cross-market timing: event sessions per exchange and session alignment across time zones."""

from ipposaki.crossmarket.alignment import align_sessions, aligned_session
from ipposaki.crossmarket.timing import event_sessions, parse_timestamp

__all__ = ["align_sessions", "aligned_session", "event_sessions", "parse_timestamp"]
