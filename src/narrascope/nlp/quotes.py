"""Quotes and reported speech (stage "quotes"): who is quoted saying what.

Rules written for news English, no parser needed: quoted stretches (“ ” « » „ "
‘ ’, block-quote paragraphs and paragraphs that continue an open quote) and
clauses around a cue word from a lexicon of speech and attitude verbs
("X said that ...", "“...,” X said", "X told Y: “...”", "according to X, ...",
"X accused Y of ..."). The speaker is the source noun phrase resolved to a
canonical actor: a pronoun ("he said") or a role description ("the expert
said") takes the most recent person mentioned outside quotes, a surname takes
the fullest form of the name in the document. ``entity`` spans (entities
stage) are used for mentions and canonical names when present.

A small learned layer scores each attribution: a per-cue prior (how often the
cue word marks a real attribution in PolNeAR train) adjusted by frame features
(logistic regression, evaluated from ``models/quotes/model.json``; rebuilt by
``training/quotes.py``). The PolNeAR brat reader and the evaluation metric used
by the training script, the benchmark and ``evaluate quotes`` live here too.
"""

from __future__ import annotations

import bisect
import copy
import hashlib
import itertools
import json
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterable, NamedTuple

from ..document import Document
from ..errors import ConfigError
from ..pipeline import Stage, register_stage
from .gazetteer import fold, load_gazetteer
from .sentences import split_paragraphs, split_sentences

MODEL_PACKAGE = "narrascope.models.quotes"

# -- cue lexicon -----------------------------------------------------------------
# Verbs of saying, reporting, evaluating and believing (PolNeAR annotates all of them).
CUE_VERBS = (
    "say tell claim accuse warn insist argue add ask announce note suggest report write explain declare state "
    "acknowledge admit confirm deny reply respond answer reiterate repeat stress emphasize emphasise predict "
    "promise pledge vow threaten urge describe tweet post comment remark mention observe recall concede "
    "contend assert allege maintain complain charge criticize criticise condemn denounce praise blast slam "
    "lambast chastise blame dismiss reject question wonder counter retort joke quip boast brag tout cite quote "
    "testify inform assure advise recommend propose demand request disclose reveal hint imply indicate signal "
    "estimate forecast conclude believe think feel fear hope expect know doubt suspect worry want caution "
    "protest lament acknowledge speculate theorize theorise reason muse shout yell scream chant plead beg "
    "decry slam deride mock ridicule attack defend endorse support oppose agree disagree welcome applaud hail "
    "call label brand dub term characterize characterise reassure recount relate narrate explain summarize "
    "summarise confess assert affirm proclaim announce notify remind write publish broadcast show find "
    "pray demand sigh whisper murmur mutter underline highlight"
).split()
CUE_PHRASES = (
    "according to", "point out", "call for", "call on", "refer to", "go on", "weigh in", "shoot back",
    "fire back", "push back", "hit back", "lash out",
)
_IRREGULAR = {
    "say": ["says", "said", "saying"], "tell": ["tells", "told", "telling"],
    "write": ["writes", "wrote", "written", "writing"], "think": ["thinks", "thought", "thinking"],
    "feel": ["feels", "felt", "feeling"], "find": ["finds", "found", "finding"],
    "know": ["knows", "knew", "known", "knowing"], "show": ["shows", "showed", "shown", "showing"],
    "forecast": ["forecasts", "forecast", "forecasted", "forecasting"], "go": ["goes", "went", "gone", "going"],
    "shoot": ["shoots", "shot", "shooting"], "hit": ["hits", "hit", "hitting"],
    "admit": ["admits", "admitted", "admitting"], "quip": ["quips", "quipped", "quipping"],
    "refer": ["refers", "referred", "referring"], "slam": ["slams", "slammed", "slamming"],
    "plead": ["pleads", "pleaded", "pled", "pleading"], "broadcast": ["broadcasts", "broadcast", "broadcasting"],
    "lash": ["lashes", "lashed", "lashing"], "fire": ["fires", "fired", "firing"], "push": ["pushes", "pushed", "pushing"],
    "brag": ["brags", "bragged", "bragging"], "beg": ["begs", "begged", "begging"],
}


def _inflections(lemma: str) -> list[str]:
    if lemma in _IRREGULAR:
        return [lemma, *_IRREGULAR[lemma]]
    if lemma.endswith("e"):
        return [lemma, lemma + "s", lemma + "d", lemma[:-1] + "ing"]
    if lemma.endswith("y") and lemma[-2] not in "aeiou":
        return [lemma, lemma[:-1] + "ies", lemma[:-1] + "ied", lemma + "ing"]
    if lemma.endswith(("s", "sh", "ch", "x", "z")):
        return [lemma, lemma + "es", lemma + "ed", lemma + "ing"]
    return [lemma, lemma + "s", lemma + "ed", lemma + "ing"]


@lru_cache(maxsize=1)
def cue_forms() -> dict[str, str]:
    """Every inflected form of a one-word cue → its lemma."""
    forms: dict[str, str] = {}
    for lemma in CUE_VERBS:
        for form in _inflections(lemma):
            forms.setdefault(form, lemma)
    return forms


@lru_cache(maxsize=1)
def cue_phrase_forms() -> dict[tuple[str, ...], str]:
    """Multi-word cues ("according to", "pointed out") as word tuples → phrase lemma."""
    out: dict[tuple[str, ...], str] = {}
    for phrase in CUE_PHRASES:
        head, *rest = phrase.split()
        forms = [head] if head == "according" else _inflections(head)
        for form in forms:
            out[(form, *rest)] = phrase
    return out


# -- tokens ----------------------------------------------------------------------
_TOKEN = re.compile(r"\w+(?:[-’'.]\w+)*|[^\w\s]")
OPEN_CLOSE = {"“": "”", "«": "»", "„": "“”", '"': '"', "‘": "’"}
_QUOTE_CHARS = set("“”«»„\"‘’")
_OPENERS = re.compile("[" + re.escape("".join(OPEN_CLOSE)) + "]")
_CLOSERS = {opener: re.compile("[" + re.escape(closers) + "]") for opener, closers in OPEN_CLOSE.items()}

PRONOUNS = frozenset("he she they it we i you who him her them".split())
PERSON_PRONOUNS = frozenset("he she him her".split())
_DETERMINERS = frozenset("the a an his her its their our my this that these those one some".split())
_NP_INNER = frozenset("of for at from to and &".split())
# Words that end a source noun phrase when walking left from a cue.
_CLAUSE_WORDS = frozenset(
    "that which and but or because while when if as than so after before since although though where whom "
    "whether what why how also not yet then".split()
)
# Words between a subject and its cue ("has also said", "would later tell").
AUX_WORDS = _AUX = frozenset(
    "has have had was is were are will would could should may might must did does do n't not never also later "
    "then again once previously recently repeatedly reportedly further publicly privately earlier just still "
    "often already now even first last 's ’s ’ve 've 'd ’d 'll ’ll been be being already long".split()
) | {a + n for a in ("doesn", "don", "didn", "won", "wouldn", "isn", "wasn", "hasn", "haven", "can", "couldn", "hadn")
     for n in ("’t", "'t")}
