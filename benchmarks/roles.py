"""Entity roles on the held-out test documents: official metrics per language, baselines beside ours, speed.

    python benchmarks/roles.py [--json results.json]

Uses the split of training/roles.py (by document id, 70/15/15 per language) and
the shipped model. Prints, per language, on the "test" split:
- ours: main-role accuracy, fine-role exact match (the official ranking metric),
  fine-role micro and macro F1. English goes through the same code as
  ``narrascope semeval 2025-st1`` (whole documents, the MiniLM head); BG, PT, RU, HI
  through ``predict_roles`` with ``doc.language`` set, i.e. the language's TF-IDF
  head, on the text training uses (title + mention lines: the head's window stays
  inside the mention's line, so this equals the whole document);
- always Antagonist with its most frequent fine role (from train);
- TF-IDF over a +-10-word window around the mention + logistic regression
  (main role, then the best fine role of that main role), trained per language
  and on all languages, window and C tuned on "val";
- speed of predict_roles on English documents (encoder pass included).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # tiny fits; spinning BLAS threads only slow a shared machine

import numpy as np  # noqa: E402

os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "training"))

from roles import LANGS, Item, load_items  # noqa: E402

from narrascope.cli_roles import MAIN_ROLES, RoleRow, role_scores  # noqa: E402

_WORD = re.compile(r"\w+", re.UNICODE)


def rows_of(items: list[Item]) -> list[RoleRow]:
    return [r for it in items for r in it.rows]


def majority_baseline(train: list[Item], test: list[Item]) -> dict:
    fine = Counter(f for r in rows_of(train) if r.main_role == "Antagonist" for f in r.fine_roles).most_common(1)[0][0]
    preds = [RoleRow(r.doc, r.entity, r.start, r.end, "Antagonist", [fine]) for r in rows_of(test)]
    return role_scores(rows_of(test), preds)


def window_texts(items: list[Item], n_words: int) -> list[str]:
    """The mention and ``n_words`` words each side of it (the mention marked, so its words count apart)."""
    out = []
    for it in items:
        for s, e in it.spans:
            left = _WORD.findall(it.text[max(0, s - 20 * n_words) : s])[-n_words:] if n_words else []
            right = _WORD.findall(it.text[e : e + 20 * n_words])[:n_words] if n_words else []
            mention = ["M_" + w.lower() for w in _WORD.findall(it.text[s:e])]
            out.append(" ".join([*left, *mention, *right]))
    return out


def tfidf_baseline(train: list[Item], val: list[Item], test: list[Item]) -> tuple[dict, dict]:
    """TF-IDF(window) + LR; window and C chosen on val by exact match + main accuracy."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    taxonomy = {f: r.main_role for r in rows_of(train) for f in r.fine_roles}

    def fit_predict(n_words: int, c: float, fit_items: list[Item], eval_items: list[Item]) -> list[RoleRow]:
        vec = TfidfVectorizer(sublinear_tf=True, min_df=1, token_pattern=r"\S+", lowercase=True)
        x = vec.fit_transform(window_texts(fit_items, n_words))
        rows = rows_of(fit_items)
        main = LogisticRegression(C=c, max_iter=2000).fit(x, [r.main_role for r in rows])
        idx = [i for i, r in enumerate(rows) for _ in r.fine_roles]
        fine = LogisticRegression(C=c, max_iter=2000).fit(x[idx], [f for r in rows for f in r.fine_roles])
        xe = vec.transform(window_texts(eval_items, n_words))
        main_pred = main.predict(xe)
        fine_p = fine.predict_proba(xe)
        preds = []
        for r, m, fp in zip(rows_of(eval_items), main_pred, fine_p):
            allowed = [k for k, f in enumerate(fine.classes_) if taxonomy.get(f) == m]
            best = fine.classes_[max(allowed, key=lambda k: fp[k])] if allowed else fine.classes_[int(np.argmax(fp))]
            preds.append(RoleRow(r.doc, r.entity, r.start, r.end, m, [best]))
        return preds

    best = None
    for n_words in (3, 6, 10, 20):
        for c in (1.0, 10.0, 100.0):
            s = role_scores(rows_of(val), fit_predict(n_words, c, train, val))
            key = s["exact_match"] + s["main_accuracy"]
            if best is None or key > best[0]:
                best = (key, n_words, c)
    _, n_words, c = best
    return role_scores(rows_of(test), fit_predict(n_words, c, train, test)), {"window_words": n_words, "C": c}


def ours_tfidf(items: list[Item], lang: str) -> dict:
    """The shipped TF-IDF head of ``lang`` through predict_roles."""
    from narrascope.detect.roles import predict_roles
    from narrascope.document import Document

    preds = []
    for it in items:
        for r, p in zip(it.rows, predict_roles(Document(source=it.doc, text=it.text, id=it.doc, language=lang.lower()), it.spans)):
            preds.append(RoleRow(r.doc, r.entity, r.start, r.end, p.main_role, p.fine_roles))
    return role_scores(rows_of(items), preds)


def ours_end_to_end(items: list[Item]) -> tuple[dict, dict]:
    """English test documents through predict_roles on fresh Documents (encoder pass timed)."""
    from narrascope.detect.roles import get_model, predict_roles
    from narrascope.document import Document
    from narrascope.nlp.encoder import get_encoder

    get_model()
    get_encoder()
    preds, t0, n_tok, n_words = [], time.perf_counter(), 0, 0
    for it in items:
        doc = Document(source=it.doc, text=it.text, id=it.doc, language="en")
        for r, p in zip(it.rows, predict_roles(doc, it.spans)):
            preds.append(RoleRow(r.doc, r.entity, r.start, r.end, p.main_role, p.fine_roles))
        n_tok += len(doc.cache["encoder"].offsets)
        n_words += len(it.text.split())
    dt = time.perf_counter() - t0
    speed = {"documents": len(items), "mentions": len(preds), "seconds": round(dt, 2),
             "docs_per_s": round(len(items) / dt, 2), "tokens_per_s": round(n_tok / dt),
             "s_per_1000_words": round(dt / max(n_words, 1) * 1000, 3)}
    return role_scores(rows_of(items), preds), speed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()
    items = load_items()
    part = {s: [it for it in items if it.split == s] for s in ("train", "val", "test")}
    results: dict = {}
    for lang in LANGS:
        tr, va, te = ([it for it in part[s] if it.lang == lang] for s in ("train", "val", "test"))
        res = {"test_mentions": len(rows_of(te)), "test_documents": len(te)}
        res["majority"] = majority_baseline(tr, te)
        res["tfidf_lr_own_language"], res["tfidf_params"] = tfidf_baseline(tr, va, te)
        res["tfidf_lr_all_languages"], _ = tfidf_baseline(part["train"], va, te)
        if lang == "EN":
            res["ours"], results["speed"] = ours_end_to_end(te)
        else:
            res["ours"] = ours_tfidf(te, lang)
        results[lang] = res
        print(f"\n{lang}: {len(te)} test documents, {len(rows_of(te))} mentions")
        print(f"{'system':<24} {'main acc':>8} {'exact':>8} {'micro F1':>8} {'macro F1':>8}")
        for name in ("majority", "tfidf_lr_own_language", "tfidf_lr_all_languages", "ours"):
            s = res[name]
            print(f"{name:<24} {s['main_accuracy']:8.3f} {s['exact_match']:8.3f} {s['fine_micro_f1']:8.3f} {s['fine_macro_f1']:8.3f}")
    print("\nspeed (English, encoder included):", results["speed"])
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
