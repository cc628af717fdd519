"""Metadata read from URLs and text: outlet, dates, headline credits, affiliations."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit

from tld import get_fld

from .lines import looks_like_credit, looks_like_organisation, looks_like_person_name, word_count


def outlet_from_url(url: str | None) -> str | None:
    """The registered domain of ``url``: "https://www.foxnews.com/x" -> "foxnews.com"."""
    if not url or not isinstance(url, str):
        return None
    candidate = url.strip()
    if "://" not in candidate:
        candidate = "http://" + candidate
    host = (urlsplit(candidate).hostname or "").rstrip(".")
    if not host or "." not in host:
        return None
    fld = get_fld(f"http://{host}", fail_silently=True)
    if fld:
        return fld.lower()
    # Hosts outside the public suffix list (IPs, intranet names): the host minus "www.".
    return host.lower().removeprefix("www.")


_DATE_FORMATS = (
    "%Y-%m-%d", "%d %B %Y", "%d %b %Y", "%B %d %Y", "%b %d %Y", "%d.%m.%Y", "%d/%m/%Y", "%m/%d/%Y",
)


def parse_date(text: str | None) -> str | None:
    """An ISO date (YYYY-MM-DD) from a written date ("December 14, 2018", "14 Dec 2018"), else None."""
    if not text:
        return None
    cleaned = re.sub(r"(\d)(?:st|nd|rd|th)\b", r"\1", text)
    cleaned = re.sub(r"\bSept\b", "Sep", cleaned.replace(",", " "))
    cleaned = re.sub(r"(?<=[A-Za-z])\.", "", cleaned)  # "Dec." -> "Dec"
    cleaned = re.sub(r"[ T]\d{1,2}:\d{2}.*$", "", cleaned.strip())  # drop a time of day
    cleaned = " ".join(cleaned.split())
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(cleaned, fmt).date().isoformat()
        except ValueError:
            continue
    return None


# Words after a separator that name a page section, not an outlet ("... – Live Updates").
_NOT_OUTLET_WORDS = {"live", "update", "updates", "video", "videos", "analysis", "opinion", "explainer", "photos", "watch", "exclusive", "series", "part"}


def split_headline_credit(headline: str) -> tuple[str, str | None, list[str]]:
    """``(title, outlet, authors)`` from a credited headline.

    "Title | Fox News", "Title – Bloomberg", "Window on Eurasia — Title" credit an
    outlet; "Tom Rogan | Title" credits an author. Anything else is returned as is.
    """
    line = headline.strip()
    if " | " in line:
        left, right = (p.strip() for p in line.rsplit(" | ", 1))
        if looks_like_person_name(left) and word_count(right) >= 3:
            return right, None, [left]
        if _is_outlet_credit(right) and word_count(left) > word_count(right):
            return left, right, []
        if looks_like_organisation(left) and word_count(right) >= 3:
            return right, left, []
    for sep in (" – ", " — ", " -- ", " - "):
        if sep not in line:
            continue
        left, right = (p.strip() for p in line.rsplit(sep, 1))
        if _is_outlet_credit(right) and word_count(right) <= 4 and word_count(left) >= 3:
            return left, right, []
        left, right = (p.strip() for p in line.split(sep, 1))
        # A prefix credit names a series or outlet, never a person ("Vladimir Putin — ...").
        if (
            _is_outlet_credit(left)
            and word_count(right) >= 4
            and not looks_like_person_name(left)
            and (looks_like_organisation(left) or re.search(r" (?:on|of|the|and|for) ", f" {left} "))
        ):
            return right, left, []
    return line, None, []


def _is_outlet_credit(phrase: str) -> bool:
    return looks_like_credit(phrase) and not any(w.casefold() in _NOT_OUTLET_WORDS for w in phrase.split())


_SENTENCE = re.compile(r"[^.!?]*(?:[.!?]+[\"”’)]*|$)")
# Disclaimers that name the author's employer: "... the positions of my employer (Sputnik News) ...".
_EMPLOYER = re.compile(
    r"\b(?:positions?|views?|opinions?|policies|policy|stance) of (?:my|his|her|their|the author'?s?) employers?"
    r"(?: \((?P<paren>[^()]{2,60})\)|,? (?P<name>[A-Z][\w&.'’\- ]{1,50}?)(?=[,.;)]| or | and | unless ))"
    r"|\b(?:my|his|her|their) employer,? (?P<name2>[A-Z][\w&.'’\- ]{1,50}?)(?=[,.;)]| or | and | unless )"
)


def find_affiliations(text: str) -> list[dict]:
    """Employers named in author disclaimers: ``[{"organisation", "evidence", "start", "end"}]``.

    ``start``/``end`` are offsets of the evidence sentence in ``text``.
    """
    found: list[dict] = []
    seen: set[str] = set()
    for m in _EMPLOYER.finditer(text):
        organisation = (m.group("paren") or m.group("name") or m.group("name2") or "").strip()
        if not organisation or organisation.casefold() in seen:
            continue
        start, end = _sentence_around(text, m.start(), m.end())
        seen.add(organisation.casefold())
        found.append({"organisation": organisation, "evidence": text[start:end], "start": start, "end": end})
    return found


def _sentence_around(text: str, start: int, end: int) -> tuple[int, int]:
    # Sentence = from after the previous ". " / line start to the next sentence end / line end.
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end == -1 else line_end
    left = line_start
    for m in re.finditer(r"[.!?][\"”’)]*\s+", text[line_start:start]):
        left = line_start + m.end()
    m = re.search(r"[.!?][\"”’)]*(?=\s|$)", text[end:line_end])
    right = end + m.end() if m else line_end
    return left, right