_PREPOSITIONS = frozenset(
    "in on at for from of to with by during after before under over about among into through without despite "
    "amid against like".split()
)
_TIME_WORDS = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday today yesterday tonight earlier later last this "
    "week month year morning afternoon evening night recently on in at during".split()
)
ROLE_NOUNS = frozenset(
    "leader president minister expert analyst spokesman spokeswoman spokesperson official chief secretary "
    "general governor senator congressman congresswoman lawmaker candidate nominee author writer professor "
    "researcher economist ambassador diplomat chancellor premier king queen prince mayor director chairman "
    "ceo founder commander businessman billionaire man woman lawyer attorney judge aide adviser advisor "
    "strongman dictator politician activist journalist reporter editor host republican democrat".split()
)
_TITLES = frozenset(
    "president prime minister secretary secretary-general general gen mr mrs ms dr sen senator rep gov governor "
    "chancellor foreign defense defence spokesman spokeswoman ambassador pres king queen pope judge chief deputy "
    "vice attorney mayor leader premier commissioner director ceo chairman former acting expert analyst "
    "professor prof state house speaker sir lord lady dame col colonel lt capt captain sgt adm admiral "
    "rev father sheikh crown prince princess".split()
)
_ORG_WORDS = frozenset(
    "post times news agency union ministry council party committee foundation corporation center centre "
    "institute university bank federation republic states kingdom kremlin house department office press journal "
    "express street europe eurasia economic military school park museum war forces army navy commission "
    "organization organisation group company inc ltd media radio television tv network daily herald tribune "
    "guardian telegraph examiner times service services court parliament government administration campaign "
    "county city airport church nations assembly alliance bureau fund club association board coalition "
    "review magazine channel reuters afp ap tass sputnik rt bloomberg fox cnn bbc nato eu un un’s".split()
)
_NATIONALITY_SUFFIXES = ("ian", "ese", "ish", "ean", "can", "ic")
_SENTENCE_START_WORDS = frozenset(
    "the a an in on at for but and or so yet however meanwhile also after before when while if as although "
    "though since because then now today yesterday still what who why how where which this that these those "
    "it its he she they we i you his her their our my there here one some many most all no not both each every "
    "such other another during despite with without by from to of according asked speaking addressing".split()
)


class Token(NamedTuple):
    """A word or mark with its offsets. A named tuple: the rules make and read hundreds of thousands."""

    start: int
    end: int
    text: str
    lower: str  # text.lower(), kept: the rules ask for it again and again


def tokenize(text: str, start: int = 0, end: int | None = None) -> list[Token]:
    end = len(text) if end is None else end
    return list(_tokens(text, start, end))


def _tokens(text: str, start: int, end: int) -> tuple[Token, ...]:
    """The tokens of ``text[start:end]``, offsets into ``text``.

    The rules tokenise the same paragraphs, sentences and stretches of them many times
    per text. The whole text is tokenised once; a range that cuts no token gets the
    tokens inside it, which are what tokenising the range alone gives (the pattern
    looks neither behind nor beyond a token's end). A range that cuts a token is
    tokenised alone.
    """
    if 0 <= start <= end <= len(text):
        tokens, starts, ends = _text_tokens(text)
        i = bisect.bisect_left(starts, start)
        j = bisect.bisect_left(starts, end, i)
        if (i == 0 or ends[i - 1] <= start) and (j == 0 or ends[j - 1] <= end):
            return tokens[i:j]
    return _range_tokens(text, start, end)


@lru_cache(maxsize=8)
def _text_tokens(text: str) -> tuple[tuple[Token, ...], list[int], list[int]]:
    tokens = _range_tokens(text, 0, len(text))
    return tokens, [t.start for t in tokens], [t.end for t in tokens]


def _range_tokens(text: str, start: int, end: int) -> tuple[Token, ...]:
    matches = list(_TOKEN.finditer(text[start:end]))
    fields = [(m.start() + start, m.end() + start, w, w.lower()) for m in matches for w in (m.group(),)]
    return tuple(map(tuple.__new__, [Token] * len(fields), fields))  # Token(*f) without its Python-level __new__


# -- records ---------------------------------------------------------------------
@dataclass
class Attribution:
    """One quote or piece of reported speech; offsets into the text, end exclusive."""

    content: tuple[int, int]
    cue: tuple[int, int] | None = None
    source: tuple[int, int] | None = None
    speaker: str | None = None
    kind: str = "reported"  # direct | reported | mixed
    score: float = 1.0
    cue_lemma: str | None = None
    cue_form: str | None = None
    features: dict[str, float] = field(default_factory=dict)
    parts: list[tuple[int, int]] = field(default_factory=list)  # gold only: discontinuous content


@dataclass
class Mention:
    start: int
    end: int
    name: str  # canonical actor or surface name
    person: bool
    country: str | None = None  # the gazetteer's country id for the actor, where it says


# -- quote regions -------------------------------------------------------------------
def quote_regions(text: str, start: int, end: int) -> list[tuple[int, int, bool]]:
    """Quoted stretches of one paragraph ``text[start:end]``: (start, end, closed), marks included.

    An opening mark with no closing mark runs to the paragraph end (the quote
    continues in the next paragraph, as news style writes long quotes).
    """
    regions: list[tuple[int, int, bool]] = []
    i = start
    while i < end:
        found = _OPENERS.search(text, i, end)  # the next mark that may open a quote (the loop read every character)
        if found is None:
            break
        i = found.start()
        ch = text[i]
        if _is_opening(text, i, start):
            closers = _CLOSERS[ch]
            j = i + 1
            close_at = -1
            while j < end:
                candidate = closers.search(text, j, end)
                if candidate is None:
                    break
                j = candidate.start()
                if _is_closing(text, j, end, ch):
                    close_at = j
                    break
                j += 1
            if close_at < 0:
                if ch in "'‘\"" and regions:  # a stray straight/single mark mid-paragraph: not a quote
                    i += 1
                    continue
                if ch == "‘":
                    i += 1
                    continue
                regions.append((i, end, False))
                break
            regions.append((i, close_at + 1, True))
            i = close_at + 1
            continue
        i += 1
    return regions


def quoted_spans(text: str) -> list[tuple[int, int]]:
    """Every quoted stretch of ``text`` (marks included), paragraph by paragraph, with quote pairs
    of single marks read as quote marks as :func:`extract_quotes` reads them."""
    marked = _single_quote_pairs_as_marks(text)
    return [(rs, re_) for ps, pe in split_paragraphs(marked) for rs, re_, _ in quote_regions(marked, ps, pe)]


def _is_opening(text: str, i: int, para_start: int) -> bool:
    if text[i] in "“«„":
        return True
    before = text[i - 1] if i > para_start else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    # Straight and single marks open only after a space or bracket and before a word character.
    return (before.isspace() or before in "([—–-:") and not after.isspace()


def _is_closing(text: str, j: int, para_end: int, opener: str) -> bool:
    if opener in "“«„":
        return True
    after = text[j + 1] if j + 1 < para_end else " "
    before = text[j - 1]
    # "don’t" is an apostrophe, not the end of a ‘quote’.
    return not before.isspace() and (after.isspace() or after in ".,;:!?)]—–-")


# -- mentions -----------------------------------------------------------------------
def person_mentions(doc_text: str, quote_mask: list[tuple[int, int]], entity_spans: list[Any] | None = None) -> list[Mention]:
    """Person (and organisation) mentions outside quotes, in text order, with canonical names."""
    quoted = _inside_test(quote_mask)
    own = _heuristic_mentions(doc_text, quoted)
    if not entity_spans:
        return own
    # Entity spans win where they are; the name heuristic fills the gaps (an entities stage
    # without its NER model knows only gazetteer actors).
    out = [
        Mention(s.start, s.end, str(s.attrs.get("actor") or doc_text[s.start:s.end]), s.label == "PERSON", s.attrs.get("country"))
        for s in entity_spans
        if not quoted(s.start, s.end)
    ]
    overlaps_taken = _overlap_test([(m.start, m.end) for m in out])
    out += [m for m in own if not overlaps_taken(m.start, m.end)]
    return sorted(out, key=lambda m: m.start)


def _starts_and_reach(regions: Iterable[tuple[int, int]]) -> tuple[list[int], list[int]]:
    """The regions' starts, sorted, and the furthest end among the first k of them (for binary searches)."""
    regions = sorted(regions)
    return [a for a, _ in regions], list(itertools.accumulate((b for _, b in regions), max))


def _overlap_test(regions: list[tuple[int, int]]):
    """``test(start, end)``: whether [start, end) overlaps one of the regions (a binary search, not a scan)."""
    starts, reach = _starts_and_reach(regions)

    def test(start: int, end: int) -> bool:
        k = bisect.bisect_left(starts, end)  # regions[:k] start before ``end``
        return k > 0 and reach[k - 1] > start

    return test


