"""The actor gazetteer: canonical actors of the domain, their aliases and metonyms.

The shipped list lives in ``data/gazetteer.yaml``; users extend it with files in
the same format (``[stages.entities] gazetteers = [...]``). Lookups compare
normalised names (case, diacritics, titles, articles and possessives removed),
then near spellings (typos such as "Lukahsneko").
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

import yaml

from ..errors import ConfigError

ENTITY_TYPES = ("PERSON", "ORG", "GPE", "NORP", "LOC")

# Titles and honorifics dropped before matching ("Pres Lukashenko", "Ms Bickauskaite",
# "Prime Minister Medvedev"): a run of modifiers ending in a title word.
TITLES = frozenset(
    """pres president mr mrs ms miss dr prof sir dame lord lady gen general col colonel pm premier
    chancellor minister secretary senator sen rep gov governor ambassador comrade king queen prince
    patriarch mayor spokesman spokeswoman spokesperson leader dictator
    господин госпожа президент премьер министр""".split()
)
TITLE_MODIFIERS = frozenset("prime foreign defence defense deputy vice former acting first belarusian russian ukrainian".split())
_POSSESSIVE = re.compile(r"(?:['’]s|['’])$")
_LETTER_FOLD = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "ß": "ss", "ё": "е", "Ё": "Е"})


@dataclass
class Actor:
    """One canonical actor."""

    id: str
    name: str
    type: str
    wikidata: str | None = None
    aliases: list[str] = field(default_factory=list)
    metonyms: list[str] = field(default_factory=list)  # places that stand for this actor when they act
    source: str = ""  # the gazetteer file it came from
    country: str | None = None  # id of the country a person or body belongs to ("belarus")
    demonyms: list[str] = field(default_factory=list)  # a country's adjectives ("Belarusian")


def fold(text: str) -> str:
    """Case- and diacritic-insensitive form of a name (Łukaszenka -> lukaszenka, Лукашенко -> лукашенко)."""
    text = unicodedata.normalize("NFKD", text.translate(_LETTER_FOLD))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("’", "'").replace("‘", "'")
    return " ".join(text.casefold().split())


def strip_title_and_possessive(name: str) -> str:
    """``"Pres Lukashenko's"`` -> ``"Lukashenko"``: the name as a person or body is called."""
    name = _POSSESSIVE.sub("", name.strip())
    words = name.split()
    while words and words[0].casefold() in ("the",):
        words = words[1:]
    cut = 0
    for i, word in enumerate(words[:-1]):
        w = word.rstrip(".").casefold()
        if w in TITLES:
            cut = i + 1
        elif w not in TITLE_MODIFIERS:
            break
    words = words[cut:]
    return " ".join(words)


@lru_cache(maxsize=1 << 16)
def name_key(name: str) -> str:
    """The key names are compared on: folded, no title, article, possessive, dots or hyphens.

    Cached: the entities stage asks for the same few hundred names again and again.
    """
    name = strip_title_and_possessive(name)
    key = fold(name).replace(".", "").replace("-", " ").replace("'", "")
    return " ".join(key.split())


def osa_distance(a: str, b: str, limit: int = 3) -> int:
    """Edit distance where swapping two neighbouring letters costs 1 (typos like "hs" for "sh")."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def _letters_missing(a: str, b: str) -> int:
    """How many letters of ``a`` find no copy in ``b`` (as multisets): a lower bound of their edit distance."""
    counts = Counter(a)
    counts.subtract(b)
    return sum(n for n in counts.values() if n > 0)


# Fuzzy matching: similarity = 1 - distance / longer length, same first letter,
# at least 6 letters. 0.8 lets a two-edit typo of a 10-letter name through
# (Lukahsneko -> Lukashenko) and keeps neighbours apart (Lithuania/Latvia 0.56,
# Austria/Australia 0.78, Iran/Iraq too short).
FUZZY_MIN_SIMILARITY = 0.8
FUZZY_MIN_LENGTH = 6
_DEMONYM = ("an", "ans", "ese", "ish", "ic")  # adjective and people endings (Belarussian, Ukrainians)


