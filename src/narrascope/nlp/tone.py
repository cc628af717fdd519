"""Tone toward each actor (stage "tone"): how the text speaks of the people and bodies it names.

For every canonical actor (``entity`` spans with attrs ``actor``) the stage scores
the contexts that mention it with VADER (``vaderSentiment``, its lexicon read from
the installed package, once per process) and stores one ``Label(layer="tone")`` per
actor: the mean compound score in [-1, 1] over those contexts. English only.

What VADER reads, per mention (each option measured on SemEval-2025 T10 roles as
a proxy, see docs/models/tone.md; defaults are the best on the validation half):
- the clause around the mention rather than the whole sentence (a sentence often
  praises one actor and blames another) — on by default;
- not the names of actors ("Justice Department", "Islamic State" carry no framing) — on;
- optionally not the actor's own quoted words (a speaker's words are arguably not
  the outlet's framing of them) — off: it did not help on validation;
- optionally VADER's lexicon plus a few domain terms (``data/tone_lexicon.tsv``:
  "regime", "junta", "puppet" negative; "ally", "brotherly" positive) — off, likewise.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata, resources

from ..document import Document, Label
from ..errors import ModelError
from ..pipeline import Stage, register_stage

LEXICON_FILE = "tone_lexicon.tsv"
DEFAULT_TYPES = ("PERSON", "ORG", "GPE", "NORP")
POSITIVE, NEGATIVE = 0.05, -0.05  # VADER's own thresholds for a positive / negative text
# Clause boundaries inside a sentence: semicolons, colons, dashes, and a comma or space before a contrast word.
_CLAUSE_BREAK = re.compile(r"\s*[;:—–]\s+|,\s+(?=(?:but|while|whereas|although|though|however|yet|and)\b)|\s+(?=but\b)")


@dataclass(frozen=True)
class ToneOptions:
    """Which refinements of plain sentence VADER are on (defaults: the best on the validation half, docs/models/tone.md)."""

    context: str = "clause"  # "clause" | "sentence"
    exclude_own_quotes: bool = False
    mask_names: bool = True
    domain_lexicon: bool = False


@dataclass
class MentionContext:
    """The text scored for one mention: the context span and the character ranges left out of it."""

    start: int
    end: int
    sentence: tuple[int, int]
    masked: list[tuple[int, int]]


@dataclass
class ActorTone:
    actor: str
    type: str
    score: float
    mentions: int
    positive: int
    negative: int
    evidence: list[tuple[int, int]]  # the sentences used


# -- VADER ------------------------------------------------------------------------
@lru_cache(maxsize=2)
def vader(domain_lexicon: bool = True):
    """VADER's analyser (lexicon from the installed package; it reads no network), optionally with the domain terms."""
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError as e:
        raise ModelError(f"the tone stage needs vaderSentiment: pip install vaderSentiment==3.3.2 ({e})") from e
    analyser = SentimentIntensityAnalyzer()
    if domain_lexicon:
        analyser.lexicon = {**analyser.lexicon, **domain_terms()}
    return analyser


@lru_cache(maxsize=1)
def domain_terms() -> dict[str, float]:
    """The shipped domain lexicon: term -> valence on VADER's -4..+4 scale."""
    text = resources.files("narrascope").joinpath("data", LEXICON_FILE).read_text(encoding="utf-8")
    terms = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            term, value = line.split("\t")[:2]
            terms[term.strip().lower()] = float(value)
    return terms


@lru_cache(maxsize=4096)
def compound(text: str, domain_lexicon: bool = True) -> float:
    """VADER's compound score of ``text`` in [-1, 1] (0.0 for text with no words).

    Computed by VADER's rules without its repeated lowercasing (``nlp/vader_compound.py``:
    the same numbers, ~3x faster). Cached: with names masked, every actor of a clause
    reads the same text.
    """
    if not text.strip():
        return 0.0
    analyser = vader(domain_lexicon)  # a clear error first where vaderSentiment is missing
    from .vader_compound import compound as vader_compound

    return float(vader_compound(analyser, text))