def _inside_test(regions: Iterable[tuple[int, int]]):
    """``test(start, end)``: whether [start, end) lies inside one of the regions (a binary search, not a scan)."""
    starts, reach = _starts_and_reach(regions)

    def test(start: int, end: int) -> bool:
        k = bisect.bisect_right(starts, start)  # regions[:k] start at or before ``start``
        return k > 0 and reach[k - 1] >= end

    return test


_FUNCTION_WORDS = frozenset("in for of to on at with and or the a an is are was were as by from after over into "
                            "about against under than should would could will can may might must does do did "
                            "why what how when where which whose".split())


def _title_case(tokens: list[Token]) -> bool:
    """A line whose words are (nearly) all capitalised: a headline."""
    letters = list(filter(str.isalpha, [t.text[0] for t in tokens]))  # first letters of the words
    return len(letters) >= 4 and sum(map(str.isupper, letters)) >= 0.8 * len(letters)


def _heuristic_mentions(text: str, quoted: Callable[[int, int], bool]) -> list[Mention]:
    """Names found by capitals alone, outside the stretches for which ``quoted(start, end)`` is true."""
    raw: list[tuple[int, int, list[Token], bool]] = []
    for ps, pe in split_paragraphs(text):
        tokens = tokenize(text, ps, pe)
        if _title_case(tokens):
            continue  # a headline capitalises every word: "Belarus Is Next Target For Russia" names nobody
        capital = list(map(_capitalised, tokens))  # once per token, not at every look-ahead
        i = 0
        while i < len(tokens):
            if not capital[i]:
                i += 1
                continue
            j = i
            while j + 1 < len(tokens) and (capital[j + 1] or (tokens[j + 1].text == "." and tokens[j].lower in ("mr", "mrs", "ms", "dr", "gen", "sen", "gov", "rep", "pres", "st") and j + 2 < len(tokens) and capital[j + 2])):
                j += 1
            run = [t for t in tokens[i : j + 1] if t.text != "."]
            # A capitalised function word ends what came before it: "In Belarus", "Target For Russia".
            cut = max((k + 1 for k, t in enumerate(run) if t.lower in _FUNCTION_WORDS), default=0)
            run = run[cut:]
            after_place_word = i > 0 and tokens[i - 1].lower in ("in", "into", "from", "across", "throughout", "near", "toward", "towards")
            sentence_initial = i == 0 or tokens[i - 1].text in ".!?“\"«:"
            if sentence_initial and run and run[0].lower in _SENTENCE_START_WORDS:
                run = run[1:]
            titled = any(t.lower.rstrip(".") in _TITLES for t in run[:-1])
            while run and (run[0].lower.rstrip(".") in _TITLES or _is_acronym(run[0]) or _is_nationality(run[0])):
                run = run[1:]
            if after_place_word and not titled:
                run = []
            if run and not any(t.lower in _ORG_WORDS for t in run) and not _is_acronym(run[-1]):
                run = run[-3:]
                if not quoted(run[0].start, run[-1].end):
                    raw.append((run[0].start, run[-1].end, run, titled))
            i = j + 1
    # A name is a person when it has two or more words, carries a title, or is the
    # surname of such a name.
    surnames: dict[str, str] = {}
    for start, end, run, titled in raw:
        if len(run) >= 2:
            key = _name_key(run[-1].text)
            full = " ".join(t.text for t in run[:-1]) + " " + _strip_possessive(run[-1].text)
            if len(full) > len(surnames.get(key, "")):
                surnames[key] = full
    for start, end, run, titled in raw:
        if titled and len(run) == 1:
            surnames.setdefault(_name_key(run[0].text), _strip_possessive(run[0].text))
    out = []
    for start, end, run, titled in raw:
        key = _name_key(run[-1].text)
        if key in surnames:
            out.append(Mention(start, end, surnames[key], True))
    return out


def _strip_possessive(word: str) -> str:
    return re.sub(r"[’']s?$", "", word)


def _name_key(word: str) -> str:
    return _strip_possessive(word).lower()


def _capitalised(tok: Token) -> bool:
    return tok.text[:1].isupper() and tok.text[:1].isalpha()


def _is_acronym(tok: Token) -> bool:
    letters = tok.text.replace(".", "")
    return len(letters) >= 2 and letters.isupper()


def _is_nationality(tok: Token) -> bool:
    low = tok.lower
    return low.endswith(_NATIONALITY_SUFFIXES) and len(low) > 5 and low not in ("erdogan",)


def _inside(start: int, end: int, regions: Iterable[tuple[int, int]]) -> bool:
    return any(rs <= start and end <= re_ for rs, re_ in regions)


def _overlaps(start: int, end: int, regions: Iterable[tuple[int, int]]) -> bool:
    return any(start < re_ and rs < end for rs, re_ in regions)


# -- frames ---------------------------------------------------------------------------
@dataclass
class _Cue:
    start: int  # token index of the first cue word
    end: int  # token index after the last cue word
    lemma: str


@lru_cache(maxsize=1)
def _phrase_heads() -> frozenset[str]:
    """First words of the multi-word cues: only there is a phrase looked up."""
    return frozenset(key[0] for key in cue_phrase_forms())


_MERGED_FORMS: dict[int, tuple[dict, dict]] = {}


def _merged_forms(extra_forms: dict[str, str] | None) -> dict[str, str]:
    """The learned extra cue forms under the hand lexicon's, merged once per extra-forms dict."""
    if not extra_forms:
        return cue_forms()
    hit = _MERGED_FORMS.get(id(extra_forms))
    if hit is None or hit[0] is not extra_forms:
        hit = (extra_forms, {**extra_forms, **cue_forms()})
        _MERGED_FORMS.clear()  # one model at a time in practice
        _MERGED_FORMS[id(extra_forms)] = hit
    return hit[1]


def _find_cues(tokens: list[Token], masked: list[tuple[int, int]], extra_forms: dict[str, str] | None = None) -> list[_Cue]:
    forms = _merged_forms(extra_forms)
    phrases = cue_phrase_forms()
    phrase_heads = _phrase_heads()
    cues: list[_Cue] = []
    # A headline in title case ("Trump Says He Never Pledged ...") capitalises its cue too:
    # there, a capitalised form of the hand lexicon is a cue (not the learned extra forms).
    title_case = _title_case(tokens)
    hand = cue_forms() if title_case else {}
    if tokens:  # only the masked regions that reach these tokens matter
        masked = [(a, b) for a, b in masked if a < tokens[-1].end and tokens[0].start < b]
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if masked and _inside(tok.start, tok.end, masked):
            i += 1
            continue
        low = tok.lower
        if low in phrase_heads:
            matched = False
            for n in (3, 2):
                key = tuple(t.lower for t in tokens[i : i + n])
                if len(key) == n and key in phrases:
                    cues.append(_Cue(i, i + n, phrases[key]))
                    i += n
                    matched = True
                    break
            if matched:
                continue
        if low in forms and not (tok.text[0].isupper() and i > 0 and tokens[i - 1].text not in ".!?“\"«:"):
            cues.append(_Cue(i, i + 1, forms[low]))
        elif title_case and low in hand and i > 0:
            cues.append(_Cue(i, i + 1, hand[low]))
        i += 1
    return cues


def _before_auxiliaries(tokens: list[Token], cue_idx: int, lo: int) -> int:
    """Where the words before a cue start once auxiliaries and -ly adverbs are passed ("has also [said]")."""
    b = cue_idx
    while b > lo and (tokens[b - 1].lower in _AUX or tokens[b - 1].lower.endswith("ly") and tokens[b - 1].text.islower()):
        b -= 1
    return b


