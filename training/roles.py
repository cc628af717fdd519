"""Train the entity-role head and write ``src/narrascope/models/roles/``.

    python training/roles.py --encode     # the frozen encoder pass over the corpus (cached in .cache/)
    python training/roles.py              # English head: settings by cross-validation over train + val, fit on both
    python training/roles.py --test       # also print the held-out test scores (report them once)
    python training/roles.py --tfidf      # the BG/PT/RU/HI TF-IDF heads (tuned on each language's val)
    python training/roles.py --tfidf --test

Data: SemEval-2025 Task 10 subtask 1 in ``../shared/data/semeval2025t10/train``
(EN, BG, PT, RU, HI). Split by document id (salted hash) 70/15/15 per language.
English documents are encoded whole, as the stage sees them. To keep the encoder
pass within minutes on two shared cores, other languages are encoded as their
title plus the lines that hold a mention (MiniLM cuts Cyrillic and Devanagari
into characters, so a whole BG or RU article costs 3x an English one).

The English head reads the encoder features and the mention's syntax
(``detect/roles.syntax_features``: the syntax probe, which ``training/roles_probe.py``
trains first, and the valence of the words around the mention). Its settings (weight of the
syntax block, both regularisers, the main/fine mix) are chosen by 5-fold
cross-validation by document over train + val, three fold assignments averaged
(val alone holds 45 mentions); the model is then fitted on train + val. Test is
never read unless ``--test``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

# One BLAS thread: the fits are tiny, and spinning threads on a shared 2-core machine made them 50x slower.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from encode_cache import cache_path, encode_cached, load_encoded  # noqa: E402

from narrascope.cli_roles import MAIN_ROLES, RoleRow, locate_mentions, read_documents, read_role_rows, role_scores  # noqa: E402
from narrascope.detect.roles import role_features  # noqa: E402
from narrascope.nlp.encoder import ENCODER_VERSION  # noqa: E402
from narrascope.nlp.sentences import split_sentences  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / ".." / "shared" / "data" / "semeval2025t10" / "train"
OUT = REPO / "src" / "narrascope" / "models" / "roles"
LANGS = ("EN", "BG", "PT", "RU", "HI")
SENTENCE_LANG = {"EN": "en", "BG": "bg", "PT": "pt", "RU": "ru", "HI": "hi"}


def split_of(lang: str, doc: str) -> str:
    """Fixed split by document id: 70% train, 15% validation, 15% test."""
    h = int(hashlib.sha1(f"narrascope-roles:{lang}:{doc}".encode()).hexdigest(), 16) % 100
    return "test" if h < 15 else "val" if h < 30 else "train"


@dataclass
class Item:
    """One annotated document as encoded: its text and the gold rows with their spans in it."""

    lang: str
    doc: str
    text: str
    rows: list[RoleRow]
    spans: list[tuple[int, int]]
    split: str


def mention_lines_text(text: str, spans: list[tuple[int, int]]) -> tuple[str, list[tuple[int, int]]]:
    """The first line (title) and every line holding a mention, as one text; spans moved into it."""
    lines = {(0, len(text.split("\n", 1)[0]))}
    for s, e in spans:
        ls = text.rfind("\n", 0, s) + 1
        le = text.find("\n", e)
        lines.add((ls, len(text) if le < 0 else le))
    pieces, shift, pos = [], {}, 0
    for ls, le in sorted(lines):
        shift[(ls, le)] = pos - ls
        pieces.append(text[ls:le])
        pos += le - ls + 2
    moved = []
    for s, e in spans:
        for (ls, le), d in shift.items():
            if ls <= s and e <= le:
                moved.append((s + d, e + d))
                break
    return "\n\n".join(pieces), moved


def load_items(langs=LANGS) -> list[Item]:
    items = []
    for lang in langs:
        path = DATA / lang / "subtask-1-annotations.txt"
        rows = read_role_rows(path, labelled=True)
        texts = read_documents(DATA / lang / "raw-documents")
        spans = locate_mentions(rows, texts, str(path))
        by_doc: dict[str, list[int]] = {}
        for i, r in enumerate(rows):
            by_doc.setdefault(r.doc, []).append(i)
        for doc, idx in sorted(by_doc.items()):
            text, sp = texts[doc], [spans[i] for i in idx]
            if lang != "EN":
                text, sp = mention_lines_text(text, sp)
            items.append(Item(lang, doc, text, [rows[i] for i in idx], sp, split_of(lang, doc)))
    return items


def encode_items(items: list[Item], batch: int = 4) -> None:
    """Fill the shared encoder cache for every item (a file already there is never recomputed)."""
    todo = [it.text for it in items if not cache_path(it.text).exists()]
    print(f"{len(todo)} of {len(items)} texts to encode", flush=True)
    for b in range(0, len(todo), batch):
        encode_cached([t for t in todo[b : b + batch] if not cache_path(t).exists()])


def featurise(items: list[Item], syntax: bool = False) -> np.ndarray:
    """The English head's features of every mention: ``role_features`` on the cached encoder pass."""
    blocks = []
    for it in items:
        enc = load_encoded(it.text)
        if enc is None:
            raise SystemExit(f"{it.lang}/{it.doc} is not encoded: run python training/roles.py --encode")
        blocks.append(role_features(enc, it.text, it.spans, split_sentences(it.text, SENTENCE_LANG[it.lang]), syntax))
    return np.concatenate(blocks)


