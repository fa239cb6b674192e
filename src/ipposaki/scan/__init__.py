"""The shock scanner: shock sessions per basket, grouped into cross-exchange episodes."""

from ipposaki.scan.scanner import ScanResult, rolling_sar, scan

__all__ = ["ScanResult", "rolling_sar", "scan"]
