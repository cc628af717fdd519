"""narrascope: who says what about whom in the news, how, and where it spreads."""

__version__ = "0.1.0"

from .document import Document, Label, Segment, Span  # noqa: E402
from .errors import ConfigError, FetchError, InputError, ModelError, NarrascopeError, StoreError  # noqa: E402


def analyze_text(text_or_html: str, url: str | None = None, *, outlet: str | None = None, config=None) -> Document:
    """Analyse one article given as plain text or HTML and return its Document."""
    from .api import analyze_text as _analyze_text

    return _analyze_text(text_or_html, url=url, outlet=outlet, config=config)


def Corpus(path: str = "narrascope.duckdb", **kwargs):  # noqa: N802 - public class-like factory
    """Open a corpus stored in a DuckDB file."""
    from .api import Corpus as _Corpus

    return _Corpus(path, **kwargs)


__all__ = [
    "Document", "Span", "Segment", "Label", "analyze_text", "Corpus",
    "NarrascopeError", "InputError", "FetchError", "ModelError", "StoreError", "ConfigError", "__version__",
]
