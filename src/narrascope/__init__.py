"""narrascope: who says what about whom in the news, how, and where it spreads."""

import os as _os

__version__ = "0.1.0"

# The matrices of spaCy's NER and of the small heads are tiny: one OpenBLAS thread runs them
# faster than two (spaCy NER 46 -> 38 ms per article on 2 cores). OpenBLAS reads this once,
# when numpy loads; the encoder's threads are set apart (NARRASCOPE_THREADS).
_os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# torch's matrix products go to MKL, which splits a product among its threads by the product's
# shape: on an AVX-512 Xeon a window then encoded differently (~4e-7) alone, batched with other
# texts, or with 1 thread (2 workers) instead of 2. MKL's strict reproducible mode sums the same
# way whatever the shape split and thread count (docs/ENGINES.md). MKL reads this when it loads.
_os.environ.setdefault("MKL_CBWR", "AUTO,STRICT")

from .document import Document, Label, Segment, Span  # noqa: E402
from .errors import ConfigError, FetchError, InputError, ModelError, NarrascopeError, StoreError  # noqa: E402
from .api import Corpus, analyze_text  # noqa: E402

__all__ = [
    "Document", "Span", "Segment", "Label", "analyze_text", "Corpus",
    "NarrascopeError", "InputError", "FetchError", "ModelError", "StoreError", "ConfigError", "__version__",
]
