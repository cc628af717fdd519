"""Options shared by every reader, and the wording of the size limit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import __version__

DEFAULT_USER_AGENT = f"narrascope/{__version__} (+https://github.com/narrascope/narrascope; research crawler)"


@dataclass
class ReadOptions:
    """How sources are read and fetched."""

    # JSONL/CSV: our field -> column name. Fields: text, html, url, title, published, outlet, authors, id.
    field_map: dict[str, str] | None = None
    allow_private: bool = False  # allow fetching private/loopback/link-local addresses
    timeout: float = 20.0  # seconds per URL, redirects included
    max_bytes: int = 20_000_000  # size cap per input (files and downloads)
    user_agent: str = DEFAULT_USER_AGENT
    max_redirects: int = 5
    metadata: Any = None  # a readers.sidecar.Sidecar: a table of title, outlet, date ... per file


def format_size(n: int) -> str:
    """Decimal units, as disk tools and the ``--max-bytes`` default (20 MB) use them."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}".replace(".0 ", " ")
    return f"{n} bytes"


def size_problem(what: str, size: int | None, limit: int) -> str:
    """E.g. "file is 25.3 MB, over the 20 MB limit (raise it with --max-bytes)"."""
    amount = f"is {format_size(size)}, over" if size is not None else "is over"
    return f"{what} {amount} the {format_size(limit)} limit (raise it with --max-bytes)"
