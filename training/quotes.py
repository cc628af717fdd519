"""Train the quote scorer and write ``src/narrascope/models/quotes/model.json``.

    python training/quotes.py            # fit on PolNeAR train, tune the threshold on a held-out train slice
    python training/quotes.py --report-dev   # also score PolNeAR dev once with the written model

PolNeAR train is split by a salted hash of the article name: 80 % "fit" (cue
words learned beyond the lexicon, per-cue priors, the logistic regression), 20 %
"tune" (the score threshold). PolNeAR dev is never used for any choice; it is
scored once, at the end, for the model card.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

from narrascope.nlp.quotes import (
    AUX_WORDS,
    Attribution,
    QuoteModel,
    cue_forms,
    extract_quotes,
    polnear_documents,
    score_quotes,
    word_set,
)

ROOT = Path(__file__).resolve().parents[1]
POLNEAR = ROOT.parent / "shared" / "data" / "polnear"
OUT = ROOT / "src" / "narrascope" / "models" / "quotes"
MIN_COUNT = 8  # a gold cue word seen fewer times in "fit" is not learned
MIN_SHARE = 0.15  # ... nor one that is a cue in fewer than 15 % of its occurrences


def split_of(name: str) -> str:
    return "tune" if int(hashlib.sha256(f"quotes-tune:{name}".encode()).hexdigest(), 16) % 5 == 0 else "fit"


def learned_cue_forms(docs) -> dict[str, str]:
    """Head words of gold cues that the lexicon lacks, frequent and reliable enough in the fit articles."""
    known = cue_forms()
    as_cue: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    for _, text, gold in docs:
        for w in re.findall(r"[a-z]+", text.lower()):
            seen[w] += 1
        for g in gold:
            if g.cue is None:
                continue
            words = [w for w in re.findall(r"[\w’']+", text[g.cue[0]:g.cue[1]].lower()) if w not in AUX_WORDS]
            if words and words[0].isalpha() and words[0] not in known and not words[0].endswith("ly"):
                as_cue[words[0]] += 1
    return {w: w for w, n in as_cue.items() if n >= MIN_COUNT and n / max(seen[w], 1) >= MIN_SHARE}


def labelled_frames(docs, model: QuoteModel) -> list[tuple[Attribution, int]]:
    """Every rule frame in the docs, labelled 1 when it matches a gold content (word-overlap F1 >= 0.5)."""
    out = []
    for _, text, gold in docs:
        gw = [word_set(text, g.parts or [g.content]) for g in gold]
        for att in extract_quotes(text, None, None, model):
            w = word_set(text, [att.content])
            best = max((2 * len(w & g) / (len(w) + len(g)) for g in gw if w or g), default=0.0)
            out.append((att, int(best >= 0.5)))
    return out


def cue_priors(frames: list[tuple[Attribution, int]], strength: float = 2.0) -> tuple[dict[str, float], float]:
    base = sum(y for _, y in frames) / max(len(frames), 1)
    n: Counter[str] = Counter()
    pos: Counter[str] = Counter()
    for att, y in frames:
        if att.cue_form:
            n[att.cue_form] += 1
            pos[att.cue_form] += y
    return {f: round((pos[f] + strength * base) / (n[f] + strength), 4) for f in n}, round(base, 4)


def fit_scorer(frames: list[tuple[Attribution, int]], model: QuoteModel) -> tuple[dict[str, float], float]:
    from sklearn.linear_model import LogisticRegression

    rows = [model.features(att) for att, _ in frames]
    names = sorted({k for r in rows for k in r})
    x = np.array([[r.get(k, 0.0) for k in names] for r in rows])
    y = np.array([lab for _, lab in frames])
    clf = LogisticRegression(C=1.0, max_iter=2000).fit(x, y)
    return {k: round(float(w), 5) for k, w in zip(names, clf.coef_[0])}, round(float(clf.intercept_[0]), 5)


def score_docs(docs, model: QuoteModel):
    return score_quotes((text, gold, extract_quotes(text, None, None, model)) for _, text, gold in docs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polnear", type=Path, default=POLNEAR)
    parser.add_argument("--report-dev", action="store_true", help="score PolNeAR dev once with the written model")
    args = parser.parse_args()
    t0 = time.time()
    train = polnear_documents(args.polnear / "train")
    fit = [d for d in train if split_of(d[0]) == "fit"]
    tune = [d for d in train if split_of(d[0]) == "tune"]
    print(f"PolNeAR train: {len(fit)} fit / {len(tune)} tune articles")

    rules = QuoteModel.rules_only()
    print("rules only, tune:", score_docs(tune, rules).as_dict())
    extra = learned_cue_forms(fit)
    print(f"{len(extra)} cue words learned beyond the lexicon:", " ".join(sorted(extra)))
    widened = QuoteModel.rules_only(extra)
    print("rules + learned cue words, tune:", score_docs(tune, widened).as_dict())

    frames = labelled_frames(fit, widened)
    priors, base = cue_priors(frames)
    model = QuoteModel(priors, base, {}, 0.0, 0.0, extra)
    model.weights, model.bias = fit_scorer(frames, model)
    print(f"{len(frames)} frames in fit, {sum(y for _, y in frames)} right; weights {model.weights}")

    best = (-1.0, 0.0)
    for thr in np.arange(0.0, 0.75, 0.05):
        model.threshold = float(round(thr, 2))
        f1 = score_docs(tune, model).overlap_f1
        print(f"  threshold {model.threshold:.2f}: tune overlap F1 {f1:.4f}")
        best = max(best, (f1, model.threshold))
    model.threshold = best[1]
    print("chosen threshold", model.threshold, "tune:", score_docs(tune, model).as_dict())

    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "model.json").write_text(json.dumps(model.to_json(), ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {OUT / 'model.json'} in {time.time() - t0:.0f} s")
    if args.report_dev:
        dev = polnear_documents(args.polnear / "dev")
        print("DEV (reported once):", score_docs(dev, model).as_dict())
        print("DEV rules only:", score_docs(dev, rules).as_dict())


if __name__ == "__main__":
    sys.exit(main())
