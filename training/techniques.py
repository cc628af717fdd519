"""Train the persuasion-technique head and write ``src/narrascope/models/techniques/``.

    python training/encode_cache.py      # once: the shared encoder pass (cached in .cache/)
    python training/techniques.py        # head, LoRA adapters, thresholds and span classifiers
    python training/techniques.py --reuse-head   # keep head and adapters, redo the TF-IDF layer, thresholds and span classifiers
    python training/techniques.py --no-tfidf     # without the word n-gram layer (head and embeddings only)
    python training/techniques.py --no-branch    # the head on the shared pass, no adapted top layers
    python training/techniques.py --cuts-only    # keep every file but model.json's line cuts, tuned again on val

Steps: (1) the head on the shared (frozen) pass; (2) LoRA adapters of the encoder's
top layers trained together with that head (``techniques_branch.py``); (3) on the
adapted encoding, the TF-IDF layer, the cuts and the span classifiers.
Trains on the "train" split, tunes epochs, thresholds and the TC regulariser on
"val" (see ``techniques_data.split_of``); never looks at "test".
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from encode_cache import encode_cached  # noqa: E402
from techniques_data import Article, load_corpus, ptc_spans_on_2023_text, sentence_per_line  # noqa: E402
from techniques_data import CACHE  # noqa: E402
from techniques_tfidf import fit_vocabulary, terms_of, train_sentence_classifiers  # noqa: E402

from narrascope.detect.techniques import (  # noqa: E402
    ANY,
    TechniqueModel,
    TfidfVocabulary,
    build_head,
    line_scores,
    mix_token_max,
    sentence_token_max,
    span_features,
    technique_table,
)
from narrascope.nlp.encoder import EncodedText  # noqa: E402
from narrascope.nlp.sentences import split_sentences  # noqa: E402
from narrascope.semeval import (  # noqa: E402
    TechniqueSpan,
    line_spans,
    paragraph_labels_from_spans,
    span_scores,
)

OUT = Path(__file__).resolve().parents[1] / "src" / "narrascope" / "models" / "techniques"
HEAD = {"dim_in": 384, "dim_proj": 160, "width": 3}
CHUNK = 512
SEED = 13


def labels() -> list[str]:
    return [*technique_table(), ANY]


def base_config(names: list[str]) -> dict:
    """model.json before anything is tuned: labels, the head's shape, the span decoder's gap."""
    return {"labels": names, "head": HEAD, "max_gap": 2, "line_thresholds": {}}


def token_targets(enc: EncodedText, spans: list[TechniqueSpan], names: list[str]) -> np.ndarray:
    y = np.zeros((len(enc.offsets), len(names)), dtype=np.float32)
    col = {n: j for j, n in enumerate(names)}
    for s in spans:
        idx = enc.tokens_in(s.start, s.end)
        y[idx, col[s.technique]] = 1.0
        y[idx, col[ANY]] = 1.0
    return y


def sentence_targets(enc: EncodedText, text: str, spans: list[TechniqueSpan], names: list[str]):
    """Token ranges of the sentences and their technique sets."""
    col = {n: j for j, n in enumerate(names)}
    ranges, ys = [], []
    for s, e in split_sentences(text):
        idx = enc.tokens_in(s, e)
        if not len(idx):
            continue
        y = np.zeros(len(names), dtype=np.float32)
        for sp in spans:
            if sp.start < e and sp.end > s and text[max(s, sp.start) : min(e, sp.end)].strip():
                y[col[sp.technique]] = 1.0
                y[col[ANY]] = 1.0
        ranges.append((int(idx[0]), int(idx[-1]) + 1))
        ys.append(y)
    return ranges, np.array(ys, dtype=np.float32).reshape(-1, len(names))


def make_chunks(items, rng: np.random.Generator):
    """Pieces of at most CHUNK tokens at a random phase, with the sentences wholly inside them."""
    chunks = []
    for x, y, ranges, ys in items:
        n = len(x)
        phase = int(rng.integers(0, CHUNK)) if n > CHUNK else 0
        cuts = [0, *range(phase, n, CHUNK)[1 if phase == 0 else 0 :], n]
        cuts = sorted(set(c for c in cuts if 0 <= c <= n))
        for a, b in zip(cuts, cuts[1:]):
            if b - a < 8:
                continue
            sents = [(s - a, e - a, ys[k]) for k, (s, e) in enumerate(ranges) if s >= a and e <= b]
            chunks.append((x[a:b], y[a:b], sents))
    return chunks


def train_head(train_items, val_items, names, epochs: int = 12, log=print):
    import torch

    torch.set_num_threads(1)  # leave a core to the others on the shared machine
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    head = build_head(len(names), **HEAD)
    opt = torch.optim.AdamW(head.parameters(), lr=2e-3, weight_decay=1e-4)
    bce = torch.nn.BCEWithLogitsLoss()
    best, best_state = float("inf"), None
    for epoch in range(epochs):
        head.train()
        chunks = make_chunks(train_items, rng)
        order = rng.permutation(len(chunks))
        t0, total = time.perf_counter(), 0.0
        for b in range(0, len(order), 16):
            batch = [chunks[k] for k in order[b : b + 16]]
            loss = _batch_loss(head, batch, bce, len(names))
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(head.parameters(), 1.0)
            opt.step()
            total += float(loss.detach()) * len(batch)
        head.eval()
        with torch.no_grad():
            val_chunks = make_chunks(val_items, np.random.default_rng(0))
            val = sum(float(_batch_loss(head, val_chunks[b : b + 32], bce, len(names))) * len(val_chunks[b : b + 32]) for b in range(0, len(val_chunks), 32)) / len(val_chunks)
        log(f"epoch {epoch + 1}: train loss {total / len(chunks):.4f}  val loss {val:.4f}  ({time.perf_counter() - t0:.0f}s)")
        if val < best:
            best, best_state = val, {k: v.detach().clone() for k, v in head.state_dict().items()}
    head.load_state_dict(best_state)
    head.eval()
    return head


def _batch_loss(head, batch, bce, n_out):
    import torch

    longest = max(len(x) for x, _, _ in batch)
    X = torch.zeros(len(batch), longest, 384)
    Y = torch.zeros(len(batch), longest, n_out)
    M = torch.zeros(len(batch), longest, 1)
    ranges, ys = [], []
    for r, (x, y, sents) in enumerate(batch):
        X[r, : len(x)] = torch.from_numpy(x)
        Y[r, : len(y)] = torch.from_numpy(y)
        M[r, : len(x)] = 1
        for s, e, ysent in sents:
            ranges.append((r, s, e))
            ys.append(ysent)
    logits, h = head(X)
    token_loss = (torch.nn.functional.binary_cross_entropy_with_logits(logits, Y, reduction="none") * M).sum() / (M.sum() * n_out)
    if not ranges:
        return token_loss
    sent_loss = bce(head.sentence_logits(h, ranges), torch.from_numpy(np.stack(ys)))
    return token_loss + sent_loss


# -- threshold tuning -----------------------------------------------------------
def best_threshold(scores: np.ndarray, gold: np.ndarray, default: float = 0.5) -> float:
    """The cut maximising F1 of one label (``default`` when validation has too few positives)."""
    if gold.sum() < 3:
        return default
    best_f, best_t = -1.0, default
    for t in np.arange(0.05, 0.91, 0.025):
        pred = scores >= t
        tp = float((pred & gold).sum())
        f = 2 * tp / (pred.sum() + gold.sum()) if pred.sum() + gold.sum() else 0.0
        if f > best_f:
            best_f, best_t = f, float(t)
    return best_t


# Weight of the token layer's maximum in a sentence's line score (the rest is the sentence layer),
# per layout. Chosen on validation alone, like the cut pull: tuning on half of the validation
# articles and scoring the other half (80 splits), 0.2 gained +0.0054 +- 0.0010 micro-F1 on
# sentence lines (0.4: +0.004, 0.6: +0.002, token layer alone: -0.008) and -0.0005 on paragraph lines.
SENTENCE_LINE_TOKEN_WEIGHT = 0.2
LINE_TOKEN_WEIGHT = 0.0
# Weight of the spans found in a line (P(span) x P(technique | span), TechniqueModel.line_span_scores)
# in its score, after the token mix. Chosen the same way: 0.2 gained +0.0043 +- 0.0008 on sentence
# lines (0.4: +0.0015, max of both: -0.009) and lost 0.005 on paragraph lines.
SENTENCE_LINE_SPAN_WEIGHT = 0.2
LINE_SPAN_WEIGHT = 0.0


def line_sentence_scores(model: TechniqueModel, articles: list[Article], encoded: dict[str, EncodedText], per_line: bool):
    """Sentence probabilities of the head and of the TF-IDF layer, each technique's highest token
    probability in each sentence, each sentence's line row, gold line labels, and each line's article
    (its index in ``articles``)."""
    names = model.labels
    heads, words, tokens, line_of, gold_rows, article_of, from_spans = [], [], [], [], [], [], []
    for number_of_article, a in enumerate(articles):
        text = sentence_per_line(a.text) if per_line else a.text
        pred = model.predict(encoded[a.id], split_sentences(text))
        t = model.sentence_tfidf_probs([text[s:e] for s, e in pred.sentences])
        m = sentence_token_max(pred)
        gold = paragraph_labels_from_spans({a.id: text}, a.spans)
        starts = np.array([s for s, _ in pred.sentences])
        lines = line_spans(text)
        if has_span_classifier(model):
            from_spans.append(model.line_span_scores(encoded[a.id], pred, text, [(ls, le) for _, ls, le in lines]))
        for number, ls, le in lines:
            k = np.nonzero((starts >= ls) & (starts < le))[0]
            heads.append(pred.sentence_probs[k])
            words.append(t[k] if t is not None else np.zeros((len(k), len(names) - 1)))
            tokens.append(m[k])
            line_of.append(np.full(len(k), len(gold_rows)))
            g = gold[(a.id, number)]
            gold_rows.append([n in g for n in names])
            article_of.append(number_of_article)
    return (np.vstack(heads), np.vstack(words), np.vstack(tokens), np.concatenate(line_of), np.array(gold_rows, dtype=bool),
            np.array(article_of), np.vstack(from_spans) if from_spans else None)


def has_span_classifier(model: TechniqueModel) -> bool:
    """Whether the model classifies spans yet (not during the adapters' epoch choice)."""
    return "2023_coef" in (model.span_classifiers or {})


GRID = np.arange(0.05, 0.91, 0.025)


def micro_thresholds(scores: np.ndarray, gold: np.ndarray, start: np.ndarray, rounds: int = 3) -> np.ndarray:
    """Per-technique cuts raising micro-F1 over all techniques (coordinate ascent from ``start``).

    Techniques with fewer than 3 validation lines keep their ``start`` cut.
    """
    k = scores.shape[1]
    cuts = np.append(GRID, 1.1)  # the last cut never fires
    # tp and predicted counts of every technique at every cut, once
    tp = np.array([[float(((scores[:, j] >= t) & gold[:, j]).sum()) for t in cuts] for j in range(k)])
    npred = np.array([[float((scores[:, j] >= t).sum()) for t in cuts] for j in range(k)])
    n_gold = float(gold.sum())
    cut = np.array([int(np.argmin(np.abs(cuts - s))) for s in start])
    rows = np.arange(k)

    def f1(c):
        return 2 * tp[rows, c].sum() / (npred[rows, c].sum() + n_gold)

    for _ in range(rounds):
        for j in np.nonzero(gold.sum(axis=0) >= 3)[0]:
            best = (f1(cut), cut[j])
            for c in range(len(cuts)):
                cut[j] = c
                best = max(best, (f1(cut), c))
            cut[j] = best[1]
    return np.where(gold.sum(axis=0) >= 3, cuts[cut], start)


CUT_SHRINK = 0.5  # weight of each technique's own tuned cut against the one global cut (see shrink_cuts)


def shrink_cuts(cuts: np.ndarray, global_cut: float, weight: float = CUT_SHRINK) -> np.ndarray:
    """Each technique's tuned cut pulled halfway to the global one (a cut that switched a technique off
    counts as the top of the grid). Chosen on validation alone: tuning on half of the validation
    articles and scoring on the other half (80 splits), the pulled cuts beat the tuned ones by
    +0.006 micro-F1 on sentence lines and on paragraph lines (docs/models/techniques.md)."""
    return weight * np.minimum(cuts, GRID[-1]) + (1 - weight) * global_cut


def micro_f1(scores: np.ndarray, gold: np.ndarray, thresholds: np.ndarray) -> float:
    pred = scores >= thresholds
    return float(2 * (pred & gold).sum() / max(pred.sum() + gold.sum(), 1))


def tuned_cuts(S: np.ndarray, G: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(cuts as tuned for micro-F1, each technique's best-F1 cut, cuts pulled to the global cut)."""
    k = S.shape[1]
    global_t = best_threshold(S.ravel(), G.ravel())
    start = np.array([best_threshold(S[:, j], G[:, j], default=max(global_t, 0.5)) for j in range(k)])
    tuned = micro_thresholds(S, G, start)
    return tuned, start, shrink_cuts(tuned, global_t)


WEIGHT_TIE = 0.002  # sum of both layouts' half-split micro-F1; paired differences have a standard error of ~0.001 each
HALF_SPLITS = 40  # random halves of the validation articles (each used both ways) for choices above the cuts


def half_split_f1(S: np.ndarray, G: np.ndarray, article_of: np.ndarray, seed: int = 0) -> float:
    """Mean micro-F1 on one half of the validation articles with the cuts tuned (and pulled) on
    the other half: how the cutting procedure does on articles it was not tuned on."""
    rng = np.random.default_rng(seed)
    ids = np.unique(article_of)
    scores = []
    for _ in range(HALF_SPLITS):
        perm = rng.permutation(ids)
        half = np.isin(article_of, perm[: len(ids) // 2])
        for tune, held in ((half, ~half), (~half, half)):
            scores.append(micro_f1(S[held], G[held], tuned_cuts(S[tune], G[tune])[2]))
    return float(np.mean(scores))


def tune_line_decisions(model: TechniqueModel, articles, encoded, log=print, encoded_lines=None, weight_on_halves: bool = True) -> dict:
    """Blend weight of the TF-IDF layer and per-technique line thresholds for each layout, on validation.

    ``encoded_lines``: the encodings of the sentence-per-line renderings (what the stage computes
    for such a file: its windows pack other lines); without it the paragraph encoding stands in.
    The blend weight is the one whose cuts do best on validation halves they were not tuned on
    (``half_split_f1``; in-sample F1 when ``weight_on_halves`` is False, as the adapters' epoch
    choice uses it); the cuts are then tuned on all validation articles and pulled to the global cut.
    """
    layouts = {per_line: line_sentence_scores(model, articles, (encoded_lines or encoded) if per_line else encoded, per_line)
               for per_line in (True, False)}
    k = len(model.labels) - 1
    results = []
    weights = (0.0, 0.2, 0.35, 0.5, 0.65) if model.tfidf is not None else (0.0,)
    for w in weights:
        result = {"weight": w}
        for per_line, (H, T, M, line_of, gold, article_of, P) in layouts.items():
            # as TechniqueModel.line_techniques scores a line: the TF-IDF blend, the token layer, then the spans
            # (line_scores is the stage's own function)
            mixed = mix_token_max((1 - w) * H[:, :k] + w * T[:, :k], M[:, :k], SENTENCE_LINE_TOKEN_WEIGHT if per_line else LINE_TOKEN_WEIGHT)
            S = line_scores(mixed, line_of, len(gold), P[:, :k] if P is not None else None,
                            SENTENCE_LINE_SPAN_WEIGHT if per_line else LINE_SPAN_WEIGHT)
            G = gold[:, :k]
            tuned, start, th = tuned_cuts(S, G)
            halves = half_split_f1(S, G, article_of) if weight_on_halves and len(weights) > 1 else float("nan")
            result[per_line] = (micro_f1(S, G, tuned), micro_f1(S, G, start), th, micro_f1(S, G, th), halves)
        log(f"tf-idf weight {w}: val paragraph micro-F1 sentence lines {result[True][0]:.3f} (per-technique cuts {result[True][1]:.3f}, "
            f"pulled to the global cut {result[True][3]:.3f}, tuned on the other half {result[True][4]:.4f}), "
            f"paragraph lines {result[False][0]:.3f} ({result[False][1]:.3f}, {result[False][3]:.3f}, {result[False][4]:.4f})")
        idx = 4 if weight_on_halves and len(weights) > 1 else 0
        results.append((result[True][idx] + result[False][idx], result))
    # the smallest weight within WEIGHT_TIE of the best: smaller gaps are noise on 55 articles
    top = max(score for score, _ in results)
    result = next(r for score, r in results if score >= top - (WEIGHT_TIE if weight_on_halves else 0.0))
    names = model.labels[:k]
    return {
        "tfidf_sentence_weight": result["weight"],
        "sentence_line_thresholds": {n: round(float(t), 3) for n, t in zip(names, result[True][2])},
        "line_thresholds": {n: round(float(t), 3) for n, t in zip(names, result[False][2])},
        "cut_shrink": CUT_SHRINK,
        "sentence_line_token_weight": SENTENCE_LINE_TOKEN_WEIGHT,
        "line_token_weight": LINE_TOKEN_WEIGHT,
        "sentence_line_span_weight": SENTENCE_LINE_SPAN_WEIGHT if has_span_classifier(model) else 0.0,
        "line_span_weight": LINE_SPAN_WEIGHT if has_span_classifier(model) else 0.0,
        # in-sample: the cuts as tuned, and as shipped (pulled to the global cut)
        "val_micro_f1": {"sentence_lines": round(result[True][0], 4), "paragraph_lines": round(result[False][0], 4)},
        "val_micro_f1_shipped_cuts": {"sentence_lines": round(result[True][3], 4), "paragraph_lines": round(result[False][3], 4)},
        "val_micro_f1_half_splits": {"sentence_lines": round(result[True][4], 4), "paragraph_lines": round(result[False][4], 4)},
    }


def tune_span_threshold(model, articles, encoded) -> tuple[float, bool]:
    """The "any technique" cut, and whether runs in one sentence join into one span, that maximise
    SI F1 against the 2020 spans of the validation articles."""
    arts = [a for a in articles if a.ptc_text]
    preds = {a.id: model.predict(encoded[a.id], split_sentences(a.text)) for a in arts}
    gold = [TechniqueSpan(a.id, s.start, s.end) for a in arts for s in ptc_spans_on_2023_text(a)]
    best = (-1.0, 0.5, False)
    for merge in (False, True):
        model.config["si_join_runs_in_sentence"] = merge
        for t in np.arange(0.1, 0.71, 0.025):
            model.span_threshold = float(t)
            pred = [TechniqueSpan(a.id, s, e) for a in arts for s, e, _ in model.propaganda_spans(preds[a.id], a.text)]
            f = span_scores(gold, pred)["f1"]
            if f > best[0]:
                best = (f, float(t), merge)
        print(f"runs joined in a sentence: {merge}: best val SI F1 so far {best[0]:.4f} at cut {best[1]:.3f}", flush=True)
    _, model.span_threshold, model.config["si_join_runs_in_sentence"] = best
    return round(best[1], 3), best[2]


def tune_quoted_span_threshold(model, articles, encoded) -> float:
    """The cut for short quoted phrases (scare quotes) that maximises SI F1 on validation; 1.1 = off."""
    arts = [a for a in articles if a.ptc_text]
    preds = {a.id: model.predict(encoded[a.id], split_sentences(a.text)) for a in arts}
    gold = [TechniqueSpan(a.id, s.start, s.end) for a in arts for s in ptc_spans_on_2023_text(a)]
    best = (-1.0, 1.1)
    for t in (1.1, *np.arange(0.0, model.span_threshold, 0.025)):
        model.config["quoted_span_threshold"] = float(t)
        pred = [TechniqueSpan(a.id, s, e) for a in arts for s, e, _ in model.propaganda_spans(preds[a.id], a.text)]
        f = span_scores(gold, pred)["f1"]
        print(f"quoted-phrase cut {t:.3f}: val SI F1 {f:.4f}")
        if f > best[0] + 1e-4:
            best = (f, float(t))
    model.config["quoted_span_threshold"] = round(best[1], 3)
    return round(best[1], 3)


def tune_technique_span_floor(model, articles, encoded) -> float:
    """The least score a labelled span needs, maximising 2023 span F1 (technique-aware) on validation."""
    preds = {a.id: model.predict(encoded[a.id], split_sentences(a.text)) for a in articles}
    gold = [s for a in articles for s in a.spans]
    best = (-1.0, 0.0, 1.0)
    for second in (0.2, 0.3, 0.4, 1.0):
        for t in np.arange(0.0, 0.5, 0.02):
            model.config.update(technique_span_min_score=float(t), technique_second_label_min=second)
            pred_spans = [TechniqueSpan(a.id, s, e, label) for a in articles for s, e, label, _ in model.technique_spans(encoded[a.id], preds[a.id], a.text)]
            f = span_scores(gold, pred_spans, use_techniques=True)["f1"]
            best = max(best, (f, float(t), second))
    f, floor, second = best
    print(f"technique span floor {floor:.2f}, second label at {second}: val span F1 {f:.3f}")
    model.config.update(technique_span_min_score=round(floor, 3), technique_second_label_min=second)
    return round(floor, 3), second


# -- span classifiers (2023 scheme for the stage, 2020 scheme for TC) ---------------
def span_data(articles, encoded, scheme: str):
    X, y, texts = [], [], []
    for a in articles:
        spans = a.spans if scheme == "2023" else ptc_spans_on_2023_text(a)
        for s in spans:
            X.append(span_features(encoded[a.id], a.text, s.start, s.end))
            y.append(s.technique)
            texts.append(a.text[s.start : s.end])
    return np.array(X), np.array(y), texts


def train_span_classifier(train, val, encoded, scheme: str, vec=None, log=print):
    """Multinomial logistic regression over span_features (+ the span's TF-IDF when ``vec``), C and TF-IDF scale tuned on val."""
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    Xt, yt, tt = span_data(train, encoded, scheme)
    Xv, yv, tv = span_data(val, encoded, scheme)
    scaler = StandardScaler().fit(Xt)
    Zt, Zv = scaler.transform(Xt), scaler.transform(Xv)
    Wt, Wv = (vec.transform(tt), vec.transform(tv)) if vec is not None else (None, None)
    best = (-1.0, None, None, None)
    for scale in ((0.0, 8.0) if vec is not None else (0.0,)):
        At = sparse.hstack([Zt, scale * Wt]).tocsr() if scale else Zt
        Av = sparse.hstack([Zv, scale * Wv]).tocsr() if scale else Zv
        for C in (0.003, 0.01):
            clf = LogisticRegression(C=C, max_iter=3000).fit(At, yt)
            acc = float((clf.predict(Av) == yv).mean())
            log(f"span classifier {scheme} C={C} tf-idf scale {scale}: val accuracy {acc:.3f}")
            if acc > best[0]:
                best = (acc, C, scale, clf)
    acc, C, scale, clf = best
    d = Xt.shape[1]
    # Fold the scaler into the weights so inference is one matrix product.
    coef = clf.coef_[:, :d] / scaler.scale_
    intercept = clf.intercept_ - (clf.coef_[:, :d] * scaler.mean_ / scaler.scale_).sum(axis=1)
    weights = {f"{scheme}_coef": coef.astype(np.float32), f"{scheme}_intercept": intercept.astype(np.float32)}
    if scale:
        weights[f"{scheme}_tfidf_coef"] = (scale * clf.coef_[:, d:]).astype(np.float16)
    return weights, [str(c) for c in clf.classes_], {"C": C, "tfidf_scale": scale, "val_accuracy": round(acc, 4)}


def adapted_encodings(model: TechniqueModel, articles: list[Article], batch: int = 8, render=None) -> dict[str, EncodedText]:
    """Each article (``render(text)`` of it, if given) through the model's adapted branch, exactly as the stage computes it."""
    from narrascope.document import Document

    out: dict[str, EncodedText] = {}
    t0 = time.perf_counter()
    for b in range(0, len(articles), batch):
        docs = [Document(source=a.id, text=render(a.text) if render else a.text, id=a.id, language="en") for a in articles[b : b + batch]]
        for a, e in zip(articles[b : b + batch], model.encode(docs)):
            out[a.id] = e
    print(f"adapted encoding of {len(articles)} articles: {time.perf_counter() - t0:.0f}s", flush=True)
    return out


def retune_cuts() -> None:
    """Only the line cuts (and the TF-IDF blend weight) of the shipped model, tuned again on validation."""
    from narrascope.detect.techniques import get_model

    model = get_model()
    val = [a for a in load_corpus() if a.split == "val"]
    encoded = adapted_encodings(model, val)
    encoded_lines = adapted_encodings(model, val, render=sentence_per_line)
    config = json.loads((OUT / "model.json").read_text(encoding="utf-8"))
    config.update(tune_line_decisions(model, val, encoded, encoded_lines=encoded_lines))
    (OUT / "model.json").write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")
    print(f"wrote the line cuts to {OUT / 'model.json'}")


def main(reuse_head: bool = False, use_tfidf: bool = True, branch: bool = True) -> None:
    t_start = time.perf_counter()
    articles = [a for a in load_corpus() if a.split != "test"]  # training never reads the test articles
    names = labels()
    enc_list = encode_cached([a.text for a in articles])
    encoded = {a.id: e for a, e in zip(articles, enc_list)}
    train = [a for a in articles if a.split == "train"]
    val = [a for a in articles if a.split == "val"]
    print(f"{len(train)} train, {len(val)} validation articles")

    def items(arts):
        out = []
        for a in arts:
            e = encoded[a.id]
            ranges, ys = sentence_targets(e, a.text, a.spans, names)
            out.append((e.token_embeddings.astype(np.float32), token_targets(e, a.spans, names), ranges, ys))
        return out

    OUT.mkdir(parents=True, exist_ok=True)
    adapters = None
    if reuse_head:  # retrain only what sits on top of the head
        with open(OUT / "head.npz", "rb") as fh:
            weights = dict(np.load(fh))
        config = json.loads((OUT / "model.json").read_text(encoding="utf-8"))
        if "branch" in config:
            with open(OUT / "adapters.npz", "rb") as fh:
                adapters = dict(np.load(fh))
    else:
        head = train_head(items(train), items(val), names)
        weights = {k: v.detach().numpy().astype(np.float16) for k, v in head.state_dict().items()}
        np.savez_compressed(CACHE / "frozen_head.npz", **weights)  # techniques_branch.py starts from it
        config = base_config(names)
        if branch:
            from techniques_branch import train_branch

            adapters, weights, config["branch"] = train_branch(train, val, names, weights)
        np.savez_compressed(OUT / "head.npz", **weights)  # so --reuse-head can pick up from here
        if adapters is not None:
            np.savez_compressed(OUT / "adapters.npz", **adapters)
        (OUT / "model.json").write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")
    if adapters is None:
        (OUT / "adapters.npz").unlink(missing_ok=True)
    model = TechniqueModel({k: v.astype(np.float32) for k, v in weights.items()}, config, adapters=adapters)
    if adapters is not None:  # everything above the head reads the adapted encoding
        encoded = adapted_encodings(model, articles)

    span_weights: dict[str, np.ndarray] = {}
    vec, terms = None, None
    if use_tfidf:
        vec = fit_vocabulary(train)
        terms = terms_of(vec)
        line_coef, line_intercept = train_sentence_classifiers(vec, train, names[:-1])
        span_weights.update(tfidf_idf=vec.idf_.astype(np.float32), line_tfidf_coef=line_coef.astype(np.float16), line_tfidf_intercept=line_intercept)
        model.span_classifiers = {k: v.astype(np.float32) for k, v in span_weights.items()}
        model.tfidf = TfidfVocabulary(terms, vec.idf_)
        print(f"tf-idf vocabulary: {len(terms)} word 1-2-grams")
    for key in ("tfidf_sentence_weight", "sentence_line_thresholds", "val_micro_f1"):
        config.pop(key, None)
    if adapters is not None:
        encoded_lines = adapted_encodings(model, val, render=sentence_per_line)
    else:
        encoded_lines = dict(zip([a.id for a in val], encode_cached([sentence_per_line(a.text) for a in val])))
    model.config = config
    config["span_threshold"], config["si_join_runs_in_sentence"] = tune_span_threshold(model, val, encoded)
    config["quoted_span_threshold"] = tune_quoted_span_threshold(model, val, encoded)
    config["span_classifiers"], config["span_classifier_info"] = {}, {}
    for scheme, arts_train, arts_val in (("2023", train, val), ("2020", [a for a in train if a.ptc_text], [a for a in val if a.ptc_text])):
        w, classes, info = train_span_classifier(arts_train, arts_val, encoded, scheme, vec)
        span_weights.update(w)
        config["span_classifiers"][scheme] = classes
        config["span_classifier_info"][scheme] = info
    model.span_classifiers = {k: v.astype(np.float32) for k, v in span_weights.items()}
    config["technique_span_min_score"], config["technique_second_label_min"] = tune_technique_span_floor(model, val, encoded)
    # the line decisions last: on sentence lines they read the spans found in a line
    config.update(tune_line_decisions(model, val, encoded, encoded_lines=encoded_lines))
    config.pop("span_thresholds", None)
    config.pop("tc", None)
    config["training"] = {
        "data": "../shared/data: semeval2023t3-en train spans (head, 2023 span classifier, tf-idf layer); ptc train spans (2020 TC classifier, SI threshold)",
        "split": "training/techniques_data.py split_of: sha1 of the article id, 70/15/15 train/val/test",
        "train_articles": len(train),
        "val_articles": len(val),
        "seconds": round(time.perf_counter() - t_start),
    }
    np.savez_compressed(OUT / "head.npz", **weights)
    np.savez_compressed(OUT / "span.npz", **span_weights)
    vocab_file = OUT / "tfidf.json"
    if terms is not None:
        vocab_file.write_text(json.dumps({"terms": terms}, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    elif vocab_file.exists():
        vocab_file.unlink()
    (OUT / "model.json").write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT} in {time.perf_counter() - t_start:.0f}s")


if __name__ == "__main__":
    if "--cuts-only" in sys.argv[1:]:
        sys.exit(retune_cuts())
    main(reuse_head="--reuse-head" in sys.argv[1:], use_tfidf="--no-tfidf" not in sys.argv[1:], branch="--no-branch" not in sys.argv[1:])
