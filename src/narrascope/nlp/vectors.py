"""The ``vectors`` stage: keep a document embedding and paragraph embeddings in the store.

They come from the shared encoder pass (no extra transformer work when a learned
head already ran) and feed the corpus views: story clusters (documents about the
same event) and echoes (passages that travel between outlets).
"""

from __future__ import annotations

from ..document import Document
from ..pipeline import Stage, register_stage
from .encoder import ENCODER_VERSION, encode_documents

MIN_PARAGRAPH_CHARS = 40  # shorter lines (datelines, captions) are not claims worth matching


def document_vectors(doc: Document) -> list[tuple[str, int, int, "object"]]:
    """[(kind, start, end, vector)]: one "document" vector over the main segment, one per paragraph."""
    encoded = doc.cache["encoder"]
    main = doc.main_segment
    start, end = (main.start, main.end) if main else (0, len(doc.text))
    out = [("document", start, end, encoded.pooled(start, end))]
    for s, e in [(p.start, p.end) for p in doc.paragraphs] or _lines(doc.text):
        if e - s >= MIN_PARAGRAPH_CHARS:
            out.append(("paragraph", s, e, encoded.pooled(s, e)))
    return out


def _lines(text: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for line in text.split("\n"):
        if line.strip():
            spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    return spans


@register_stage
class VectorsStage(Stage):
    """Stores embeddings (``doc.cache["vectors"]``, saved by the store) for stories and echoes."""

    name = "vectors"
    version = "1+" + ENCODER_VERSION

    def process(self, batch: list[Document]) -> list[Document]:
        docs = [d for d in batch if d.text.strip()]
        for doc, _ in zip(docs, encode_documents(docs)):
            doc.cache["vectors"] = document_vectors(doc)
        return batch