def _source_left(tokens: list[Token], cue_idx: int, lo: int) -> tuple[int, int] | None:
    """Token range [a, b) of the subject noun phrase before the cue, if any."""
    b = _before_auxiliaries(tokens, cue_idx, lo)
    if b > lo and tokens[b - 1].text == ",":
        # "Kerr Putney, the police chief, said", "Chris Cox, who runs the NRA’s lobbying arm, says",
        # "Marley Anderson, 21, a junior from Las Vegas, said": an appositive (of up to 40 tokens,
        # commas inside) between a name and the cue. The name opens its clause: it starts the
        # sentence or follows a comma, a dash or "and"/"but" ("And on Tuesday, Kevin Brady, ...").
        k = b - 2
        while k > lo and b - k <= 40:
            t = tokens[k]
            if t.text in _QUOTE_CHARS or t.text == ";":
                return None
            if t.text == ",":
                inner = _np_left(tokens, k, lo)
                if inner is not None and _np_kind(tokens, *inner) == "name" and (
                        inner[0] == lo or tokens[inner[0] - 1].text in ",(—–-" or tokens[inner[0] - 1].lower in ("and", "but")):
                    return inner[0], b - 1
            k -= 1
        return None
    return _np_left(tokens, b, lo)


_SUBJECT_PRONOUNS = frozenset("he she they".split())


def _coordinated_subject(tokens: list[Token], cue_idx: int, lo: int) -> tuple[int, int] | None:
    """The subject of "X <verb> ... and <cue>" ("Reid caucused in Nevada and says he voted").

    Without a parser: the nearest name or he/she/they before the "and" that is followed
    by a lowercase finite-looking verb (-ed, -s, an auxiliary), within 25 tokens and
    not across a quote mark or a semicolon.
    """
    b = _before_auxiliaries(tokens, cue_idx, lo)
    if b <= lo or tokens[b - 1].lower != "and":
        return None
    k = b - 2
    while k >= lo and b - k <= 25:
        t = tokens[k]
        if t.text in _QUOTE_CHARS or t.text == ";":
            return None
        nxt = tokens[k + 1]
        verb_like = nxt.text.islower() and (nxt.lower in _AUX or nxt.lower.endswith("ed")
                                            or (nxt.lower.endswith("s") and len(nxt.lower) > 3))
        if verb_like and (t.lower in _SUBJECT_PRONOUNS or _capitalised(t)):
            if t.lower in _SUBJECT_PRONOUNS:
                return k, k + 1
            found = _np_left(tokens, k + 1, lo)
            if found is not None and _np_kind(tokens, *found) == "name":
                return found
            return None
        k -= 1
    return None


def _np_left(tokens: list[Token], b: int, lo: int) -> tuple[int, int] | None:
    a = b
    while a > lo and b - a < 8:
        t = tokens[a - 1]
        if not (t.text[0].isalnum() or t.text in "’'&-.") or t.lower in _CLAUSE_WORDS:
            break
        if t.lower in _AUX or (t.text.islower() and t.lower.endswith(("ed", "ing")) and a < b):
            break
        a -= 1
    # Drop leading prepositions and conjunction leftovers ("in Minsk Lukashenka ..." rarely).
    while a < b and tokens[a].lower in _NP_INNER:
        a += 1
    if a >= b:
        return None
    if tokens[b - 1].lower in PRONOUNS:
        return b - 1, b
    if tokens[a].lower in _PREPOSITIONS:
        return None  # "In the latest warning": a prepositional phrase, not a subject
    full_b = b
    while b - a > 1 and tokens[b - 1].lower in _TIME_WORDS:
        b -= 1
    if b < full_b and tokens[b - 1].lower in ("past", "next", "previous", "coming", "same", "first"):
        b = full_b  # "The past week has shown": the time words are the subject, not a time phrase after it
    if tokens[b - 1].lower in _DETERMINERS or tokens[b - 1].lower in _NP_INNER:
        return None
    return a, b


_QUANTIFIERS = frozenset("no any every each all both many several few other another such most".split())
_ARTICLES = frozenset("a an the no".split())
_CLAUSE_PRONOUNS = frozenset("it you we i".split())


def credible_source(tokens: list[Token], a: int, b: int, cue: int, lo: int) -> bool:
    """False for word runs before a cue that cannot be the subject of a speech verb.

    Without a parser, these shapes give the non-subjects away: the cue word used as a
    noun ("a commentator on state [television]", "made no [demands]", "the short
    [term]": a preposition or article right before it), a verb with its object ("made a
    fair [offer]", "cover a large share of ... [demand]": a lowercase first word then a
    determiner), a clause opened by "it"/"you"/"we"/"I" ("it means a single currency
    [issued]"), and a run cut by the length window that starts lowercase.
    """
    if cue > lo and tokens[cue - 1].lower in _PREPOSITIONS | _ARTICLES:
        return False
    first = tokens[a]
    if first.lower in _CLAUSE_PRONOUNS:
        return b - a == 1
    lowercase_start = first.text.islower() and first.lower not in _DETERMINERS | _QUANTIFIERS | PRONOUNS
    if lowercase_start and b - a > 1 and tokens[a + 1].lower in _DETERMINERS | _ARTICLES:
        return False
    # Cut by the window, and not just after the article that opens a long noun phrase ("The new poll of ...").
    truncated = a > lo and b - a >= 8 and tokens[a - 1].text[0].isalnum() and tokens[a - 1].lower not in _DETERMINERS | _ARTICLES
    return not (truncated and lowercase_start)


def _np_right(tokens: list[Token], a: int, hi: int, any_start: bool = False) -> tuple[int, int] | None:
    """Token range of the noun phrase starting at ``a``: a name, a pronoun or a determiner first
    (``any_start``: any word, for "according to recent polls", where a source always follows)."""
    b = a
    while b < hi and b - a < 10:
        t = tokens[b]
        if not (t.text[0].isalnum() or t.text in "’'&-") or (t.lower in _CLAUSE_WORDS | {"who", "in", "on", "during", "at"} and b > a):
            break
        b += 1
    if b == a or not (any_start or _capitalised(tokens[a]) or tokens[a].lower in _DETERMINERS - {"that", "this"}
                      or tokens[a].lower in PRONOUNS):
        return None
    return a, b


def _np_kind(tokens: list[Token], a: int, b: int) -> str:
    words = [t.lower for t in tokens[a:b]]
    if len(words) == 1 and words[0] in PRONOUNS:
        return "pronoun"
    if any(_capitalised(t) for t in tokens[a:b] if t.lower not in _SENTENCE_START_WORDS):
        return "name"
    return "description"


def _skip_after_cue(tokens: list[Token], i: int, hi: int, lemma: str) -> int:
    """Index where the content starts after a cue: past time phrases, objects of tell-verbs, "in a statement"."""
    # "that" / ":" / a quote within a few words starts the content.
    for k in range(i, min(hi, i + 12)):
        t = tokens[k].text
        if t in ".;!?":
            break
        # "that" right after the cue or its object ("told reporters that", "said Friday that").
        if t.lower() == "that" and k - i <= 4:
            return k
        if t == ":":
            return k + 1
        if t in "“«\"" and k == i:
            return k
        if t == ",":
            nxt = tokens[k + 1].text if k + 1 < hi else ""
            if nxt in "“«\"" or nxt.lower() == "that":  # 'said, “...' / 'added, however, that'
                return k + 1
            if k > i:
                break
    k = i
    while k < hi and tokens[k].lower in _TIME_WORDS and k - i < 4:
        k += 1
    return k


def _sentence_end(tokens: list[Token], hi: int) -> int:
    end = hi
    while end > 0 and tokens[end - 1].text in ".;":
        end -= 1
    return end


@dataclass
class _Frame:
    cue: tuple[int, int]
    lemma: str
    source: tuple[int, int] | None
    source_kind: str
    content: tuple[int, int] | None
    position: str  # after | before | according | colon
    cue_form: str = ""
    credible: bool = True  # False: the source is not a subject noun phrase; the attribution keeps no source


