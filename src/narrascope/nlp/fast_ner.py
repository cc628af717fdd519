"""A fast English name finder for the fast profile: a linear tagger over capitalised words.

spaCy's ``en_core_web_sm`` NER takes 60-120 ms for an 800-word article on one
core (its own CNN over every token, then one small network step per token),
more than every other fast-profile stage together. This tagger looks only at
the words that can be part of a name (capitalised words and the short
lowercase words between them, "Bank *of* America"), about a fifth of the
tokens, and scores each with a linear model over hashed features of the word
and its neighbours (word, shape, affixes, sentence start, whether the word also
occurs in lowercase in the same text, the gazetteer's type for it). The BIO
tags of each run of candidate words are then decoded with Viterbi under the
BIO constraints. Every other word is outside a name.

It was trained to reproduce the spaCy recogniser's PERSON / ORG / GPE / NORP /
LOC mentions (``training/fast_ner.py``: silver labels from spaCy over about 1,500
news articles); docs/models/fast_ner.md gives its agreement with spaCy on
held-out articles, its speed and its known weaknesses.
"""

from __future__ import annotations

import json
import re
import zipfile
import zlib
from functools import lru_cache
from importlib import resources
from typing import Iterable

import numpy as np

from ..errors import ModelError

TYPES = ("PERSON", "ORG", "GPE", "NORP", "LOC")
TAGS = ("O",) + tuple(f"{p}-{t}" for t in TYPES for p in ("B", "I"))
MODEL_DIR = "fast_ner"
N_BUCKETS = 1 << 22
_ROW_CACHE_MAX = 1 << 17  # feature strings whose weight row is remembered (~15 MB), then forgotten at once

# A token, split about as spaCy's English tokenizer splits: an abbreviation with
# dots (U.S., D.C.), a word with inner apostrophes (O'Neill), a possessive ending
# ("Russia's" is two tokens), or one other character (hyphens included: "Belarus-Russia"
# is three tokens).
_ABBREVIATIONS = (
    "Jr Sr St Mt Ft Mr Mrs Ms Dr Gov Sen Rep Gen Lt Col Sgt Capt Prof Rev Inc Corp Co Ltd Bros No Vol "
    "Ala Ariz Ark Calif Colo Conn Del Fla Ga Ill Ind Kan Ky La Md Mass Mich Minn Miss Mo Mont Neb Nev "
    "Okla Ore Pa Tenn Tex Va Vt Wash Wis Wyo"
).split()
assert all(a[:1].isupper() and a[1:].islower() and len(a) <= 5 for a in _ABBREVIATIONS)  # what the lookahead expects
_TOKEN = re.compile(
    r"(?:[^\W\d_]\.){2,}"
    r"|\b(?=[A-Z][a-z]{1,4}\.)(?:" + "|".join(_ABBREVIATIONS) + r")\."  # the lookahead skips the list fast
    r"|\b[^\W\d_a-z]\.(?=\s)"  # an initial: "Donald J. Trump"
    r"|[^\W_]+(?:['’](?![sS]\b)[^\W_]+)*"
    r"|['’][sS]\b"
    r"|\S"
)
# Lowercase words that may sit inside a name ("Bank of America", "Ibn al-Khattab").
CONNECTORS = frozenset("of the and for de del der van von bin al la le du da y on in to at & -".split())
_LOWER_INSIDE_MAX = 2  # at most this many connectors in a row


def tokenize(text: str) -> tuple[list[str], np.ndarray]:
    """Tokens and their (start, end) character offsets."""
    words: list[str] = []
    bounds: list[int] = []
    add_word, add_bounds = words.append, bounds.extend
    for m in _TOKEN.finditer(text):
        add_word(m.group())
        add_bounds(m.span())
    return words, np.array(bounds, dtype=np.int64).reshape(-1, 2)


@lru_cache(maxsize=1 << 16)
def shape(word: str) -> str:
    """Xxxx -> "Xx", USA -> "X", U.S. -> "X.X.", 2016 -> "d", Al-Qaeda -> "Xx-Xx" (runs collapsed)."""
    out = []
    for c in word[:12]:
        k = "X" if c.isupper() else "x" if c.isalpha() else "d" if c.isdigit() else c
        if not out or out[-1] != k:
            out.append(k)
    return "".join(out)


