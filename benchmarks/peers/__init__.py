"""Drivers that run each peer event-study package on the benchmark data (one venv each)."""