def _frames_in_sentence(tokens: list[Token], lo: int, hi: int, regions: list[tuple[int, int, bool]],
                        extra_forms: dict[str, str] | None = None) -> list[_Frame]:
    masked = [(s, e) for s, e, _ in regions]
    frames: list[_Frame] = []
    for cue in _find_cues(tokens[lo:hi], masked, extra_forms):
        ci, cj = cue.start + lo, cue.end + lo
        form = " ".join(t.lower for t in tokens[ci:cj])
        if cue.lemma == "according to":
            frame = _according_frame(tokens, ci, cj, lo, hi)
            if frame:
                frame.cue_form = form
                frames.append(frame)
            continue
        left = _source_left(tokens, ci, lo)
        if left is None and not form.endswith("ing"):
            left = _coordinated_subject(tokens, ci, lo)
        # "TASS quoted the Belarusian leader as saying": the quoted one speaks.
        if cue.lemma == "say" and ci - 1 > lo and tokens[ci - 1].lower == "as":
            k = ci - 2
            while k > lo and tokens[k].lower not in ("quoted", "quotes", "cited", "cites", "quoting", "citing") and ci - k < 10:
                k -= 1
            if tokens[k].lower in ("quoted", "quotes", "cited", "cites", "quoting", "citing") and k + 1 < ci - 1:
                left = (k + 1, ci - 1)
        rest = [t for t in tokens[cj:hi] if t.text not in ".!?;" and t.text not in _QUOTE_CHARS]
        at_end = len(rest) <= 3 and all(t.lower in _TIME_WORDS or t.text == "," for t in rest)
        if left is not None:
            a, b = left
            # '“...,” Sanders said to cheers' takes the quote; '“Futures,” Issa said Clinton ...' the clause after.
            after_is_frame_tail = not rest or rest[0].lower in _PREPOSITIONS or rest[0].lower in _TIME_WORDS
            if at_end or (_closes_quote_before(tokens, a, lo) and after_is_frame_tail):
                # "..., Lukashenko said." / "“...,” he said." : the content comes before.
                content = _preposed_content(tokens, a, lo)
                if content is None:
                    continue
                frames.append(_Frame((ci, cj), cue.lemma, (a, b), _np_kind(tokens, a, b), content, "before", form,
                                     credible_source(tokens, a, b, ci, lo)))
            else:
                start = _skip_after_cue(tokens, cj, hi, cue.lemma)
                end = _sentence_end(tokens, hi)
                content = (start, end) if end - start >= 1 else None
                frames.append(_Frame((ci, cj), cue.lemma, (a, b), _np_kind(tokens, a, b), content, "after", form,
                                     credible_source(tokens, a, b, ci, lo)))
            continue
        # Inverted: "“...,” said Lukashenko." / "..., said the spokesman."
        if ci > lo and (tokens[ci - 1].text in ",”»\"" or tokens[ci - 1].text in _QUOTE_CHARS) and not form.endswith("ing"):
            right = _np_right(tokens, cj, hi)
            if right is not None:
                content = _preposed_content(tokens, ci, lo)
                if content is not None:
                    frames.append(_Frame((ci, cj), cue.lemma, right, _np_kind(tokens, *right), content, "before", form))
    return frames


def _closes_quote_before(tokens: list[Token], a: int, lo: int) -> bool:
    # News style closes a framed quote with a comma or ?/! inside the marks: “...,” he said.
    return a - 2 >= lo and tokens[a - 1].text in "”»\"" and tokens[a - 2].text in ",?!"


def _preposed_content(tokens: list[Token], a: int, lo: int) -> tuple[int, int] | None:
    """Content before a source at token ``a``: back to the sentence start, without the joining comma."""
    b = a
    while b > lo and tokens[b - 1].text in ",—–-":
        b -= 1
    if b - lo < 2:
        return None
    return lo, b


def _according_frame(tokens: list[Token], ci: int, cj: int, lo: int, hi: int) -> _Frame | None:
    right = _np_right(tokens, cj, hi, any_start=True)
    if right is None:
        return None
    a, b = right
    if ci == lo or (ci - lo <= 1 and tokens[lo].text in "(—"):
        # "According to X, CONTENT."
        k = b
        while k < hi and tokens[k].text != ",":
            k += 1
        start = k + 1
        end = _sentence_end(tokens, hi)
        content = (start, end) if end > start else None
    else:
        end = ci
        while end > lo and tokens[end - 1].text in ",—–-(":
            end -= 1
        content = (lo, end) if end > lo else None
    if content is None:
        return None
    return _Frame((ci, cj), "according to", (a, b), _np_kind(tokens, a, b), content, "according")


# -- extraction -----------------------------------------------------------------------------
_PAIR_OPEN = re.compile(r"(?:(?<=^)|(?<=[\s(\[—–-]))''(?=[^\s'])", re.MULTILINE)
_PAIR_CLOSE = re.compile(r"(?<=[^\s'])''(?=[\s.,;:!?)\]—–-]|$)", re.MULTILINE)


def _single_quote_pairs_as_marks(text: str) -> str:
    """Two apostrophes used as a quote mark (''...'' in some wire and archive texts) as one ".

    The text keeps its length, so every offset stays valid: an opening '' becomes ' "'
    (space, mark: the mark sits next to the quoted word) and a closing one '" '.
    """
    if "''" not in text:
        return text
    text = _PAIR_OPEN.sub(' "', text)
    return _PAIR_CLOSE.sub('" ', text)


def extract_quotes(text: str, sentences: list[tuple[int, int]] | None = None, entity_spans: list[Any] | None = None,
                   model: "QuoteModel | None" = None) -> list[Attribution]:
    """All quotes and reported speech in ``text`` (one paragraph per line), scored and speaker-resolved."""
    model = model if model is not None else get_model()
    text = _single_quote_pairs_as_marks(text)
    paragraphs = split_paragraphs(text)
    if sentences is None:
        sentences = split_sentences(text, "en")
    regions_by_para = {p: quote_regions(text, *p) for p in paragraphs}
    all_regions = [(s, e) for regs in regions_by_para.values() for s, e, _ in regs]
    found: list[Attribution] = []
    prev_para_quote: Attribution | None = None  # speaker carried into a continuing / block quote
    prev_para_intro: Attribution | None = None  # a frame ending its paragraph with ":"
    for ps, pe in paragraphs:
        regions = regions_by_para[(ps, pe)]
        tokens = tokenize(text, ps, pe)
        para_sents = _sentence_token_ranges(tokens, [s for s in sentences if ps <= s[0] < pe], regions)
        claimed: list[tuple[int, int]] = []
        para_found: list[Attribution] = []
        labelled = _name_colon_line(text, ps, pe)
        if labelled is not None:
            para_found.append(labelled)
            claimed.append(labelled.content)
        last_frame: _Frame | None = None
        for lo, hi in para_sents:
            for fr in _frames_in_sentence(tokens, lo, hi, regions, model.extra_forms):
                # The frame that introduces a following block quote: prefer a named or pronoun source
                # ("TASS quoted the Belarusian leader as saying the following remarks:").
                if fr.source is not None and (last_frame is None or fr.source_kind != "description"
                                              or last_frame.source_kind == "description"):
                    last_frame = fr
                att = _frame_to_attribution(tokens, fr, regions, text)
                if att is None:
                    continue
                para_found.append(att)
                claimed.append(att.content)
        # Unframed quotes: full-sentence and block quotes are quotes; short ones are scare quotes.
        for rs, re_, closed in regions:
            if _overlaps(rs, re_, claimed):
                continue
            words = [t for t in tokenize(text, rs, re_) if t.text[0].isalnum()]
            starts_paragraph = rs == ps
            starts_sentence = starts_paragraph or any(s[0] == rs for s in sentences) or text[max(ps, rs - 2):rs].strip() in (".", "")
            if len(words) < 5 or not starts_sentence:
                continue
            source_att = None
            if starts_paragraph and re_ >= pe - 1:
                source_att = prev_para_intro or prev_para_quote
            if source_att is None:
                source_att = _nearest_before(para_found, rs) or (prev_para_quote if starts_paragraph else None)
            att = Attribution((rs, re_), kind="direct", cue_lemma=source_att.cue_lemma if source_att else None,
                              cue_form=source_att.cue_form if source_att else None)
            if source_att is not None:
                att.cue, att.source, att.speaker = source_att.cue, source_att.source, source_att.speaker
                att.features = {**source_att.features, "block": 1.0}
            else:
                att.features = {"unframed": 1.0}
            para_found.append(att)
            claimed.append((rs, re_))
        para_found.sort(key=lambda a: a.content[0])
        # A paragraph ending with ":" introduces the block quote that follows.
        intro = None
        if text[ps:pe].rstrip().endswith(":") and last_frame is not None:
            cue = (tokens[last_frame.cue[0]].start, tokens[last_frame.cue[1] - 1].end)
            sa, sb = last_frame.source
            intro = Attribution((cue[1], cue[1]), cue, (tokens[sa].start, tokens[sb - 1].end), None, "direct", 1.0,
                                last_frame.lemma, last_frame.cue_form, {"src_" + last_frame.source_kind: 1.0, "pos_colon": 1.0})
            content_words = [t for t in tokenize(text, cue[1], pe) if t.text[0].isalnum()]
            if len(content_words) <= 4:
                # "he explained that:" says nothing itself; its content is the next paragraph.
                para_found = [a for a in para_found if a.cue != cue]
        found.extend(para_found)
        prev_para_intro = intro
        quoted = [a for a in para_found if a.kind == "direct" and a.content[1] >= pe - 1]
        prev_para_quote = quoted[-1] if quoted and (quoted[-1].source is not None) else None
        if prev_para_intro is None and regions and not regions[-1][2] and quoted:
            prev_para_quote = quoted[-1]
    _resolve_speakers(text, found, all_regions, entity_spans)
    for att in found:
        att.score = model.score(att)
    return [a for a in found if a.score >= model.threshold]