def taxonomy(items: list[Item]) -> dict[str, str]:
    """Fine role -> main role, as the annotations use them; fails if a fine role sits under two main roles."""
    parents: dict[str, set[str]] = {}
    for it in items:
        for r in it.rows:
            for f in r.fine_roles:
                parents.setdefault(f, set()).add(r.main_role)
    bad = {f: p for f, p in parents.items() if len(p) != 1}
    if bad:
        raise SystemExit(f"fine roles under several main roles: {bad}")
    return {f: next(iter(p)) for f, p in sorted(parents.items())}


# -- fitting ---------------------------------------------------------------------
def fit_lr(x: np.ndarray, y: np.ndarray, c: float, weights: np.ndarray | None = None):
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=c, max_iter=2000)
    lr.fit(x, y, sample_weight=weights)
    return lr


def fine_training_rows(rows: list[RoleRow], fine_index: dict[str, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row index, fine label, weight): one sample per gold fine role, weighted 1/k."""
    ri, yi, wi = [], [], []
    for i, r in enumerate(rows):
        for f in r.fine_roles:
            ri.append(i)
            yi.append(fine_index[f])
            wi.append(1.0 / len(r.fine_roles))
    return np.array(ri), np.array(yi), np.array(wi)


def export(path: Path, arrays: dict[str, np.ndarray], config: dict) -> None:
    """The English head's arrays (coefficients rounded to float16, as ``RoleModel`` gets them) and config."""
    path.mkdir(parents=True, exist_ok=True)
    rounded = {k: (v.astype(np.float16) if k.endswith("_coef") else v).astype(np.float32) for k, v in arrays.items()}
    np.savez_compressed(path / "head.npz", **rounded)
    (path / "model.json").write_text(json.dumps(config, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


# -- the TF-IDF heads (BG, PT, RU, HI) ------------------------------------------------
TFIDF_LANGS = ("BG", "PT", "RU", "HI")
# kept small: the whole search runs in minutes on 2 shared cores, and 4 heads of 8,000 terms fit the 3 MB budget
TFIDF_GRID = {"n_words": (8, 16), "chars": ((0, 0), (2, 4)), "max_features": (3000, 8000)}
C_GRID = (1.0, 10.0)


def _class_matrix(lr, n_classes: int, n_features: int, missing: float) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients in role order; a class sklearn never saw gets a hopeless intercept."""
    coef = np.zeros((n_classes, n_features))
    intercept = np.full(n_classes, missing)
    cl = [int(c) for c in lr.classes_]
    if len(cl) == 2:  # binary LR keeps one row: P(classes_[1]) = sigmoid(z) = softmax over (0, z)
        coef[cl[1]], intercept[cl[1]] = lr.coef_[0], lr.intercept_[0]
        intercept[cl[0]] = 0.0
    else:
        for k, c in enumerate(cl):
            coef[c], intercept[c] = lr.coef_[k], lr.intercept_[k]
    return coef, intercept


def train_tfidf(args, items: list[Item]) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    from narrascope.detect.roles import TfidfRoleHead, window_terms

    tax = taxonomy(items)
    main_roles, fine_roles = list(MAIN_ROLES), list(tax)
    fine_index = {f: j for j, f in enumerate(fine_roles)}
    split = {s: [it for it in items if it.split == s] for s in ("train", "val", "test")}
    windows_of: dict[tuple, list[str]] = {}
    vectors: dict[tuple, tuple] = {}
    fits: dict[tuple, object] = {}

    def windows(part: list[Item], n_words: int) -> list[str]:
        from narrascope.detect.roles import context_window

        key = (tuple(map(id, part)), n_words)  # items live as long as the run: their ids name the part
        if key not in windows_of:
            windows_of[key] = [context_window(it.text, s, e, n_words) for it in part for s, e in it.spans]
        return windows_of[key]

    def fit_head(train: list[Item], n_words: int, chars, max_features: int, c_main: float, c_fine: float,
                 mix: float = 0.0, ratio: float = 1.01):
        """sklearn fits on ``train`` (cached); returns the numpy head (float16 weights, as shipped) and the sklearn parts."""
        key = (tuple(map(id, train)), n_words, chars, max_features)
        if key not in vectors:
            vec = TfidfVectorizer(analyzer=lambda w, a=chars: window_terms(w, *a), sublinear_tf=True,
                                  min_df=2, max_features=max_features, dtype=np.float64)
            vectors[key] = (vec, vec.fit_transform(windows(train, n_words)))
        vec, x = vectors[key]
        rows = [r for it in train for r in it.rows]
        if (key, "main", c_main) not in fits:
            fits[(key, "main", c_main)] = fit_lr(x, np.array([main_roles.index(r.main_role) for r in rows]), c_main)
        if (key, "fine", c_fine) not in fits:
            ri, yi, wi = fine_training_rows(rows, fine_index)
            fits[(key, "fine", c_fine)] = fit_lr(x[ri], yi, c_fine, wi)
        main_lr, fine_lr = fits[(key, "main", c_main)], fits[(key, "fine", c_fine)]
        terms = [t for t, _ in sorted(vec.vocabulary_.items(), key=lambda kv: kv[1])]
        mc, mi = _class_matrix(main_lr, 3, len(terms), -30.0)
        fc, fi = _class_matrix(fine_lr, len(fine_roles), len(terms), -30.0)
        f16 = lambda a: a.astype(np.float16).astype(np.float64)  # noqa: E731  score what is shipped
        arrays = {"idf": f16(vec.idf_), "main_coef": f16(mc), "main_intercept": mi.astype(np.float32),
                  "fine_coef": f16(fc), "fine_intercept": fi.astype(np.float32)}
        config = {"main_roles": main_roles, "fine_roles": fine_roles, "taxonomy": tax, "main_mix": mix,
                  "second_ratio": ratio, "n_words": n_words, "char_min": chars[0], "char_max": chars[1], "terms": terms,
                  "C_main": c_main, "C_fine": c_fine, "max_features": max_features}
        return TfidfRoleHead(arrays, config), (vec, main_lr, fine_lr)

    def score(head: TfidfRoleHead, part: list[Item], n_words: int) -> dict:
        main_p, fine_p = head.probabilities(windows(part, n_words))
        rows = [r for it in part for r in it.rows]
        preds = []
        for r, mp, fp in zip(rows, main_p, fine_p):
            p = head.decide(0, 1, mp, fp)
            preds.append(RoleRow(r.doc, r.entity, r.start, r.end, p.main_role, p.fine_roles))
        return role_scores(rows, preds)

    langs = [l for l in args.langs.split(",") if l in TFIDF_LANGS] + (["EN"] if "EN" in args.langs.split(",") else [])
    train_all = split["train"]
    out = Path(args.out)
    report = {}
    for lang in langs:
        train_own = [it for it in split["train"] if it.lang == lang]
        val = [it for it in split["val"] if it.lang == lang]
        best = None
        t0 = time.perf_counter()
        for source, train in (("own", train_own), ("all", train_all)):
            for n_words in TFIDF_GRID["n_words"]:
                for chars in TFIDF_GRID["chars"]:
                    for max_features in TFIDF_GRID["max_features"]:
                        # C of the main regression first (by main accuracy), then of the fine one (by exact match)
                        cm = max(C_GRID, key=lambda c: score(fit_head(train, n_words, chars, max_features, c, 1.0)[0], val, n_words)["main_accuracy"])
                        print(f"  {lang} {source} window={n_words} chars={chars} max_features={max_features} "
                              f"({time.perf_counter() - t0:.0f} s)", flush=True)
                        for cf in C_GRID:
                            head, _ = fit_head(train, n_words, chars, max_features, cm, cf)
                            for mix in (0.0, 0.5):
                                for ratio in (1.01, 1.5):
                                    head.main_mix, head.second_ratio = mix, ratio
                                    s = score(head, val, n_words)
                                    key = s["exact_match"] + s["main_accuracy"]
                                    if best is None or key > best[0]:
                                        best = (key, source, n_words, chars, max_features, cm, cf, mix, ratio, s)
        key, source, n_words, chars, max_features, cm, cf, mix, ratio, s = best
        print(f"{lang}: chosen on val ({time.perf_counter() - t0:.0f} s): train={source} window={n_words} chars={chars} "
              f"max_features={max_features} C_main={cm} C_fine={cf} mix={mix} ratio={ratio} -> val main {s['main_accuracy']:.3f} "
              f"exact {s['exact_match']:.3f} micro {s['fine_micro_f1']:.3f} macro {s['fine_macro_f1']:.3f} (n={s['mentions']})", flush=True)
        head, (vec, main_lr, fine_lr) = fit_head(train_own if source == "own" else train_all, n_words, chars, max_features, cm, cf, mix, ratio)
        # numpy inference must reproduce sklearn (before the float16 rounding of the export)
        w = windows(val, n_words)
        exact = TfidfRoleHead({"idf": vec.idf_, "main_coef": _class_matrix(main_lr, 3, len(head.terms), -30.0)[0],
                               "main_intercept": _class_matrix(main_lr, 3, len(head.terms), -30.0)[1],
                               "fine_coef": head.fine_coef, "fine_intercept": head.fine_intercept}, head.config)
        assert np.allclose(exact.features(w), vec.transform(w).toarray(), atol=1e-9)
        exact.main_mix = 0.0
        sk = main_lr.predict_proba(vec.transform(w))
        assert np.allclose(exact.probabilities(w)[0][:, [int(c) for c in main_lr.classes_]], sk, atol=1e-6)
        report[f"val/{lang}"] = s
        if args.test:
            test = [it for it in split["test"] if it.lang == lang]
            report[f"test/{lang}"] = score(head, test, n_words)
            t = report[f"test/{lang}"]
            print(f"{lang} TEST: n={t['mentions']} main {t['main_accuracy']:.3f} exact {t['exact_match']:.3f} "
                  f"micro {t['fine_micro_f1']:.3f} macro {t['fine_macro_f1']:.3f}", flush=True)
        if lang == "EN":
            continue  # measured only: the shipped English head stays
        config = dict(head.config, trained_on=sorted({it.lang for it in (train_own if source == "own" else train_all)}),
                      language=lang.lower())
        out.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(out / f"tfidf_{lang.lower()}.npz", idf=vec.idf_.astype(np.float16),
                            main_coef=head.main_coef.astype(np.float16), main_intercept=head.main_intercept.astype(np.float32),
                            fine_coef=head.fine_coef.astype(np.float16), fine_intercept=head.fine_intercept.astype(np.float32))
        (out / f"tfidf_{lang.lower()}.json").write_text(json.dumps(config, ensure_ascii=False) + "\n", encoding="utf-8")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    size = sum(p.stat().st_size for p in out.glob("*") if p.suffix in (".npz", ".json"))
    print(f"wrote {out}: roles model files {size / 1e6:.2f} MB")


# -- the English head: settings chosen by cross-validation over train + val ------------
SYNTAX_WEIGHTS = (0.0, 2.0, 2.83, 4.0)  # 0: the encoder features alone
C_MAIN_GRID = (0.0005, 0.002, 0.01)
C_FINE_GRID = (0.01, 0.03, 0.1)
MIX_GRID = (0.0, 0.5)
FOLD_SALTS = ("a", "b", "c")  # three 5-fold assignments by document, averaged: 356 mentions are few


def fold_of(doc: str, salt: str, k: int = 5) -> int:
    return int(hashlib.sha1(f"{salt}:{doc}".encode()).hexdigest(), 16) % k


def standardiser(x: np.ndarray, n_syntax: int, weight: float) -> tuple[np.ndarray, np.ndarray]:
    """(mean, scale) of the rows; the syntax block's weight is folded into its scale (0: block dropped)."""
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-3
    if n_syntax:
        scale[-n_syntax:] = scale[-n_syntax:] / weight if weight > 0 else np.inf
    return mean, scale


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--encode", action="store_true", help="only fill the encoder cache")
    ap.add_argument("--test", action="store_true", help="print held-out test scores")
    ap.add_argument("--out", default=str(OUT))
    ap.add_argument("--tfidf", action="store_true", help="train the BG/PT/RU/HI TF-IDF heads (--langs EN also measures EN)")
    ap.add_argument("--langs", default=",".join(LANGS), help="with --tfidf: languages to train (default: all)")
    ap.add_argument("--json", help="with --tfidf: write the val (and test) scores here")
    args = ap.parse_args()
    if args.tfidf:
        train_tfidf(args, load_items())
        return
    import torch

    torch.set_num_threads(1)
    if args.encode:
        items = load_items()
        # English first, last document first (a parallel job may be encoding the same files front to back)
        encode_items([it for it in items if it.lang == "EN"][::-1] + [it for it in items if it.lang != "EN"])
        return
    from narrascope.detect.roles import SYNTAX_FEATURES, RoleModel

    items = load_items(("EN",))
    t0 = time.perf_counter()
    x = featurise(items, syntax=True)
    n_syntax = len(SYNTAX_FEATURES)
    print(f"features {x.shape} in {time.perf_counter() - t0:.0f} s", flush=True)
    rows = [r for it in items for r in it.rows]
    docs = np.array([it.doc for it in items for _ in it.rows])
    split = np.array([it.split for it in items for _ in it.rows])
    tax = taxonomy(items)
    main_roles, fine_roles = list(MAIN_ROLES), list(tax)
    fine_index = {f: j for j, f in enumerate(fine_roles)}
    y_main = np.array([main_roles.index(r.main_role) for r in rows])
    dev = split != "test"
    print("split sizes:", dict(Counter(split)), flush=True)

    def as_model(mean, scale, main_lr, fine_lr, mix: float, syntax: bool) -> tuple[RoleModel, dict, dict]:
        config = {"main_roles": main_roles, "fine_roles": fine_roles, "taxonomy": tax, "main_mix": mix,
                  "second_ratio": 1.01, "syntax": syntax}
        keep = slice(None) if syntax else slice(0, x.shape[1] - n_syntax)
        arrays = {"mean": mean[keep], "scale": scale[keep]}
        arrays["main_coef"], arrays["main_intercept"] = _class_matrix(main_lr, 3, x.shape[1], -30.0)
        arrays["fine_coef"], arrays["fine_intercept"] = _class_matrix(fine_lr, len(fine_roles), x.shape[1], -30.0)
        arrays["main_coef"], arrays["fine_coef"] = arrays["main_coef"][:, keep], arrays["fine_coef"][:, keep]
        return RoleModel(arrays, config), config, arrays

    def fit(mask: np.ndarray, weight: float, c_main: float, c_fine: float):
        mean, scale = standardiser(x[mask], n_syntax, weight)
        z = (x[mask] - mean) / scale
        ri, yi, wi = fine_training_rows([rows[i] for i in np.nonzero(mask)[0]], fine_index)
        return mean, scale, fit_lr(z, y_main[mask], c_main), fit_lr(z[ri], yi, c_fine, wi)

    def scores(main_p: np.ndarray, fine_p: np.ndarray, idx: np.ndarray, model: RoleModel) -> dict:
        preds = []
        for i, mp, fp in zip(idx, main_p, fine_p):
            p = model.decide(0, 1, mp, fp)
            preds.append(RoleRow(rows[i].doc, "", rows[i].start, rows[i].end, p.main_role, p.fine_roles))
        return role_scores([rows[i] for i in idx], preds)

    # Out-of-fold probabilities for every weight and C, then every mix on top of them.
    idx = np.nonzero(dev)[0]
    oof_main: dict = {}
    oof_fine: dict = {}
    for salt in FOLD_SALTS:
        folds = np.array([fold_of(d, salt) for d in docs])
        for weight in SYNTAX_WEIGHTS:
            for k in range(5):
                tr, te = dev & (folds != k), dev & (folds == k)
                mean, scale = standardiser(x[tr], n_syntax, weight)
                z, zt = (x[tr] - mean) / scale, (x[te] - mean) / scale
                ri, yi, wi = fine_training_rows([rows[i] for i in np.nonzero(tr)[0]], fine_index)
                for c in C_MAIN_GRID:
                    lr = fit_lr(z, y_main[tr], c)
                    p = oof_main.setdefault((salt, weight, c), np.zeros((len(x), 3)))
                    p[np.ix_(te, lr.classes_.astype(int))] = lr.predict_proba(zt)
                for c in C_FINE_GRID:
                    lr = fit_lr(z[ri], yi, c, wi)
                    p = oof_fine.setdefault((salt, weight, c), np.zeros((len(x), len(fine_roles))))
                    p[np.ix_(te, lr.classes_.astype(int))] = lr.predict_proba(zt)
        print(f"folds {salt}: {time.perf_counter() - t0:.0f} s", flush=True)
    width = x.shape[1]
    probe = RoleModel({"mean": np.zeros(width), "scale": np.ones(width), "main_coef": np.zeros((3, width)),
                       "main_intercept": np.zeros(3), "fine_coef": np.zeros((len(fine_roles), width)),
                       "fine_intercept": np.zeros(len(fine_roles))},
                      {"main_roles": main_roles, "fine_roles": fine_roles, "taxonomy": tax, "syntax": True})
    group = probe.group.T
    results = []
    for weight in SYNTAX_WEIGHTS:
        for c_main in C_MAIN_GRID:
            for c_fine in C_FINE_GRID:
                for mix in MIX_GRID:
                    probe.main_mix = mix
                    per = []
                    for salt in FOLD_SALTS:
                        pf = oof_fine[(salt, weight, c_fine)][idx]
                        pm = (1 - mix) * oof_main[(salt, weight, c_main)][idx] + mix * pf @ group
                        per.append(scores(pm, pf, idx, probe))
                    main_acc = float(np.mean([s["main_accuracy"] for s in per]))
                    exact = float(np.mean([s["exact_match"] for s in per]))
                    results.append((exact + main_acc, weight, c_main, c_fine, mix, main_acc, exact))
                    print(f"syntax weight {weight} C_main={c_main} C_fine={c_fine} mix={mix}: "
                          f"out-of-fold main {main_acc:.3f} exact {exact:.3f}", flush=True)
    _, weight, c_main, c_fine, mix, main_acc, exact = max(results)
    no_syntax = max(r for r in results if r[1] == 0.0)
    print(f"chosen: syntax weight {weight} C_main={c_main} C_fine={c_fine} mix={mix}: out-of-fold main {main_acc:.3f} "
          f"exact {exact:.3f} (best without syntax: main {no_syntax[5]:.3f} exact {no_syntax[6]:.3f})")
    mean, scale, main_lr, fine_lr = fit(dev, weight, c_main, c_fine)
    model, config, arrays = as_model(mean, scale, main_lr, fine_lr, mix, weight > 0)
    if args.test:
        test = np.nonzero(split == "test")[0]
        t = scores(*model.probabilities(x[test, : len(model.mean)]), test, model)
        print(f"TEST EN: n={t['mentions']} main {t['main_accuracy']:.3f} exact {t['exact_match']:.3f} "
              f"micro {t['fine_micro_f1']:.3f} macro {t['fine_macro_f1']:.3f}")
    config.update({
        "encoder": ENCODER_VERSION, "languages": ["en"], "trained_on": ["EN train", "EN val"],
        "C_main": c_main, "C_fine": c_fine, "syntax_weight": weight,
        "cv": {"folds": 5, "assignments": len(FOLD_SALTS), "main_accuracy": round(main_acc, 4), "exact_match": round(exact, 4)},
        "features": "mention, sentence, +-200-char window, document (4 x 384), then the mention's syntax "
                    f"(probe and valence, {n_syntax}); standardised, the syntax block x {weight}",
    })
    export(Path(args.out), arrays, config)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