def candidates(words: list[str]) -> np.ndarray:
    """Whether each token may be part of a name.

    Capitalised words; a short run of connectors between two of them ("Bank *of*
    America"); "the" before one ("*the* White House"); a possessive after one
    ("Bally*'s*"); a lowercase prefix and hyphen before one ("*pro-*Israel").
    """
    n = len(words)
    upper = [w[:1].isupper() or (w[:1].isdigit() and any(c.isupper() for c in w)) for w in words]
    cand = upper.copy()
    for i in range(n - 1):
        if upper[i] or not upper[i + 1]:
            continue
        w = words[i]
        if w == "the" or (w == "-" and i > 0 and words[i - 1].islower()):
            cand[i] = True
            if w == "-":
                cand[i - 1] = True
    for i in range(1, n):
        if upper[i] or not upper[i - 1]:
            continue
        if words[i] in ("'s", "’s", "'S", "’S"):
            cand[i] = True
            continue
        # a short run of connectors followed by a capitalised word
        j = i
        while j < n and j - i < _LOWER_INSIDE_MAX and not upper[j] and words[j].lower() in CONNECTORS:
            j += 1
        if j < n and j > i and upper[j]:
            cand[i:j] = [True] * (j - i)
    return np.array(cand, dtype=bool).reshape(n)


def sentence_starts(spans: np.ndarray, text: str, sentences: Iterable[tuple[int, int]]) -> np.ndarray:
    """Whether each token opens a sentence or a line (after an opening quote or bracket too)."""
    n = len(spans)
    first = np.zeros(n, dtype=bool)
    if not n:
        return first
    starts = np.fromiter((s for s, _ in sentences), dtype=np.int64)
    idx = np.searchsorted(spans[:, 0], starts)
    idx = idx[idx < n]
    first[idx] = True
    first[0] = True
    newline = np.fromiter((m.start() for m in re.finditer("\n", text)), dtype=np.int64)
    if len(newline):
        after = np.searchsorted(spans[:, 0], newline)
        first[after[after < n]] = True
    # "“The ..." / "(Reuters ...": the word after an opening mark counts as first too
    for i in np.flatnonzero(first):
        j = i
        while j + 1 < n and j - i < 2 and spans[j, 1] - spans[j, 0] == 1 and not text[spans[j, 0]].isalnum():
            j += 1
            first[j] = True
    return first


def token_features(text: str, words: list[str], spans: np.ndarray, sentences, gazetteer_types: dict[int, str],
                   positions: np.ndarray) -> list[list[str]]:
    """The feature strings of the tokens at ``positions``."""
    lower = [w.lower() for w in words]
    lowercase_seen = {w for w in words if w.islower()}
    first = sentence_starts(spans, text, sentences).tolist()
    headline = _headline_tokens(words, spans, sentences).tolist()
    # Two pads each side, so that i-2 .. i+2 never leave the lists (index k + 2 is token k).
    padded = ["<s>", "<s>", *lower, "</s>", "</s>"]
    pos = positions.tolist()
    near = sorted({k for i in pos for k in (i - 1, i, i + 1) if 0 <= k < len(words)})
    shapes = dict.fromkeys((-1, len(words)), "-")
    shapes.update((k, shape(words[k])) for k in near)

    # The run of candidates each token is in: its first and last words say much of its type
    # ("Republican National *Committee*" is an organisation, "*Gov.* Rick Scott" a person).
    run_first, run_last = {}, {}
    lo = prev = None
    for i in pos:
        if prev is None or i != prev + 1:
            lo = i
        run_first[i] = lo
        prev = i
    last = prev = None
    for i in reversed(pos):
        if prev is None or i + 1 != prev:
            last = i
        run_last[i] = last
        prev = i

    gaz = gazetteer_types.get
    out = []
    for i in pos:
        lw = padded[i + 2]
        r0, r1 = run_first[i], run_last[i]
        place = "S" if r0 == r1 else "B" if i == r0 else "E" if i == r1 else "M"
        s = shapes[i]
        f1 = ("F" if first[i] else "-") + ("H" if headline[i] else "")
        before, after = padded[i + 1], padded[i + 3]
        s_before = shapes[i - 1]
        out.append([
            "b",
            "w=" + lw,
            "s=" + s + f1,
            "p=" + lw[:3],
            "x=" + lw[-3:],
            "x4=" + lw[-4:],
            "l=" + ("1" if lw in lowercase_seen else "0") + f1,
            "w-1=" + before,
            "w+1=" + after,
            "w-2=" + padded[i],
            "w+2=" + padded[i + 4],
            "s-1=" + s_before + s,
            "s+1=" + s + shapes[i + 1],
            "ww-1=" + before + " " + lw,
            "ww+1=" + lw + " " + after,
            "g=" + gaz(i, "-"),
            "g-1=" + gaz(i - 1, "-"),
            "g+1=" + gaz(i + 1, "-"),
            "sw-1=" + s_before + "|" + lw,
            "rf=" + lower[r0] + place,
            "rl=" + lower[r1] + place,
            "rn=" + str(min(r1 - r0 + 1, 5)) + place,
        ])
    return out