_NAME_COLON = re.compile(r"((?:[A-Z][\w’'.\-]*\s){0,3}[A-Z][\w’'.\-]*):\s+(?=\S)")
_NOT_SPEAKERS = frozenset(
    "update updated note editor’s editor's photo photos video source sources related read watch see also "
    "warning breaking exclusive analysis opinion correction disclaimer caption tags share comments q a".split()
)


def _name_colon_line(text: str, ps: int, pe: int) -> Attribution | None:
    """"Graham: Trump’s rhetoric is hateful" / transcript lines "TAPPER: ...": the name speaks the rest."""
    m = _NAME_COLON.match(text, ps, pe)
    if m is None or m.group(1).lower() in _NOT_SPEAKERS or m.group(1).split()[0].lower() in _NOT_SPEAKERS:
        return None
    start = m.end()
    if len([t for t in tokenize(text, start, pe) if t.text[0].isalnum()]) < 3:
        return None
    colon = m.end(1)
    return Attribution((start, pe), (colon, colon + 1), (m.start(1), m.end(1)), None, "direct" if text[start] in _QUOTE_CHARS else "reported",
                       1.0, ":", ":", {"src_name": 1.0, "pos_colon": 1.0})


def _nearest_before(atts: list[Attribution], pos: int) -> Attribution | None:
    before = [a for a in atts if a.content[1] <= pos and a.kind != "reported" and a.source is not None]
    return before[-1] if before else None


def _sentence_token_ranges(tokens: list[Token], sentences: list[tuple[int, int]], regions: list[tuple[int, int, bool]]) -> list[tuple[int, int]]:
    """Token ranges of the sentences, merged where a sentence boundary falls inside a quote."""
    if not tokens:
        return []
    bounds = []
    for s, e in sentences:
        if any(rs < s < re_ for rs, re_, _ in regions) and bounds:
            bounds[-1] = (bounds[-1][0], e)
        else:
            bounds.append((s, e))
    if not bounds:
        bounds = [(tokens[0].start, tokens[-1].end)]
    ranges = []
    k = 0
    for s, e in bounds:
        lo = k
        while k < len(tokens) and tokens[k].start < e:
            k += 1
        if k > lo:
            ranges.append((lo, k))
    if k < len(tokens):
        ranges.append((k, len(tokens)))
    return ranges


def _frame_to_attribution(tokens: list[Token], fr: _Frame, regions: list[tuple[int, int, bool]], text: str) -> Attribution | None:
    if fr.content is None or fr.content[1] <= fr.content[0]:
        return None
    cs, ce = tokens[fr.content[0]].start, tokens[fr.content[1] - 1].end
    # A quote cut by the sentence end or the frame belongs to the content whole.
    for rs, re_, _ in regions:
        if rs < ce < re_ or (ce < re_ and re_ - ce <= 2 and rs < ce):
            ce = re_
        if rs < cs < re_:
            cs = rs
    words = [t for t in tokenize(text, cs, ce) if t.text[0].isalnum()]
    if len(words) < 2 and not fr.position == "before":
        return None
    inside = [(rs, re_) for rs, re_, _ in regions if cs <= rs and re_ <= ce]
    if inside and _quote_covers(text, cs, ce, inside):
        kind = "direct"
    elif inside:
        kind = "mixed"
    else:
        kind = "reported"
    sa, sb = fr.source if fr.source else (None, None)
    # An implausible subject is dropped unless it holds a name (its speaker is then that name: "Trump notably made no").
    keep = fr.credible or (fr.source_kind == "name" and fr.source is not None and fr.source[1] - fr.source[0] < 8
                           and _capitalised(tokens[fr.source[0]]))
    source = (tokens[sa].start, tokens[sb - 1].end) if fr.source and keep else None
    cue = (tokens[fr.cue[0]].start, tokens[fr.cue[1] - 1].end)
    n_words = len(words)
    feats = {
        "src_" + fr.source_kind: 1.0,
        "pos_" + fr.position: 1.0,
        "kind_" + kind: 1.0,
        "log_len": math.log1p(n_words),
        "that": 1.0 if text[cs:cs + 5].lower() == "that " else 0.0,
        "cue_upper": 1.0 if text[cue[0]].isupper() else 0.0,
    }
    return Attribution((cs, ce), cue, source, None, kind, 1.0, fr.lemma, fr.cue_form, feats)


def _quote_covers(text: str, cs: int, ce: int, inside: list[tuple[int, int]]) -> bool:
    """True when everything in [cs, ce) outside the quotes is punctuation or space."""
    pos = cs
    rest = []
    for rs, re_ in sorted(inside):
        rest.append(text[pos:rs])
        pos = re_
    rest.append(text[pos:ce])
    return not any(ch.isalnum() for chunk in rest for ch in chunk)


# -- speakers ----------------------------------------------------------------------------
def _resolve_speakers(text: str, atts: list[Attribution], quote_mask: list[tuple[int, int]], entity_spans: list[Any] | None) -> None:
    mentions = person_mentions(text, quote_mask, entity_spans)
    # What someone else is reported to say is not where "she" or "the expert" points: in "leaders
    # who have claimed that Putin aims to subsume Belarus. She wrote: ..." she is not Putin.
    # A name that is itself a source ("..., according to Monika Bickauskaite") stays a candidate.
    sources = [a.source for a in atts if a.source is not None]
    reported = [p for a in atts for p in (a.parts or [a.content])]
    in_reported = _inside_test(reported)
    demoted = {(m.start, m.end) for m in mentions
               if in_reported(m.start, m.end) and not _overlaps(m.start, m.end, sources)}
    for att in atts:
        if att.speaker is not None or att.source is None:
            continue
        att.speaker = resolve_speaker(text, att.source, mentions, demoted)


