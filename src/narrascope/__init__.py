"""narrascope: who says what about whom in the news, how, and where it spreads."""

__version__ = "0.1.0"

from .document import Document, Label, Segment, Span  # noqa: E402
from .errors import ConfigError, FetchError, InputError, ModelError, NarrascopeError, StoreError  # noqa: E402
from .api import Corpus, analyze_text  # noqa: E402

__all__ = [
    "Document", "Span", "Segment", "Label", "analyze_text", "Corpus",
    "NarrascopeError", "InputError", "FetchError", "ModelError", "StoreError", "ConfigError", "__version__",
]
