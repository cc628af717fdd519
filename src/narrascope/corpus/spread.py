"""How narratives travel: for each narrative, who carried it first, which outlets took it up, and when.

Reads the document-level narrative labels of a store (the SemEval-2025 taxonomy's
narratives and subnarratives, and user taxonomies), leaving out "Other" and linked
duplicates. A narrative's *arrivals* are the outlets that carried it, each with the date
of its first dated document carrying it and its lag after the first outlet; outlets
whose documents carry no date come last, with no lag.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

from .stories import _day as day_number

UNKNOWN = "(unknown)"
LAYERS = ("narrative", "subnarrative", "user_narrative")

_SQL = """
SELECT l.layer, l.label, coalesce(any_value(l.attrs->>'name'), l.label) AS name, d.id,
       coalesce(d.outlet, '{unknown}') AS outlet, d.published
FROM labels l JOIN documents d ON d.id = l.doc_id
WHERE l.layer IN (SELECT unnest(?::VARCHAR[])) AND l.label <> 'Other' AND NOT ends_with(l.label, ': Other')
  AND d.id NOT IN (SELECT doc_id FROM duplicates)
GROUP BY l.layer, l.label, d.id, d.outlet, d.published
""".format(unknown=UNKNOWN)


@dataclass
class Arrival:
    outlet: str
    first_published: str | None  # the day of the outlet's first dated document carrying the narrative
    lag_days: int | None  # days after the narrative's first appearance in any outlet (None: no date)
    documents: int
    first_doc: str


@dataclass
class NarrativeSpread:
    layer: str
    label: str
    name: str
    documents: int
    first_seen: str | None
    first_outlet: str | None
    arrivals: list[Arrival] = field(default_factory=list)  # first carriers first
    dated: list[tuple[str, str]] = field(default_factory=list)  # (day, outlet) of every dated document

    @property
    def outlets(self) -> int:
        return len(self.arrivals)

    def to_dict(self) -> dict:
        return {**asdict(self), "outlets": self.outlets}


def _iso(ordinal: int | None) -> str | None:
    return dt.date.fromordinal(ordinal).isoformat() if ordinal else None


def narrative_spread(store, layers: tuple[str, ...] = LAYERS, min_outlets: int = 1) -> list[NarrativeSpread]:
    """Every narrative of ``layers`` carried by at least ``min_outlets`` outlets: the most widely
    carried first (outlets, then documents), then by first appearance."""
    found: dict[tuple[str, str], list[tuple[str, str, int | None]]] = {}  # (doc id, outlet, day number)
    names: dict[tuple[str, str], str] = {}
    for layer, label, name, doc_id, outlet, published in store.query(_SQL, [list(layers)]):
        found.setdefault((layer, label), []).append((doc_id, outlet, day_number(published)))
        names[(layer, label)] = name
    spreads = []
    for (layer, label), docs in found.items():
        docs.sort(key=lambda d: (d[2] is None, d[2] or 0, d[0]))  # dated first, by day
        by_outlet: dict[str, list[tuple[str, str, int | None]]] = {}
        for doc in docs:
            by_outlet.setdefault(doc[1], []).append(doc)
        if len(by_outlet) < min_outlets:
            continue
        first = docs[0][2]
        arrivals = [Arrival(outlet, _iso(own[0][2]), own[0][2] - first if own[0][2] and first else None, len(own), own[0][0])
                    for outlet, own in by_outlet.items()]  # in order of each outlet's first document
        spreads.append(NarrativeSpread(
            layer, label, names[(layer, label)], len(docs), _iso(first), docs[0][1] if first else None, arrivals,
            [(_iso(d[2]), d[1]) for d in docs if d[2]]))
    spreads.sort(key=lambda s: (-s.outlets, -s.documents, s.first_seen is None, s.first_seen or "", s.name))
    return spreads


def path_text(spread: NarrativeSpread, max_outlets: int = 6) -> str:
    """"Northern Ledger 2024-03-18 → Eastern Flank Review +1 d → Volga Herald +2 d (+1 more)"."""
    parts = []
    for k, a in enumerate(spread.arrivals[:max_outlets]):
        when = (a.first_published if k == 0 else f"+{a.lag_days} d") if a.lag_days is not None else "undated"
        parts.append(f"{a.outlet} {when}")
    more = len(spread.arrivals) - max_outlets
    return " → ".join(parts) + (f" (+{more} more)" if more > 0 else "")
