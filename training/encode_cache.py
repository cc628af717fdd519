"""Cache the frozen encoder pass over the training corpus (``.cache/techniques/encoded/<encoder version>``).

    python training/encode_cache.py

The heads train on these embeddings; the encoder itself is never trained, so one
pass is enough. Re-running skips articles already cached.
"""

from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from techniques_data import CACHE, load_corpus  # noqa: E402

from narrascope.nlp.encoder import ENCODER_VERSION, EncodedText, get_encoder  # noqa: E402

# One folder per encoder version: heads must train on what the shipped pass computes.
ENCODED = CACHE / "encoded" / ENCODER_VERSION.replace("/", "_")


def cache_path(text: str) -> Path:
    return ENCODED / (hashlib.sha1(text.encode("utf-8")).hexdigest()[:20] + ".npz")


def load_encoded(text: str) -> EncodedText | None:
    p = cache_path(text)
    if not p.exists():
        return None
    z = np.load(p)
    return EncodedText(z["emb"].astype(np.float32), z["off"], len(text))


def encode_cached(texts: list[str], batch: int = 8) -> list[EncodedText]:
    """Encoded texts, from the cache where present, else computed and stored."""
    ENCODED.mkdir(parents=True, exist_ok=True)
    out: list[EncodedText | None] = [load_encoded(t) for t in texts]
    todo = [i for i, e in enumerate(out) if e is None]
    enc = get_encoder() if todo else None
    t0, n_tok = time.perf_counter(), 0
    for b in range(0, len(todo), batch):
        idx = todo[b : b + batch]
        for i, e in zip(idx, enc.encode_texts([texts[i] for i in idx])):
            np.savez(cache_path(texts[i]), emb=e.token_embeddings.astype(np.float16), off=e.offsets)
            out[i] = e
            n_tok += len(e.offsets)
        dt = time.perf_counter() - t0
        print(f"encoded {min(b + batch, len(todo))}/{len(todo)} texts, {n_tok} tokens, {n_tok / dt:.0f} tok/s", flush=True)
    return out  # type: ignore[return-value]


if __name__ == "__main__":
    articles = load_corpus()
    encode_cached([a.text for a in articles])
    encode_cached([a.ptc_text for a in articles if a.ptc_text and a.split == "test"])
