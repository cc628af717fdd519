"""The self-contained HTML report: one file, inline CSS and SVG, no network."""

from __future__ import annotations

from .build import build_report, write_report

__all__ = ["build_report", "write_report"]
