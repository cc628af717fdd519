"""Train the entity-role head and write ``src/narrascope/models/roles/``.

    python training/roles.py --encode     # the frozen encoder pass over the corpus (cached in .cache/)
    python training/roles.py              # fit on train, tune on val, write the model; scores on val
    python training/roles.py --test       # also print the held-out test scores (report them once)

Data: SemEval-2025 Task 10 subtask 1 in ``../shared/data/semeval2025t10/train``
(EN, BG, PT, RU, HI). Split by document id (salted hash) 70/15/15 per language.
English documents are encoded whole, as the stage sees them. To keep the encoder
pass within minutes on two shared cores, other languages are encoded as their
title plus the lines that hold a mention (MiniLM cuts Cyrillic and Devanagari
into characters, so a whole BG or RU article costs 3x an English one).
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
from narrascope.detect.roles import mention_features  # noqa: E402
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


def featurise(items: list[Item]) -> np.ndarray:
    blocks = []
    for it in items:
        enc = load_encoded(it.text)
        if enc is None:
            raise SystemExit(f"{it.lang}/{it.doc} is not encoded: run python training/roles.py --encode")
        blocks.append(mention_features(enc, it.text, it.spans, split_sentences(it.text, SENTENCE_LANG[it.lang])))
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


def export(path: Path, mean, scale, main_lr, fine_lr, main_roles, fine_roles, config: dict) -> None:
    """Coefficients in the model's role order (sklearn orders classes by label value)."""
    path.mkdir(parents=True, exist_ok=True)
    mc = np.zeros((len(main_roles), len(mean)), dtype=np.float32)
    mi = np.zeros(len(main_roles), dtype=np.float32)
    for k, cls in enumerate(main_lr.classes_):
        mc[int(cls)], mi[int(cls)] = main_lr.coef_[k], main_lr.intercept_[k]
    fc = np.full((len(fine_roles), len(mean)), 0.0, dtype=np.float32)
    fi = np.full(len(fine_roles), -30.0, dtype=np.float32)  # a role never seen in training is never predicted
    for k, cls in enumerate(fine_lr.classes_):
        fc[int(cls)], fi[int(cls)] = fine_lr.coef_[k], fine_lr.intercept_[k]
    np.savez_compressed(path / "head.npz", mean=mean.astype(np.float32), scale=scale.astype(np.float32),
                        main_coef=mc.astype(np.float16).astype(np.float32), main_intercept=mi,
                        fine_coef=fc.astype(np.float16).astype(np.float32), fine_intercept=fi)
    (path / "model.json").write_text(json.dumps(config, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--encode", action="store_true", help="only fill the encoder cache")
    ap.add_argument("--langs", default=",".join(LANGS), help="languages to train on (default: all)")
    ap.add_argument("--test", action="store_true", help="print held-out test scores")
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    items = load_items()
    if args.encode:
        # English first, last document first (a parallel job may be encoding the same files front to back)
        encode_items([it for it in items if it.lang == "EN"][::-1] + [it for it in items if it.lang != "EN"])
        return
    train_langs = set(args.langs.split(","))
    eval_langs = [l for l in LANGS if l in train_langs or l == "EN"]
    items = [it for it in items if it.lang in eval_langs]
    t0 = time.perf_counter()
    x = featurise(items)
    print(f"features {x.shape} in {time.perf_counter() - t0:.0f} s", flush=True)
    rows = [r for it in items for r in it.rows]
    lang = np.array([it.lang for it in items for _ in it.rows])
    split = np.array([it.split for it in items for _ in it.rows])
    tax = taxonomy(items)
    main_roles, fine_roles = list(MAIN_ROLES), list(tax)
    fine_index = {f: j for j, f in enumerate(fine_roles)}
    y_main = np.array([main_roles.index(r.main_role) for r in rows])
    print("split sizes:", {l: dict(Counter(split[lang == l])) for l in eval_langs})

    tr = (split == "train") & np.isin(lang, list(train_langs))
    mean, scale = x[tr].mean(axis=0), x[tr].std(axis=0) + 1e-3
    z = (x - mean) / scale
    from narrascope.detect.roles import RoleModel

    def evaluate(model: RoleModel, mask: np.ndarray) -> dict:
        main_p, fine_p = model.probabilities(x[mask])
        idx = np.nonzero(mask)[0]
        preds = []
        for i, mp, fp in zip(idx, main_p, fine_p):
            p = model.decide(0, 1, mp, fp)
            preds.append(RoleRow(rows[i].doc, "", rows[i].start, rows[i].end, p.main_role, p.fine_roles))
        return role_scores([rows[i] for i in idx], preds)

    def build(c_main: float, c_fine: float, mix: float, ratio: float, mask: np.ndarray):
        main_lr = fit_lr(z[mask], y_main[mask], c_main)
        ri, yi, wi = fine_training_rows([rows[i] for i in np.nonzero(mask)[0]], fine_index)
        fine_lr = fit_lr(z[mask][ri], yi, c_fine, wi)
        return main_lr, fine_lr

    def as_model(main_lr, fine_lr, mix, ratio) -> tuple[RoleModel, dict]:
        config = {"main_roles": main_roles, "fine_roles": fine_roles, "taxonomy": tax, "main_mix": mix, "second_ratio": ratio}
        arrays = {"mean": mean, "scale": scale}
        mc = np.zeros((3, x.shape[1])); mi = np.zeros(3)
        for k, cls in enumerate(main_lr.classes_):
            mc[int(cls)], mi[int(cls)] = main_lr.coef_[k], main_lr.intercept_[k]
        fc = np.zeros((len(fine_roles), x.shape[1])); fi = np.full(len(fine_roles), -30.0)
        for k, cls in enumerate(fine_lr.classes_):
            fc[int(cls)], fi[int(cls)] = fine_lr.coef_[k], fine_lr.intercept_[k]
        arrays.update(main_coef=mc, main_intercept=mi, fine_coef=fc, fine_intercept=fi)
        return RoleModel(arrays, config), config

    val_en = (split == "val") & (lang == "EN")
    best = None
    for c_main in (0.0005, 0.002, 0.01):
        for c_fine in (0.002, 0.01):
            main_lr, fine_lr = build(c_main, c_fine, 0, 1.01, tr)
            for mix in (0.0, 0.5):
                for ratio in (1.01, 1.5):
                    model, _ = as_model(main_lr, fine_lr, mix, ratio)
                    s = evaluate(model, val_en)
                    key = s["exact_match"] + s["main_accuracy"]
                    print(f"C_main={c_main} C_fine={c_fine} mix={mix} ratio={ratio}: val EN main {s['main_accuracy']:.3f} exact {s['exact_match']:.3f} micro {s['fine_micro_f1']:.3f}", flush=True)
                    if best is None or key > best[0]:
                        best = (key, c_main, c_fine, mix, ratio, main_lr, fine_lr)
    _, c_main, c_fine, mix, ratio, main_lr, fine_lr = best
    print(f"chosen: C_main={c_main} C_fine={c_fine} mix={mix} ratio={ratio}")
    model, config = as_model(main_lr, fine_lr, mix, ratio)
    report = {}
    for part in ("val", "test") if args.test else ("val",):
        for l in eval_langs:
            report[f"{part}/{l}"] = evaluate(model, (split == part) & (lang == l))
    for k, v in report.items():
        print(f"{k}: n={v['mentions']} main {v['main_accuracy']:.3f} exact {v['exact_match']:.3f} micro {v['fine_micro_f1']:.3f} macro {v['fine_macro_f1']:.3f}")
    config.update({
        "encoder": ENCODER_VERSION, "languages": ["en"], "trained_on": sorted(train_langs),
        "C_main": c_main, "C_fine": c_fine, "features": "mention, sentence, +-200-char window, document (4 x 384, standardised)",
    })
    export(Path(args.out), mean, scale, main_lr, fine_lr, main_roles, fine_roles, config)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