def _headline_tokens(words: list[str], spans: np.ndarray, sentences) -> np.ndarray:
    """Tokens of sentences written in title case, where capitals say little ("Trump Says He Will Win")."""
    n = len(words)
    out = np.zeros(n, dtype=bool)
    bounds = np.searchsorted(spans[:, 0], np.asarray([b for s, e in sentences for b in (s, e)], dtype=np.int64))
    if not len(bounds):
        return out
    long_word = np.array([len(w) > 3 and w[:1].isalpha() for w in words], dtype=bool).reshape(n)
    capital = long_word & np.array([w[:1].isupper() for w in words], dtype=bool).reshape(n)
    total = np.concatenate(([0], np.cumsum(long_word)))
    caps = np.concatenate(([0], np.cumsum(capital)))
    lo, hi = bounds[0::2], bounds[1::2]
    alpha = total[hi] - total[lo]
    for a, b in zip(lo[(alpha >= 3) & (caps[hi] - caps[lo] >= 0.7 * alpha)], hi[(alpha >= 3) & (caps[hi] - caps[lo] >= 0.7 * alpha)]):
        out[a:b] = True
    return out


def hash_features(feats: list[str]) -> list[int]:
    return [zlib.crc32(f.encode("utf-8")) & (N_BUCKETS - 1) for f in feats]


def gazetteer_token_types(spans: np.ndarray, found: Iterable[tuple[int, int, str]]) -> dict[int, str]:
    """Token index -> the gazetteer type of a name covering it (B-/I- prefixed)."""
    out = {}
    for start, end, label in found:
        lo = int(np.searchsorted(spans[:, 0], start))
        hi = int(np.searchsorted(spans[:, 0], end))
        for k in range(lo, hi):
            out[k] = ("B-" if k == lo else "I-") + label
    return out


def _allowed() -> np.ndarray:
    """allowed[a, b]: tag b may follow tag a (I-X only after B-X or I-X)."""
    m = len(TAGS)
    ok = np.ones((m, m), dtype=bool)
    for b, tb in enumerate(TAGS):
        if tb.startswith("I-"):
            for a, ta in enumerate(TAGS):
                ok[a, b] = ta[2:] == tb[2:] and ta != "O"
    return ok


_ALLOWED = _allowed()
_START_OK = np.array([not t.startswith("I-") for t in TAGS])