class Gazetteer:
    """Actors by id, and an index from normalised alias to actor."""

    def country_of(self, actor_id: str | None) -> str | None:
        """The country id of an actor (itself for a country), None where the gazetteer does not say."""
        actor = self.actors.get(actor_id or "")
        if actor is None:
            return None
        return actor.id if actor.demonyms else actor.country

    def __init__(self, actors: Iterable[Actor]):
        self.actors: dict[str, Actor] = {}
        for actor in actors:
            self.actors[actor.id] = actor  # a later file replaces an entry with the same id
        self._alias: dict[str, Actor] = {}
        self._metonym: dict[str, Actor] = {}
        for actor in self.actors.values():
            for alias in [actor.name, *actor.aliases]:
                key = name_key(alias)
                if key:
                    # Names win over aliases of other actors: "Kremlin" the place vs the metonym.
                    self._alias.setdefault(key, actor)
            for metonym in actor.metonyms:
                self._metonym[name_key(metonym)] = actor
        # "Belarusian" -> belarus: role references ("the Belarusian leader") name a country this way.
        self.demonym_country: dict[str, str] = {
            fold(d): actor.id for actor in self.actors.values() for d in actor.demonyms}
        for actor in self.actors.values():  # canonical names always point at their own actor
            self._alias[name_key(actor.name)] = actor
        # A metonym covers every spelling of its place: "Hrodna" declared, "Grodno" acts too.
        for key, government in list(self._metonym.items()):
            place = self._alias.get(key)
            if place is not None and place is not government and place.type in ("GPE", "LOC"):
                for alias in [place.name, *place.aliases]:
                    self._metonym.setdefault(name_key(alias), government)
        self._fuzzy_keys: dict[str, list[str]] = {}  # by first letter: only those can match
        for k in self._alias:
            if len(k) >= FUZZY_MIN_LENGTH:
                self._fuzzy_keys.setdefault(k[0], []).append(k)
        self._fuzzy_cache: dict[str, tuple[Actor, float] | None] = {}

    def __len__(self) -> int:
        return len(self.actors)

    def lookup(self, name: str) -> Actor | None:
        """The actor a name is an alias of (case, diacritics, titles and possessives ignored)."""
        return self._alias.get(name_key(name))

    def fuzzy_lookup(self, name: str) -> tuple[Actor, float] | None:
        """The actor whose alias is spelled nearly like ``name`` (typos, transliterations), with the similarity."""
        key = name_key(name)
        if key not in self._fuzzy_cache:
            self._fuzzy_cache[key] = self._nearest(key)
        return self._fuzzy_cache[key]

    def _nearest(self, key: str) -> tuple[Actor, float] | None:
        if len(key) < FUZZY_MIN_LENGTH:
            return None
        best: tuple[Actor, float] | None = None
        for cand in self._fuzzy_keys.get(key[0], ()):
            if abs(len(cand) - len(key)) > 2:
                continue
            if cand.startswith(key) or key.startswith(cand) or key.endswith(_DEMONYM) != cand.endswith(_DEMONYM):
                continue  # a derived word, not a typo: American/America, Belarussian/Belorussia
            if _letters_missing(key, cand) > 2:
                continue  # each edit leaves at most one letter of one name without its match in the other
            distance = osa_distance(key, cand, 2)
            if distance > 2:
                continue
            sim = 1 - distance / max(len(key), len(cand))
            if sim >= FUZZY_MIN_SIMILARITY and (best is None or sim > best[1]):
                best = (self._alias[cand], sim)
        return best

    def government_of(self, place: str) -> Actor | None:
        """The actor a place name stands for when it acts ("Moscow" -> Government of Russia)."""
        return self._metonym.get(name_key(place))

    def surface_forms(self) -> list[tuple[str, Actor]]:
        """Every name, alias and metonym with its actor, for matching in running text."""
        out = []
        for actor in self.actors.values():
            out.extend((alias, actor) for alias in [actor.name, *actor.aliases])
        out.extend((m, actor) for actor in self.actors.values() for m in actor.metonyms)
        return out