def resolve_speaker(text: str, source: tuple[int, int], mentions: list[Mention],
                    demoted: set[tuple[int, int]] | None = None) -> str | None:
    """The canonical actor a source span refers to: a name inside it, else (pronoun, role) the last person
    before it, preferring persons not ``demoted`` (named only inside what someone else is reported to say;
    quotes are never candidates)."""
    ss, se = source
    surface = text[ss:se].strip(" ,")
    words = [t.lower for t in tokenize(text, ss, se) if t.text[0].isalnum()]
    head = words[-1] if words else ""
    # "the Belarusian leader", "this expert": a role reference, resolved like a pronoun.
    role_ref = bool(words) and words[0] in ("the", "this", "that") and head.rstrip("s") in ROLE_NOUNS
    inside = [m for m in mentions if ss <= m.start and m.end <= se]
    if inside:
        person = [m for m in inside if m.person]
        if person:
            return person[0].name
        if not role_ref:
            # "Russian officials", "Kremlin spokesman", "the Ukrainian President’s office": a place or an
            # organisation qualifying a common noun is not who speaks; the description is.
            tail = text[max(m.end for m in inside):se].split()
            if tail and tail[-1][:1].islower() and tail[-1].rstrip("’'s").isalpha() and plausible_speaker(surface):
                return surface
            return inside[0].name
    if not words:
        return None
    if (len(words) == 1 and head in PERSON_PRONOUNS) or role_ref or head == "who":
        before = [m for m in mentions if m.end <= ss and m.person]
        if head == "who":
            before = [m for m in before if ss - m.end <= 4]
        elif demoted:
            before = [m for m in before if (m.start, m.end) not in demoted] or before
        country = role_country(words) if role_ref else None
        if country:  # "the Belarusian leader": a Belarusian named before, or nobody (a wrong name is worse)
            before = [m for m in before if mention_country(m) == country]
        if before:
            return before[-1].name
        return None
    if head in PRONOUNS or not plausible_speaker(surface):
        return None
    return surface


def mention_country(m: Mention) -> str | None:
    """The mention's country: from its entity span, else from the gazetteer entry of its name."""
    if m.country:
        return m.country
    gazetteer = load_gazetteer()
    actor = gazetteer.lookup(m.name)
    return gazetteer.country_of(actor.id) if actor else None


def role_country(words: list[str]) -> str | None:
    """The country a role reference names by its adjective ("the Belarusian leader" -> "belarus")."""
    demonyms = load_gazetteer().demonym_country
    return next((demonyms[fold(w)] for w in words if fold(w) in demonyms), None)


_GROUP_NOUNS = frozenset(
    "officials analysts observers experts critics sources residents protesters voters people authorities "
    "investigators prosecutors police witnesses organisers organizers supporters opponents commentators "
    "scholars scientists researchers economists officers soldiers workers students parents doctors".split()
)


def plausible_speaker(surface: str) -> bool:
    """False for source words that cannot name who speaks, kept as spans but shown as no speaker:
    a lone verb or adverb ("helped", "requires", "well"), a participle first ("Facing popular"),
    a possessive end ("the two countries’"), a quantifier or connective first ("any such",
    "regardless of the self-interested"), a stretch of time ("the past week", "last year")."""
    words = surface.split()
    if not words:
        return False
    first, last = words[0].lower(), words[-1]
    if last.endswith(("’", "'", "’s", "'s")):
        return False
    if first.endswith(("ing", "ed")) or first in ("regardless", "any", "well", "such", "also", "even", "only"):
        return False
    if len(words) == 1 and words[0].islower():
        word = words[0]
        return word in _GROUP_NOUNS or word.removesuffix("s") in ROLE_NOUNS
    if len(words) <= 4 and last.islower() and last in _TIME_NOUNS and first in _TIME_OPENERS:
        return False  # a stretch of time: "The past week has shown that ...", "Last year proved ..."
    return True


_TIME_NOUNS = frozenset("day days week weeks weekend month months year years decade decades hour hours "
                        "morning afternoon evening night period century".split())
_TIME_OPENERS = frozenset("the this that last past next recent every each a one".split())


# -- the learned layer ---------------------------------------------------------------------
class QuoteModel:
    """Learned cue forms and priors + a logistic regression over frame features; scores in [0, 1]."""

    def __init__(self, priors: dict[str, float], default_prior: float, weights: dict[str, float], bias: float,
                 threshold: float, extra_forms: dict[str, str] | None = None):
        self.priors = priors  # cue form ("said", "according to") → share of PolNeAR train frames that were right
        self.default_prior = default_prior
        self.weights = weights
        self.bias = bias
        self.threshold = threshold
        self.extra_forms = extra_forms or {}  # cue words learned from PolNeAR train beyond the lexicon

    @classmethod
    def rules_only(cls, extra_forms: dict[str, str] | None = None) -> "QuoteModel":
        return cls({}, 0.5, {}, 0.0, 0.0, extra_forms)

    @classmethod
    def load(cls) -> "QuoteModel":
        try:
            raw = json.loads(resources.files(MODEL_PACKAGE).joinpath("model.json").read_text(encoding="utf-8"))
        except (FileNotFoundError, ModuleNotFoundError):
            return cls.rules_only()
        return cls(raw["priors"], raw["default_prior"], raw["weights"], raw["bias"], raw["threshold"], raw.get("extra_forms"))

    def with_threshold(self, threshold: float) -> "QuoteModel":
        """This model with another score threshold (0: every rule frame, as the tagger reads them)."""
        other = copy.copy(self)
        other.threshold = threshold
        return other

    def prior(self, form: str | None) -> float:
        return self.priors.get(form or "", self.default_prior)

    def features(self, att: Attribution) -> dict[str, float]:
        prior = min(max(self.prior(att.cue_form) if att.cue_form else self.default_prior, 1e-3), 1 - 1e-3)
        return {"prior_logit": math.log(prior / (1 - prior)), "no_cue": 0.0 if att.cue_form else 1.0, **att.features}

    def score(self, att: Attribution) -> float:
        if not self.weights:
            return 1.0
        z = self.bias + sum(self.weights.get(k, 0.0) * v for k, v in self.features(att).items())
        return 1.0 / (1.0 + math.exp(-z))

    def to_json(self) -> dict[str, Any]:
        return {"priors": self.priors, "default_prior": self.default_prior, "weights": self.weights,
                "bias": self.bias, "threshold": self.threshold, "extra_forms": self.extra_forms}


@lru_cache(maxsize=1)
def get_model() -> QuoteModel:
    return QuoteModel.load()


def _model_digest() -> str:
    """Digest of the rule scorer and the tagger files (a change to either changes the stage's output)."""
    digest = hashlib.sha256()
    for name in ("model.json", "tagger.json", "tagger.npz"):
        try:
            digest.update(resources.files(MODEL_PACKAGE).joinpath(name).read_bytes())
        except (FileNotFoundError, ModuleNotFoundError):
            digest.update(b"missing:" + name.encode())
    return digest.hexdigest()[:10]


# -- the stage ------------------------------------------------------------------------------
METHODS = ("tagger", "rules")


@register_stage
class QuotesStage(Stage):
    """Adds ``quote`` spans: label direct | reported | mixed, attrs cue, source, speaker.

    ``method = "tagger"`` (the default): the learned tagger over the shared encoder pass,
    with the rule frames as its inputs (nlp/quote_tagger.py); ``"rules"``: the rules and
    their scorer alone, no transformer (the fast profile).
    """

    name = "quotes"
    version = "3+" + _model_digest()  # 3: contents stop at a blank line (2026-12-07)

    def __init__(self, config: dict[str, Any] | None = None):
        super().__init__(config)
        self.method = self.config.get("method", "tagger")
        if self.method not in METHODS:
            raise ConfigError(f"[stages.quotes] method = {self.method!r}: expected one of {', '.join(METHODS)}")

    def process(self, batch: list[Document]) -> list[Document]:
        todo = []
        for doc in batch:
            if not doc.text.strip():
                doc.meta.setdefault("warnings", []).append("quotes: empty text, nothing to analyse")
            elif doc.language not in (None, "en", "und"):
                doc.meta.setdefault("warnings", []).append(
                    f"quotes: not analysed, the cue lexicon is English-only (text is {doc.language!r})")
            else:
                todo.append(doc)
        encoded: list[Any] = [None] * len(todo)
        if self.method == "tagger" and todo:
            from .encoder import encode_documents

            encoded = encode_documents(todo, middle=True)  # the tagger reads the layer-4 states too
        for doc, enc in zip(todo, encoded):
            sentences = [(s.start, s.end) for s in doc.sentences] or None
            entities = doc.spans_of("entity") or None
            for att in find_quotes(doc.text, sentences, entities, enc):
                doc.add_span(att.content[0], att.content[1], "quote", label=att.kind, score=round(att.score, 4),
                             cue=list(att.cue) if att.cue else None, source=list(att.source) if att.source else None,
                             speaker=att.speaker)
        return batch