def _version() -> str:
    digest = hashlib.sha256(resources.files("narrascope").joinpath("data", LEXICON_FILE).read_bytes())
    try:
        digest.update(metadata.version("vaderSentiment").encode())
    except metadata.PackageNotFoundError:
        pass
    return digest.hexdigest()[:10]


# -- contexts -----------------------------------------------------------------------
def clause_of(text: str, sentence: tuple[int, int], start: int, end: int,
              breaks: list[tuple[int, int]] | None = None) -> tuple[int, int]:
    """The clause of ``sentence`` that holds the mention ``text[start:end]`` (the sentence when it has one clause).

    ``breaks``: the sentence's clause breaks (``clause_breaks``), when the caller has them already.
    """
    s0, s1 = sentence
    lo, hi = s0, s1
    for b0, b1 in clause_breaks(text, sentence) if breaks is None else breaks:
        if b1 <= start:
            lo = b1
        elif b0 >= end:
            hi = b0
            break
    return lo, hi


def clause_breaks(text: str, sentence: tuple[int, int]) -> list[tuple[int, int]]:
    """(start, end) of each clause break in ``sentence``, in order."""
    return [m.span() for m in _CLAUSE_BREAK.finditer(text, *sentence)]


def mention_contexts(doc: Document, mentions: list[tuple[int, int, str]], options: ToneOptions = ToneOptions(),
                     sentences: list[tuple[int, int]] | None = None) -> list[MentionContext | None]:
    """For each mention ``(start, end, actor)``, the context VADER reads (None when no sentence holds it)."""
    sents = sentences if sentences is not None else [(s.start, s.end) for s in doc.sentences]
    sents = sorted(sents)
    sent_starts = [a for a, _ in sents]
    apart = all(b <= a for (_, b), (a, _) in zip(sents, sents[1:]))  # no sentence overlaps the next
    names = sorted((s.start, s.end) for s in doc.spans_of("entity")) if options.mask_names else []
    name_starts = [a for a, _ in names]
    longest_name = max((b - a for a, b in names), default=0)
    quotes = [(q.start, q.end, q.attrs.get("speaker")) for q in doc.spans_of("quote")] if options.exclude_own_quotes else []
    out: list[MentionContext | None] = []
    breaks: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for start, end, actor in mentions:
        if apart:  # only the last sentence starting at or before the mention can hold it
            k = bisect.bisect_right(sent_starts, start) - 1
            sentence = sents[k] if k >= 0 and end <= sents[k][1] else None
        else:
            sentence = next(((a, b) for a, b in sents if a <= start and end <= b), None)
        if sentence is None:
            out.append(None)
            continue
        if options.context == "clause":
            if sentence not in breaks:
                breaks[sentence] = clause_breaks(doc.text, sentence)  # once per sentence, not per mention
            lo, hi = clause_of(doc.text, sentence, start, end, breaks[sentence])
        else:
            lo, hi = sentence
        nearby = names[bisect.bisect_left(name_starts, lo - longest_name):bisect.bisect_left(name_starts, hi)]
        masked = [(max(a, lo), min(b, hi)) for a, b in nearby if a < hi and b > lo]
        masked += [(max(a, lo), min(b, hi)) for a, b, who in quotes if who and _same_actor(who, actor) and a < hi and b > lo]
        masked.append((start, end))
        out.append(MentionContext(lo, hi, sentence, sorted(masked)))
    return out


def _same_actor(speaker: str, actor: str) -> bool:
    return speaker.casefold() == actor.casefold()


def context_text(text: str, ctx: MentionContext) -> str:
    """The context's text with its masked ranges blanked (offsets kept, for reading and debugging)."""
    chars = list(text[ctx.start:ctx.end])
    for a, b in ctx.masked:
        for i in range(a - ctx.start, b - ctx.start):
            chars[i] = " "
    return "".join(chars)