# -- loading and validation ----------------------------------------------------
_QID = re.compile(r"^Q[1-9][0-9]*$")
_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


def parse_gazetteer(data: Any, source: str) -> list[Actor]:
    """Actors from a parsed YAML document; ``ConfigError`` naming the file and entry on any mistake."""
    if not isinstance(data, dict) or not isinstance(data.get("actors"), list):
        raise ConfigError(f"{source}: a gazetteer is a mapping with an 'actors' list")
    actors, seen = [], set()
    for i, entry in enumerate(data["actors"]):
        where = f"{source}: actor #{i + 1}"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: expected a mapping with id, name, type")
        if isinstance(entry.get("id"), str):
            where += f" ({entry['id']})"
        unknown = set(entry) - {"id", "name", "type", "wikidata", "aliases", "metonyms", "description", "country", "demonyms"}
        if unknown:
            raise ConfigError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        for key in ("id", "name", "type"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise ConfigError(f"{where}: '{key}' is required and must be a non-empty string")
        if not _ID.match(entry["id"]):
            raise ConfigError(f"{where}: id must be lower-case letters, digits, '-', '_' or '.'")
        if entry["id"] in seen:
            raise ConfigError(f"{where}: duplicate id in this file")
        seen.add(entry["id"])
        if entry["type"] not in ENTITY_TYPES:
            raise ConfigError(f"{where}: type must be one of {', '.join(ENTITY_TYPES)}, not {entry['type']!r}")
        qid = entry.get("wikidata")
        if qid is not None and not (isinstance(qid, str) and _QID.match(qid)):
            raise ConfigError(f"{where}: wikidata must be a Q-id like 'Q159' or null, not {qid!r}")
        country = entry.get("country")
        if country is not None and not (isinstance(country, str) and _ID.match(country)):
            raise ConfigError(f"{where}: country must be the id of a country actor like 'belarus', not {country!r}")
        lists = {}
        for key in ("aliases", "metonyms", "demonyms"):
            value = entry.get(key) or []
            if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
                raise ConfigError(f"{where}: '{key}' must be a list of non-empty strings")
            lists[key] = [str(v).strip() for v in value]
        actors.append(Actor(entry["id"], entry["name"].strip(), entry["type"], qid, lists["aliases"], lists["metonyms"], source,
                            country, lists["demonyms"]))
    return actors


def read_gazetteer_file(path: str | Path) -> list[Actor]:
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{p}: gazetteer file not found") from None
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise ConfigError(f"{p}: not valid YAML: {e}") from None
    return parse_gazetteer(data, str(p))


@lru_cache(maxsize=1)
def shipped_actors() -> tuple[Actor, ...]:
    text = resources.files("narrascope").joinpath("data/gazetteer.yaml").read_text(encoding="utf-8")
    # libyaml's loader where PyYAML has it: the same data, ~10x faster (each worker process loads this file)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return tuple(parse_gazetteer(yaml.load(text, Loader=loader), "narrascope/data/gazetteer.yaml"))


@lru_cache(maxsize=8)
def load_gazetteer(extra: tuple[str, ...] = ()) -> Gazetteer:
    """The shipped gazetteer with user files merged on top, in order (same id = replaced)."""
    actors = list(shipped_actors())
    for path in extra:
        actors.extend(read_gazetteer_file(path))
    return Gazetteer(actors)


def shipped_digest() -> str:
    import hashlib

    data = resources.files("narrascope").joinpath("data/gazetteer.yaml").read_bytes()
    return hashlib.sha256(data).hexdigest()[:10]
