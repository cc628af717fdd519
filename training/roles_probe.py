"""Train the syntax probe of the roles head and write ``src/narrascope/models/roles/syntax_probe.npz``.

    python training/roles_probe.py [--articles 300]

The roles head asks whether a mention acts or is acted upon in its sentence. spaCy's
dependency parse says so, but parsing every sentence costs ~50 ms per article. The
probe learns the same answer from the shared encoder pass the head reads anyway: a
multinomial logistic regression from the embeddings of the mention's last token, the
tokens next to it and the mean of its tokens (``detect/roles.probe_input``) to the
mention's grammatical role in spaCy's parse (``detect/roles.parse_class``).

Data: PolNeAR training articles (``../shared/data/polnear/train/text``, read in
place; no role labels are used), the first ``--articles`` by file name; their
PERSON / ORG / GPE / NORP entities as found by spaCy's NER. The first 80% of
the articles train the probe, the rest choose its regularisation and give its
agreement with the parser.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

from narrascope.detect.roles import SYNTAX_CLASSES, parse_class, probe_input  # noqa: E402
from narrascope.nlp.encoder import get_encoder  # noqa: E402
from narrascope.nlp.entities import get_spacy  # noqa: E402
from narrascope.nlp.sentences import split_sentences  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TEXTS = REPO / ".." / "shared" / "data" / "polnear" / "train" / "text"
OUT = REPO / "src" / "narrascope" / "models" / "roles" / "syntax_probe.npz"
TYPES = ("PERSON", "ORG", "GPE", "NORP")
C_GRID = (0.003, 0.01, 0.03)


def parsed_mentions(text: str) -> tuple[list[tuple[int, int]], list[int]]:
    """The entity mentions spaCy finds in ``text`` (sentence by sentence) and their parse classes."""
    nlp = get_spacy()
    spans, classes = [], []
    for a, b in split_sentences(text, "en"):
        sent = nlp(text[a:b])
        for ent in sent.ents:
            if ent.label_ in TYPES:
                spans.append((a + ent.start_char, a + ent.end_char))
                classes.append(parse_class(list(ent)))
    return spans, classes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--articles", type=int, default=300)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    import torch
    from sklearn.linear_model import LogisticRegression

    torch.set_num_threads(2)
    paths = sorted(TEXTS.glob("*.txt"))[: args.articles]
    if not paths:
        raise SystemExit(f"no articles in {TEXTS}")
    encoder = get_encoder()
    x, y, article = [], [], []
    t0 = time.perf_counter()
    for i, path in enumerate(paths):
        text = path.read_text(encoding="utf-8")
        spans, classes = parsed_mentions(text)  # spaCy's entities: never empty spans
        if not spans:
            continue
        x.append(probe_input(encoder.encode_texts([text])[0], spans))
        y += classes
        article += [i] * len(spans)
        if i % 50 == 0:
            print(f"{i}/{len(paths)} articles, {len(y)} mentions, {time.perf_counter() - t0:.0f} s", flush=True)
    xa, ya, arts = np.concatenate(x), np.array(y), np.array(article)
    train, held = arts < int(0.8 * len(paths)), arts >= int(0.8 * len(paths))
    print("mentions per class:", dict(zip(SYNTAX_CLASSES, np.bincount(ya, minlength=len(SYNTAX_CLASSES)).tolist())))
    mean, scale = xa[train].mean(axis=0), xa[train].std(axis=0) + 1e-3
    z = (xa - mean) / scale
    best = None
    for c in C_GRID:
        lr = LogisticRegression(C=c, max_iter=3000).fit(z[train], ya[train])
        acc = float((lr.predict(z[held]) == ya[held]).mean())
        print(f"C={c}: agreement with the parser on {held.sum()} held-out mentions {acc:.3f}", flush=True)
        if best is None or acc > best[0]:
            best = (acc, c, lr)
    acc, c, lr = best
    if sorted(lr.classes_.tolist()) != list(range(len(SYNTAX_CLASSES))):
        raise SystemExit(f"a syntax class has no training mention: {lr.classes_}")
    pred = lr.predict(z[held])
    for k, name in enumerate(SYNTAX_CLASSES):
        tp, n_pred, n_gold = int(((pred == k) & (ya[held] == k)).sum()), int((pred == k).sum()), int((ya[held] == k).sum())
        print(f"  {name:12s} precision {tp / max(n_pred, 1):.2f} recall {tp / max(n_gold, 1):.2f} ({n_gold})")
    majority = float((ya[held] == np.bincount(ya[train]).argmax()).mean())
    print(f"chosen C={c}: agreement {acc:.3f} (most frequent class: {majority:.3f})")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, mean=mean.astype(np.float32), scale=scale.astype(np.float32),
                        coef=lr.coef_.astype(np.float16).astype(np.float32), intercept=lr.intercept_.astype(np.float32),
                        agreement=np.float32(acc), articles=np.int32(len(paths)))
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e3:.0f} kB) in {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