def find_quotes(text: str, sentences: list[tuple[int, int]] | None = None, entity_spans: list[Any] | None = None,
                encoded: Any = None) -> list[Attribution]:
    """Quotes of ``text``: by the learned tagger when ``encoded`` (the text's shared encoder pass) is given,
    else by the rules alone (:func:`extract_quotes`)."""
    if encoded is None:
        return extract_quotes(text, sentences, entity_spans)
    from .quote_tagger import get_tagger

    model = get_model()
    frames = extract_quotes(text, sentences, entity_spans, model.with_threshold(0.0))
    kept = [a for a in frames if a.score >= model.threshold]
    return get_tagger().tag(text, encoded, frames, kept, entity_spans)


# -- PolNeAR (brat standoff) ------------------------------------------------------------------
def read_brat_attributions(ann_text: str) -> list[Attribution]:
    """Attributions of one PolNeAR ``.ann`` file (``T`` spans tied by ``E`` lines; ``s e;s e`` = discontinuous)."""
    spans: dict[str, tuple[str, list[tuple[int, int]]]] = {}
    events: list[dict[str, str]] = []
    for line in ann_text.splitlines():
        parts = line.split("\t")
        if line.startswith("T") and len(parts) >= 2:
            kind, _, ranges = parts[1].partition(" ")
            try:
                pieces = [tuple(int(x) for x in r.split()) for r in ranges.split(";")]
            except ValueError:
                continue
            spans[parts[0]] = (kind, [(p[0], p[1]) for p in pieces if len(p) == 2])
        elif line.startswith("E") and len(parts) >= 2:
            args = {}
            for arg in parts[1].split():
                role, _, ref = arg.partition(":")
                args.setdefault(role, ref)
            events.append(args)
    out = []
    for args in events:
        content = spans.get(args.get("Content", ""))
        if not content or not content[1]:
            continue
        parts_ = sorted(content[1])
        cue = spans.get(args.get("Cue", ""))
        source = spans.get(args.get("Source", ""))
        out.append(Attribution(
            (parts_[0][0], parts_[-1][1]),
            cue=(cue[1][0][0], cue[1][-1][1]) if cue and cue[1] else None,
            source=(source[1][0][0], source[1][-1][1]) if source and source[1] else None,
            parts=parts_,
        ))
    return out


def polnear_documents(split_dir: str | Path) -> list[tuple[str, str, list[Attribution]]]:
    """(name, text, gold attributions) for each article of a PolNeAR split; one annotator file per article."""
    split_dir = Path(split_dir)
    out = []
    anns: dict[str, Path] = {}
    for ann in sorted((split_dir / "attributions").glob("*.ann")):
        base = re.sub(r"_[0-9a-f]+$", "", ann.stem)
        anns.setdefault(base, ann)
    for base, ann in sorted(anns.items()):
        txt = split_dir / "text" / f"{base}.txt"
        if txt.is_file():
            out.append((base, txt.read_text(encoding="utf-8"), read_brat_attributions(ann.read_text(encoding="utf-8"))))
    return out


# -- metric -------------------------------------------------------------------------------------
_WORD = re.compile(r"\w+")


def word_set(text: str, pieces: Iterable[tuple[int, int]]) -> frozenset[int]:
    """Start offsets of the words (runs of \\w) that overlap any of the pieces."""
    out: set[int] = set()
    for s, e in pieces:
        # Widen to whole words so a span that cuts a word still counts the word once.
        while s > 0 and text[s - 1].isalnum():
            s -= 1
        for m in _WORD.finditer(text, s, e):
            out.add(m.start())
    return frozenset(out)


def _pieces(att: Attribution) -> list[tuple[int, int]]:
    return att.parts or [att.content]


@dataclass
class QuoteScores:
    overlap_p: float
    overlap_r: float
    overlap_f1: float
    exact_p: float
    exact_r: float
    exact_f1: float
    cue_p: float
    cue_r: float
    cue_f1: float
    source_accuracy: float
    matched: int
    n_pred: int
    n_gold: int

    def as_dict(self) -> dict[str, float]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def score_quotes(docs: Iterable[tuple[str, list[Attribution], list[Attribution]]]) -> QuoteScores:
    """Score predictions against gold over (text, gold, predicted) triples.

    Content overlap: a predicted span's precision is its best word-overlap share
    with any gold content (|P∩G| / |P|), a gold span's recall its best share
    covered by any prediction (|P∩G| / |G|); P and R are the means over all
    predicted / gold spans, F1 their harmonic mean. Exact: content word sets
    equal. Cue: a predicted cue is right when it shares a word with a gold cue
    (P over predicted cues, R over gold cues). Source accuracy: over gold spans
    matched one-to-one to a prediction with overlap F1 >= 0.5, the share whose
    predicted source shares a word with the gold source (both absent counts as right).
    """
    sum_p = sum_r = 0.0
    n_pred = n_gold = exact_tp = cue_tp_p = cue_tp_r = n_cue_pred = n_cue_gold = 0
    matched = src_ok = 0
    for text, gold, pred in docs:
        gw = [word_set(text, _pieces(g)) for g in gold]
        pw = [word_set(text, _pieces(p)) for p in pred]
        n_pred += len(pred)
        n_gold += len(gold)
        for w in pw:
            sum_p += max((len(w & g) / len(w) for g in gw if w), default=0.0)
        for g in gw:
            sum_r += max((len(w & g) / len(g) for w in pw if g), default=0.0)
        gold_exact = set(gw)
        exact_tp += sum(1 for w in pw if w and w in gold_exact)
        gc = [word_set(text, [g.cue]) for g in gold if g.cue]
        pc = [word_set(text, [p.cue]) for p in pred if p.cue]
        n_cue_pred += len(pc)
        n_cue_gold += len(gc)
        cue_tp_p += sum(1 for c in pc if any(c & g for g in gc))
        cue_tp_r += sum(1 for g in gc if any(c & g for c in pc))
        # One-to-one matching, best pairs first.
        pairs = []
        for i, g in enumerate(gw):
            for j, w in enumerate(pw):
                inter = len(g & w)
                if inter:
                    f = 2 * inter / (len(g) + len(w))
                    if f >= 0.5:
                        pairs.append((f, i, j))
        used_g: set[int] = set()
        used_p: set[int] = set()
        for f, i, j in sorted(pairs, reverse=True):
            if i in used_g or j in used_p:
                continue
            used_g.add(i)
            used_p.add(j)
            matched += 1
            gs, ps = gold[i].source, pred[j].source
            if gs is None and ps is None:
                src_ok += 1
            elif gs is not None and ps is not None and word_set(text, [gs]) & word_set(text, [ps]):
                src_ok += 1
    p = sum_p / n_pred if n_pred else 0.0
    r = sum_r / n_gold if n_gold else 0.0
    ep = exact_tp / n_pred if n_pred else 0.0
    er = exact_tp / n_gold if n_gold else 0.0
    cp = cue_tp_p / n_cue_pred if n_cue_pred else 0.0
    cr = cue_tp_r / n_cue_gold if n_cue_gold else 0.0
    return QuoteScores(p, r, _f1(p, r), ep, er, _f1(ep, er), cp, cr, _f1(cp, cr),
                       src_ok / matched if matched else 0.0, matched, n_pred, n_gold)


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0