def viterbi(logp: np.ndarray) -> list[int]:
    """Best BIO-consistent tag sequence for a run (rows: tokens, columns: TAGS)."""
    penalty = np.where(_ALLOWED, 0.0, -1e9)
    score = logp[0] + np.where(_START_OK, 0.0, -1e9)
    back = []
    for row in logp[1:]:
        total = score[:, None] + penalty
        best = total.argmax(axis=0)
        back.append(best)
        score = total[best, np.arange(len(TAGS))] + row
    tags = [int(score.argmax())]
    for best in reversed(back):
        tags.append(int(best[tags[-1]]))
    return tags[::-1]


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) index pairs of the True runs of a boolean array."""
    if not len(mask):
        return []
    edges = np.flatnonzero(np.diff(np.concatenate(([0], mask.astype(np.int8), [0]))))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


class FastNer:
    """The shipped tagger: ``FastNer.load()(text, sentences, gazetteer_found)`` -> [(start, end, type)]."""

    def __init__(self, buckets: np.ndarray, weights: np.ndarray, bias: np.ndarray, meta: dict):
        self.buckets = buckets.astype(np.int64)  # sorted bucket ids that have weights
        self.weights = weights.astype(np.float32)  # (len(buckets), len(TAGS))
        self.bias = bias.astype(np.float32)
        self.meta = meta
        # The weights with a zero row last, for features that have none; and each feature string's row,
        # remembered (most features recur from article to article: "w=the", "g=-", "s=Xx-").
        self._padded_weights = np.vstack([self.weights, np.zeros((1, len(TAGS)), dtype=np.float32)])
        self._rows: dict[str, int] = {}

    @classmethod
    def load(cls) -> "FastNer":
        return _load_shipped()

    def logits(self, feats: list[list[str]]) -> np.ndarray:
        """Tag scores of each token (every token has the same number of features)."""
        rows = self._rows
        flat = [f for fs in feats for f in fs]
        index = list(map(rows.get, flat))
        if None in index:
            missing = list({f for f, r in zip(flat, index) if r is None})
            rows.update(zip(missing, self._rows_of(missing)))
            index = list(map(rows.__getitem__, flat))
            if len(rows) > _ROW_CACHE_MAX:
                rows.clear()
        contrib = self._padded_weights[np.array(index, dtype=np.int64)]
        return contrib.reshape(len(feats), -1, len(TAGS)).sum(axis=1) + self.bias

    def _rows_of(self, features: list[str]) -> list[int]:
        """The weight row of each feature string (its crc32 bucket), or the zero row where it has none."""
        mask = N_BUCKETS - 1
        crc32 = zlib.crc32
        ids = np.array([crc32(f.encode()) & mask for f in features], dtype=np.int64)
        rows = np.minimum(np.searchsorted(self.buckets, ids), len(self.buckets) - 1)
        rows[self.buckets[rows] != ids] = len(self.buckets)
        return rows.tolist()

    def __call__(self, text: str, sentences, gazetteer_found: Iterable[tuple[int, int, str]] = ()) -> list[tuple[int, int, str]]:
        words, spans = tokenize(text)
        if not words:
            return []
        cand = candidates(words)
        positions = np.flatnonzero(cand)
        if not len(positions):
            return []
        gaz = gazetteer_token_types(spans, gazetteer_found)
        feats = token_features(text, words, spans, sentences, gaz, positions)
        logits = self.logits(feats)
        logp = logits - np.logaddexp.reduce(logits, axis=1, keepdims=True)
        # The candidate runs, as rows of logp: positions are sorted, so a run's rows are contiguous.
        bounds = runs(cand)
        first_row = np.cumsum([0] + [hi - lo for lo, hi in bounds])
        named = np.add.reduceat(logp[:, 0] <= np.log(0.5), first_row[:-1]) > 0
        found = []
        for (lo, hi), row, keep in zip(bounds, first_row, named):
            if not keep:
                continue  # every token more likely outside a name
            rows = logp[row : row + hi - lo]
            tags = [int(np.where(_START_OK, rows[0], -np.inf).argmax())] if hi - lo == 1 else viterbi(rows)
            found.extend(_spans_of(tags, lo, spans))
        return [(s, e, t) for s, e, t in found if _sensible(text[s:e])]


def _spans_of(tags: list[int], offset: int, spans: np.ndarray) -> list[tuple[int, int, str]]:
    out, start, kind = [], None, None
    for k, tag in enumerate(tags + [0]):
        name = TAGS[tag]
        if start is not None and not name.startswith("I-"):
            out.append((int(spans[offset + start, 0]), int(spans[offset + k - 1, 1]), kind))
            start = None
        if name.startswith("B-"):
            start, kind = k, name[2:]
    return out


def _sensible(surface: str) -> bool:
    """A name holds a letter and does not end on a connector ("Bank of")."""
    last = surface.split()[-1].lower() if surface.split() else ""
    return any(c.isalpha() for c in surface) and last not in CONNECTORS


def model_digest() -> str:
    """sha256 (10 hex digits) of the shipped weights, for the stage version ("missing" without them)."""
    import hashlib

    try:
        data = (resources.files("narrascope.models") / MODEL_DIR / "weights.npz").read_bytes()
    except OSError:
        return "missing"
    return hashlib.sha256(data).hexdigest()[:10]


@lru_cache(maxsize=1)
def _load_shipped() -> FastNer:
    with resources.as_file(resources.files("narrascope.models") / MODEL_DIR) as base:
        return load_model(base)


def load_model(folder) -> FastNer:
    """The tagger written by ``training/fast_ner.py`` to ``folder`` (``model.json``, ``weights.npz``).

    ``ModelError`` naming the folder when a file is missing or unreadable.
    """
    from pathlib import Path

    base = Path(folder)
    try:
        meta = json.loads((base / "model.json").read_text(encoding="utf-8"))
        with np.load(base / "weights.npz") as data:
            model = FastNer(data["buckets"], data["weights"], data["bias"], meta)
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise ModelError(f"the fast name tagger's model files in {base} are missing or unreadable: {e}") from e
    if model.weights.shape != (len(model.buckets), len(TAGS)) or meta.get("tags") != list(TAGS):
        raise ModelError(f"the fast name tagger's model in {base} does not match this version (tags or shapes differ)")
    return model


__all__ = ["FastNer", "TAGS", "TYPES", "tokenize", "candidates", "token_features", "hash_features", "viterbi", "load_model"]
