"""Index terms for full-text search: lower-cased runs of letters and digits, Snowball-stemmed.

Shared by the store, which keeps every document's term counts (``search_terms``,
``search_docs``), and the search index that ranks them (``web/search.py``).
English stems for Latin script, Russian for Cyrillic words, so "sanction" finds
"sanctions" and "Россия" finds "России".
"""

from __future__ import annotations

import re
import threading
from collections import Counter

TOKEN_RE = re.compile(r"[^\W_]+")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_STEMS: dict[str, str] = {}
_STEM_LOCK = threading.Lock()
_STEMMERS: dict[str, object] = {}


def stem(word: str) -> str:
    """The index term of one lower-cased word: its Snowball stem (cached)."""
    found = _STEMS.get(word)
    if found is None:
        with _STEM_LOCK:
            found = _STEMS[word] = _stemmer("russian" if _CYRILLIC.search(word) else "english").stemWord(word)
    return found


def _stemmer(language: str):
    if language not in _STEMMERS:
        import snowballstemmer

        _STEMMERS[language] = snowballstemmer.stemmer(language)
    return _STEMMERS[language]


# Words as outlet profiles count them (per 1,000 words): runs of anything but whitespace and Unicode
# separators. Python's str.split() splits on those and on the ASCII separators \x1c-\x1f too.
WORDS_SQL = r"length(regexp_extract_all(d.text, '[^\s\x{0B}\x{85}\pZ]+'))"  # the same count in DuckDB (RE2)
_INFO_SEPARATORS = re.compile("[\x1c-\x1f]")
_WORD_RUN = re.compile(r"(?:[^\s]|[\x1c-\x1f])+")


def word_count(text: str) -> int:
    """The number of words in ``text``, as ``WORDS_SQL`` counts them in the store (``search_docs.words``)."""
    if _INFO_SEPARATORS.search(text):
        return len(_WORD_RUN.findall(text))
    return len(text.split())


def searchable(title: str | None, text: str) -> str:
    """What search reads of a document: its title and its text."""
    return (title or "") + " " + text


def term_counts(text: str) -> tuple[dict[str, int], int]:
    """(term -> occurrences, number of words) of one document's searchable text."""
    words = Counter(TOKEN_RE.findall(text.lower()))
    counts: dict[str, int] = {}
    cached, add = _STEMS.get, counts.get
    for word, n in words.items():
        term = cached(word) or stem(word)
        counts[term] = add(term, 0) + n
    return counts, sum(words.values())