def mention_tones(doc: Document, mentions: list[tuple[int, int, str]], options: ToneOptions = ToneOptions(),
                  sentences: list[tuple[int, int]] | None = None) -> list[float | None]:
    """VADER compound of each mention's context; None when no sentence holds the mention or nothing is left to read."""
    out: list[float | None] = []
    for ctx in mention_contexts(doc, mentions, options, sentences):
        body = context_text(doc.text, ctx) if ctx else ""
        out.append(compound(body, options.domain_lexicon) if re.search(r"[^\W\d_]", body) else None)
    return out


def actor_tones(doc: Document, options: ToneOptions = ToneOptions(), types: tuple[str, ...] = DEFAULT_TYPES) -> list[ActorTone]:
    """Tone toward each canonical actor of ``doc``: the mean over its distinct contexts, most mentioned actor first."""
    spans = [s for s in doc.spans_of("entity") if s.attrs.get("actor") and s.label in types and s.end > s.start]
    mentions = [(s.start, s.end, str(s.attrs["actor"])) for s in spans]
    contexts = mention_contexts(doc, mentions, options)
    per_actor: dict[str, dict] = {}
    for span, (start, end, actor), ctx in zip(spans, mentions, contexts):
        entry = per_actor.setdefault(actor, {"types": [], "mentions": 0, "contexts": {}})
        entry["types"].append(span.label)
        entry["mentions"] += 1
        if ctx is None:
            continue
        key = (ctx.start, ctx.end)
        if key in entry["contexts"]:  # two mentions in one clause are one judgement, not two
            entry["contexts"][key][1].masked = sorted(set(entry["contexts"][key][1].masked) | set(ctx.masked))
        else:
            entry["contexts"][key] = (ctx.sentence, ctx)
    out = []
    for actor, entry in per_actor.items():
        scores, used = [], set()
        for sentence, ctx in entry["contexts"].values():
            body = context_text(doc.text, ctx)
            if re.search(r"[^\W\d_]{2}", body):
                scores.append(compound(body, options.domain_lexicon))
                used.add(sentence)
        if not scores:
            continue
        out.append(ActorTone(
            actor, _most_common(entry["types"]), round(sum(scores) / len(scores), 4), entry["mentions"],
            sum(v >= POSITIVE for v in scores), sum(v <= NEGATIVE for v in scores), sorted(used)))
    out.sort(key=lambda t: (-t.mentions, t.actor))
    return out


def _most_common(labels: list[str]) -> str:
    """The most frequent label; a tie goes to the one seen first (not to set order, which changes between runs)."""
    return max(dict.fromkeys(labels), key=labels.count)


@register_stage
class ToneStage(Stage):
    """Adds one ``tone`` label per canonical actor: score = mean VADER compound, attrs mentions / positive / negative / type.

    Config (``[stages.tone]``): ``context`` ("clause" | "sentence"), ``exclude_own_quotes``,
    ``mask_names``, ``domain_lexicon`` (booleans), ``types`` (entity labels scored).
    Run it after ``entities`` and ``quotes``.
    """

    name = "tone"
    version = "1+" + _version()

    def options(self) -> ToneOptions:
        d = ToneOptions()
        return ToneOptions(str(self.config.get("context", d.context)), bool(self.config.get("exclude_own_quotes", d.exclude_own_quotes)),
                           bool(self.config.get("mask_names", d.mask_names)), bool(self.config.get("domain_lexicon", d.domain_lexicon)))

    def process(self, batch: list[Document]) -> list[Document]:
        options, types = self.options(), tuple(self.config.get("types", DEFAULT_TYPES))
        for doc in batch:
            if not doc.spans_of("entity"):
                continue
            if doc.language not in (None, "en", "und"):
                doc.meta.setdefault("warnings", []).append(f"tone: not analysed, VADER is English-only (text is {doc.language!r})")
                continue
            for t in actor_tones(doc, options, types):
                doc.labels.append(Label("tone", t.actor, t.score, None, list(t.evidence),
                                        {"mentions": t.mentions, "positive": t.positive, "negative": t.negative, "type": t.type}))
        return batch
