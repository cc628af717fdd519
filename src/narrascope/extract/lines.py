"""Line shapes: what a line of page text looks like (prose, headline, name).

Extraction works on lines (one paragraph each); these tests let the
boilerplate filters and the segmenter agree on what a headline or a byline is.
"""

from __future__ import annotations

import re

_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*$")
# Headlines may end with ?, ! or a closing quote/bracket, never with these.
_NOT_HEADLINE_END = re.compile(r"[.,;:…]$|\.\.\.$")
_NAME_TOKEN = re.compile(r"^(?:[A-ZÀ-ÖØ-ÞА-ЯЁ][\w'’\-]*\.?|[A-Z]\.)$")
_NAME_PARTICLES = {"van", "von", "de", "der", "da", "di", "del", "la", "le", "bin", "al", "ibn", "du"}
_LOWER_TITLE_WORDS = {
    "a", "an", "the", "of", "on", "in", "to", "for", "and", "or", "but", "at", "by", "with", "from",
    "as", "is", "are", "be", "vs", "via", "into", "over", "after", "about", "its", "his", "her",
}


def clean_line(line: str) -> str:
    """One line with its whitespace runs collapsed and ends trimmed."""
    return _SPACES.sub(" ", line.replace("\ufeff", "")).strip()


def same_text(a: str, b: str) -> bool:
    """Equal once punctuation, spacing and case are ignored."""
    return _comparable(a) == _comparable(b)


def repeats_title(line: str, title: str) -> bool:
    """``line`` is the page title again, maybe without the site name ("Headline" vs "Headline | Site")."""
    a, b = _comparable(line), _comparable(title)
    if not a or not b:
        return False
    return a == b or (len(a) >= 0.5 * len(b) and (b.startswith(a) or b.endswith(a)))


def _comparable(s: str) -> str:
    return re.sub(r"\W+", " ", s).strip().casefold()


def split_lines(text: str) -> list[str]:
    """The non-blank lines of ``text``, cleaned: each is one paragraph."""
    out = []
    for raw in text.splitlines():
        line = clean_line(raw)
        if line:
            out.append(line)
    return out


def word_count(line: str) -> int:
    return len(line.split())


def is_prose(line: str) -> bool:
    """A sentence-like paragraph: ends like a sentence and has some length, or is long."""
    n = word_count(line)
    if n >= 20:
        return True
    return n >= 6 and bool(_SENTENCE_END.search(line))


def is_short_fragment(line: str, max_words: int = 5) -> bool:
    """A few words without sentence punctuation: a widget label, a name, a currency."""
    return word_count(line) <= max_words and not _SENTENCE_END.search(line)


def looks_like_headline(line: str, max_words: int = 25) -> bool:
    """A short line that reads as a title: no final period, starts with a capital."""
    n = word_count(line)
    if n < 2 or n > max_words or len(line) > 220:
        return False
    if _NOT_HEADLINE_END.search(line):
        return False
    first = line.lstrip("\"'“‘«([#@")[:1]
    if not first or not (first.isupper() or first.isdigit()):
        return False
    # Two sentences in one line are a paragraph, not a title ("Imperialism. In the context ..."),
    # but "Sen. Al Franken" is one.
    return not re.search(r"[a-z]{4}\. [A-Z]", line)


def looks_like_person_name(line: str) -> bool:
    """2-4 capitalised tokens ("Andrew Korybko", "Paul J. Goble"), no outlet words."""
    tokens = line.split()
    if not 2 <= len(tokens) <= 4 or any(ch.isdigit() for ch in line):
        return False
    if looks_like_organisation(line):
        return False
    caps = 0
    for tok in tokens:
        if tok.lower() in _NAME_PARTICLES:
            continue
        if not _NAME_TOKEN.match(tok) or tok.lower() in _LOWER_TITLE_WORDS:
            return False
        caps += 1
    return caps >= 2


# Words that make a short capitalised phrase an organisation, not a person.
OUTLET_WORDS = {
    "news", "times", "post", "journal", "herald", "tribune", "telegraph", "guardian", "express", "mail",
    "examiner", "press", "agency", "radio", "tv", "today", "daily", "weekly", "review", "monitor",
    "observer", "insider", "magazine", "media", "network", "channel", "service", "broadcasting",
    "bloomberg", "reuters", "sputnik", "rt", "bbc", "cnn", "afp", "ap", "tass", "ria", "itv", "nbc",
    "cbs", "abc", "fox", "politico", "axios", "forbes", "economist", "euronews", "dw", "rfe/rl",
    "institute", "foundation", "center", "centre", "council", "ministry", "government", "university",
    "blog", "online", "gazette", "chronicle",
}


def looks_like_organisation(line: str) -> bool:
    """A short name that is an outlet or body: "The Duran", "Fox News", "RT", "Eurasia Future"."""
    tokens = line.split()
    if not 1 <= len(tokens) <= 6:
        return False
    words = [t.strip(".,:;!?…'\"’“”()").lower() for t in tokens]
    if any(w in OUTLET_WORDS for w in words):
        return True
    if tokens[0] == "The" and len(tokens) >= 2:
        return True
    # An acronym on its own ("RT", "BBC", "RFE/RL").
    return len(tokens) == 1 and bool(re.fullmatch(r"[A-Z][A-Z0-9/&.\-]{1,9}", tokens[0]))


def looks_like_author_line(line: str) -> bool:
    """A line holding only a byline name (person or outlet), as above "Published on"."""
    if len(line) > 60 or any(ch in line for ch in ".!?:;") and not re.search(r"\b[A-Z]\.", line):
        return False
    return looks_like_person_name(line) or looks_like_organisation(line)


def looks_like_credit(phrase: str) -> bool:
    """A short capitalised phrase that can name an outlet after a separator ("Bloomberg", "Fox News")."""
    tokens = phrase.split()
    if not 1 <= len(tokens) <= 5 or re.search(r"[\d()?!:;,.]", phrase.rstrip(".")):
        return False
    for tok in tokens:
        if tok.lower() in _LOWER_TITLE_WORDS:
            continue
        if not (tok[:1].isupper() or tok[:1].isdigit()):
            return False
    return True
