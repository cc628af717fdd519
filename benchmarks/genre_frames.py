"""Genre and frames heads: scores on our held-out test split, and speed.

    python benchmarks/genre_frames.py [--speed-articles 40]

Scores: the shipped models on the SemEval-2023 subtask 1/2 articles that
``training/techniques_data.split_of`` puts in "test" (never used in training or tuning),
with the encoder pass read from the training cache (``training/encode_cache.py``).
Speed: articles/s for the heads alone (pooling, TF-IDF, both regressions; the
encoder output given) and for the whole thing (encoder pass over the text and the
headline + both heads), on the first ``--speed-articles`` test articles.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "training"))
from encode_cache import encode_cached  # noqa: E402
from genre_frames import load_task  # noqa: E402

from narrascope.detect.genre_frames import (  # noqa: E402
    ArticleInput,
    body_paragraphs,
    dense_features,
    encode_titles,
    frames_model,
    genre_model,
    lexical_text,
    semeval_document,
)
from narrascope.metrics_labels import frame_scores, genre_scores  # noqa: E402
from narrascope.nlp.encoder import encode_documents  # noqa: E402


def heads(docs, title_vecs) -> tuple[list[str], list[list[str]]]:
    g, f = genre_model(), frames_model()
    items = []
    for d, tv in zip(docs, title_vecs):
        paras = body_paragraphs(d.text, d.title)
        items.append(ArticleInput(dense_features(d.cache["encoder"], paras, tv), lexical_text(d.text, paras, d.title)))
    genres = [g.decide(p)[0][0] for p in g.probabilities(items)]
    frames = [[n for n, _ in f.decide(p)] for p in f.probabilities(items)]
    return genres, frames


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--speed-articles", type=int, default=40)
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    for task in (1, 2):
        test = [e for e in load_task(task) if e.split == "test"]
        docs = [semeval_document(e.id, e.text) for e in test]
        for d, enc in zip(docs, encode_cached([d.text for d in docs])):
            d.cache["encoder"] = enc
        genres, frames = heads(docs, encode_titles([d.title or "" for d in docs]))
        if task == 1:
            s = genre_scores({e.id: e.labels[0] for e in test}, dict(zip([e.id for e in test], genres)))
            print(f"genre  (test, {len(test)} articles): macro-F1 {s['macro_f1']:.3f}, accuracy {s['accuracy']:.3f}, "
                  + ", ".join(f"{k} F1 {v['f1']:.2f} ({v['support']} gold/{v['predicted']} pred)" for k, v in s["per_label"].items()))
        else:
            s = frame_scores({e.id: e.labels for e in test}, dict(zip([e.id for e in test], frames)))
            print(f"frames (test, {len(test)} articles): micro-F1 {s['micro_f1']:.3f} (P {s['micro_precision']:.3f}, "
                  f"R {s['micro_recall']:.3f}), macro-F1 {s['macro_f1']:.3f}")

    # speed, on fresh documents so nothing is cached
    test = [e for e in load_task(2) if e.split == "test"][: args.speed_articles]
    docs = [semeval_document(e.id, e.text) for e in test]
    n_chars = sum(len(d.text) for d in docs)
    encode_titles(["warm up"])
    t0 = time.perf_counter()
    encode_documents(docs)
    title_vecs = encode_titles([d.title or "" for d in docs])
    t1 = time.perf_counter()
    for _ in range(3):
        heads(docs, title_vecs)
    t2 = time.perf_counter()
    head_s = (t2 - t1) / 3
    print(f"speed on {len(docs)} articles ({n_chars / len(docs):.0f} chars each), torch threads 1:")
    print(f"  heads alone (encoder output given): {len(docs) / head_s:.1f} articles/s")
    print(f"  encoder pass (text + headline) + heads: {len(docs) / (t1 - t0 + head_s):.2f} articles/s")


if __name__ == "__main__":
    main()
