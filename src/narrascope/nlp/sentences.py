"""Paragraph and sentence spans (stage "sentences").

A paragraph is a non-blank line of the text. Sentences never cross a paragraph.
Russian, Ukrainian and Belarusian go through razdel; other languages through the
rule-based splitter below, written for news English and usable for the other
European languages: it knows abbreviations, initials, decimals, ellipses and
sentences that end inside a closing quote.
"""

from __future__ import annotations

import re
from typing import Callable

from razdel import sentenize

from ..document import Document
from ..pipeline import Stage, register_stage

RAZDEL_LANGUAGES = frozenset({"ru", "uk", "be"})

_LINE = re.compile(r"[^\n]+")
# Terminal punctuation, closing quotes/brackets, then the whitespace before the next sentence.
_CANDIDATE = re.compile(r"(\.{2,}|…|[.!?]+)([”\"’'»)\]]*)(\s+)(?=\S)")
_OPENERS = "“\"«‘'„([¿¡"
_CLOSERS_AND_OPENERS = _OPENERS + "”’»)]"

# A period after these never ends a sentence ("Mr. Putin", "St. Petersburg", "e.g. oil").
_TITLES = frozenset(
    "mr mrs ms messrs dr prof pres gen sen gov rep st lt col capt cpt sgt maj adm cmdr rev hon fr jr sr mt ft "
    "supt insp cpl pvt gens sens reps govs vs v cf approx ca incl esp dept govt univ assn e.g i.e "
    "ph.d mme mlle sra srta hr fig figs bzw usw z.b d.h u.a проф гр ул т.е т.нар".split()
)
# A period after these ends a sentence unless a number follows ("Aug. 9", "No. 5", "p. 12").
_BEFORE_NUMBERS = frozenset(
    "jan feb mar apr jun jul aug sep sept oct nov dec no nos nr vol p pp art ch sec para".split()
)
# After these ("U.S.", "Inc.") a sentence ends only when a typical sentence opener follows.
_AMBIGUOUS = frozenset("inc ltd corp co llc plc bros".split())
_SENTENCE_OPENERS = frozenset(
    "the a an this that these those it its he she they we i you there here his her their our my in on at for "
    "but and or so yet however meanwhile also after before when while if as although though since because then "
    "now today yesterday still moreover furthermore what who why how where which one some many most all no not "
    "both each every such other another last next first".split()
)
# "am 9. August" is a German date, not a sentence end.
_MONTH_NAMES = frozenset(
    "januar jänner februar märz april mai juni juli august september oktober november dezember".split()
)


def split_paragraphs(text: str) -> list[tuple[int, int]]:
    """Spans of the non-blank lines of ``text``, whitespace trimmed."""
    spans = []
    for m in _LINE.finditer(text):
        start, end = _trim(text, m.start(), m.end())
        if start < end:
            spans.append((start, end))
    return spans


def split_sentences(text: str, language: str | None = "en") -> list[tuple[int, int]]:
    """Sentence spans of ``text`` (offsets into it), never crossing a line break."""
    splitter = _splitter_for(language)
    spans: list[tuple[int, int]] = []
    for start, end in split_paragraphs(text):
        spans.extend((start + s, start + e) for s, e in splitter(text[start:end]))
    return spans


def _splitter_for(language: str | None) -> Callable[[str], list[tuple[int, int]]]:
    return _razdel_sentences if (language or "").lower() in RAZDEL_LANGUAGES else _rule_sentences


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _razdel_sentences(paragraph: str) -> list[tuple[int, int]]:
    spans = []
    for s in sentenize(paragraph):
        start, end = _trim(paragraph, s.start, s.stop)
        if start < end:
            spans.append((start, end))
    return spans


def _rule_sentences(paragraph: str) -> list[tuple[int, int]]:
    spans = []
    start = 0
    for m in _CANDIDATE.finditer(paragraph):
        if _ends_sentence(paragraph, m, start):
            s, e = _trim(paragraph, start, m.start(3))
            if s < e:
                spans.append((s, e))
            start = m.end()
    s, e = _trim(paragraph, start, len(paragraph))
    if s < e:
        spans.append((s, e))
    return spans


def _ends_sentence(p: str, m: re.Match[str], sentence_start: int) -> bool:
    punct, closers = m.group(1), m.group(2)
    next_word = p[m.end() :].split(None, 1)[0]
    first = next_word[0]
    if not (first.isupper() or first.isdigit() or first in _OPENERS):
        return False  # "e.g. oil", "3 p.m. on", "“Why?” he asked"
    if punct == "…" or punct.startswith(".."):
        # An ellipsis after a space marks an omission inside a quote, not an end.
        return m.start() > 0 and not p[m.start() - 1].isspace()
    if punct != ".":
        return True  # ?, !, ?!
    if closers:
        return True  # “It is useless.” Then ...
    before = p[sentence_start : m.start()].split()
    word = before[-1].lstrip(_CLOSERS_AND_OPENERS) if before else ""
    if not word:
        return True
    key = word.lower()
    next_key = next_word.strip(_CLOSERS_AND_OPENERS + ",;:").lower()
    if len(word) == 1 and word.isupper():
        return False  # an initial: "Alexander G. Lukashenko"
    if key in _TITLES:
        return False
    if key in _BEFORE_NUMBERS:
        return not first.isdigit()
    if word.isdigit():
        if len(before) == 1:
            return False  # list numbering: "1. Introduction"
        if len(word) <= 2 and next_key in _MONTH_NAMES:
            return False
        return True
    if "." in word or key in _AMBIGUOUS:
        return next_key in _SENTENCE_OPENERS  # "U.S. President" vs "the U.S. The"
    return True


@register_stage
class SentenceStage(Stage):
    """Adds ``paragraph`` and ``sentence`` spans over ``doc.text``."""

    name = "sentences"
    version = "1"

    def process(self, batch: list[Document]) -> list[Document]:
        for doc in batch:
            # Re-running the stage replaces its spans instead of doubling them.
            doc.spans = [s for s in doc.spans if s.layer not in ("paragraph", "sentence")]
            paragraphs = split_paragraphs(doc.text)
            for start, end in paragraphs:
                doc.add_span(start, end, "paragraph")
            splitter = _splitter_for(doc.language)
            for p_start, p_end in paragraphs:
                for s, e in splitter(doc.text[p_start:p_end]):
                    doc.add_span(p_start + s, p_start + e, "sentence")
        return batch

