"""Outlet profiles and side-by-side comparison, computed with SQL over the store.

A profile counts only documents that are not linked duplicates. A part whose
layer was never computed for the corpus (no stage run, no rows) is ``None``
("not computed"), which is different from an empty list (computed, nothing found).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..errors import InputError
from ..nlp.terms import WORDS_SQL

UNKNOWN = "(unknown)"
ROLES = ("Protagonist", "Antagonist", "Innocent")
TOP = 10

# Which stage writes each layer: a document whose versions name the stage was looked at by it.
LAYER_STAGES = {
    "technique": "techniques", "entity": "entities", "role": "roles", "quote": "quotes",
    "genre": "genre", "frame": "frames", "narrative": "narratives", "user_narrative": "taxonomy", "tone": "tone",
}

_OUTLET = f"coalesce(d.outlet, '{UNKNOWN}')"
_ORIGINALS = "d.id NOT IN (SELECT doc_id FROM duplicates)"
# The mean of label scores, summed exactly (a float sum's order varies with DuckDB's threads, and with it the
# fourth decimal of a mean now and then, and the order of actors tied on the rounded value).
MEAN_SCORE = "avg(l.score::DECIMAL(18, 6))::DOUBLE"


@dataclass
class Share:
    """A label with its count and its share of the outlet's total (articles or spans, as documented per field)."""

    label: str
    count: int
    share: float


@dataclass
class ActorFraming:
    """How one outlet casts one actor: mentions, documents, role shares among its role-labelled mentions, tone."""

    actor: str
    mentions: int
    documents: int
    roles: dict[str, float] | None = None  # role -> share; None when roles were not computed
    tone: float | None = None  # mean of the actor's per-document tone labels; None when none was scored
    tone_documents: int | None = None  # how many documents that mean is over; None when tone was not computed

    @property
    def dominant_role(self) -> str | None:
        if not self.roles:
            return None
        return max(ROLES, key=lambda r: (self.roles.get(r, 0.0), r == "Protagonist"))


@dataclass
class OutletView:
    """One outlet's side of an actor comparison."""

    outlet: str
    mentions: int
    documents: int
    tone: float | None
    tone_documents: int | None
    role: str | None  # dominant role among role-labelled mentions


@dataclass
class ActorComparison:
    """An actor covered by two or more of the compared outlets, each outlet's tone and dominant role side by side."""

    actor: str
    outlets: list[OutletView]

    @property
    def tone_gap(self) -> float:
        tones = [v.tone for v in self.outlets if v.tone is not None]
        return round(max(tones) - min(tones), 4) if len(tones) >= 2 else 0.0


@dataclass
class OutletProfile:
    outlet: str
    articles: int
    words: int
    first_published: str | None
    last_published: str | None
    technique_spans: int | None = None
    technique_density: float | None = None  # technique spans per 1,000 words
    techniques: list[Share] | None = None  # share of the outlet's technique spans
    genres: list[Share] | None = None  # share of the outlet's articles
    frames: list[Share] | None = None  # share of the outlet's articles carrying the frame
    narratives: list[Share] | None = None  # share of the outlet's articles carrying the narrative
    actors: list[ActorFraming] | None = None
    speakers: list[Share] | None = None  # share of the outlet's quotes

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Difference:
    """One way the compared outlets differ, as a sentence, with a size used to rank differences."""

    kind: str  # technique_density | technique | frame | genre | narrative | actor_role | actor_tone | speaker
    subject: str
    text: str
    magnitude: float


@dataclass
class Comparison:
    outlets: list[str]
    profiles: list[OutletProfile]
    differences: list[Difference] = field(default_factory=list)
    framing: list[ActorComparison] | None = None  # None when entities were not computed

    def to_dict(self) -> dict:
        d = asdict(self)
        for entry, c in zip(d["framing"] or [], self.framing or []):
            entry["tone_gap"] = c.tone_gap
        return d


def layer_computed(store, layer: str) -> bool:
    """True when any stored document was processed by the layer's stage, or any row of the layer exists."""
    if layer == "role":
        sql, params = "SELECT 1 FROM spans WHERE layer = 'entity' AND attrs->>'role' IS NOT NULL LIMIT 1", []
    else:
        table = "labels" if layer in ("genre", "frame", "narrative", "user_narrative") else "spans"
        sql, params = f"SELECT 1 FROM {table} WHERE layer = ? LIMIT 1", [layer]
    if store.query(sql, params):
        return True
    stage = LAYER_STAGES.get(layer)
    return bool(stage) and bool(store.query(
        "SELECT count(*) FROM (SELECT 1 FROM documents WHERE json_extract_string(versions, ?) IS NOT NULL LIMIT 1)",
        [f"$.{stage}"])[0][0])


def outlet_profiles(store, outlets: list[str] | None = None, top: int = TOP) -> list[OutletProfile]:
    """One profile per outlet (most articles first), or for the named ``outlets`` in the order given."""
    # Word counts as the store keeps them; counted from the text where it does not (an older store).
    kept = getattr(store, "has_word_counts", lambda: False)()
    words = f"coalesce(w.words, {WORDS_SQL})" if kept else WORDS_SQL
    rows = store.query(
        f"SELECT {_OUTLET} AS o, count(*), sum({words}), min(d.published), max(d.published) FROM documents d "
        + ("LEFT JOIN search_docs w ON w.doc_seq = d.seq " if kept else "")
        + f"WHERE {_ORIGINALS} GROUP BY o ORDER BY 2 DESC, o"
    )
    profiles = {o: OutletProfile(o, n, int(w or 0), first, last) for o, n, w, first, last in rows}
    if outlets is not None:
        missing = [o for o in outlets if o not in profiles]
        if missing:
            known = ", ".join(sorted(profiles)) or "none"
            raise InputError(str(getattr(store, "path", "store")), f"no outlet {', '.join(map(repr, missing))} in the store (outlets: {known})")
        profiles = {o: profiles[o] for o in outlets}
    if not profiles:
        return []
    if layer_computed(store, "technique"):
        _add_techniques(store, profiles)
    for layer, attr in (("genre", "genres"), ("frame", "frames")):
        if layer_computed(store, layer):
            _add_label_shares(store, profiles, layer, attr, top)
    if layer_computed(store, "narrative") or layer_computed(store, "user_narrative"):
        _add_label_shares(store, profiles, "narrative", "narratives", top)
    if layer_computed(store, "entity"):
        _add_actors(store, profiles, top, with_roles=layer_computed(store, "role"))
        if layer_computed(store, "tone"):
            _add_tone(store, profiles)
    if layer_computed(store, "quote"):
        _add_speakers(store, profiles, top)
    return list(profiles.values())


def _add_techniques(store, profiles: dict[str, OutletProfile]) -> None:
    counts = store.query(
        f"SELECT {_OUTLET} AS o, s.label, count(*) FROM spans s JOIN documents d ON d.id = s.doc_id "
        f"WHERE s.layer = 'technique' AND {_ORIGINALS} GROUP BY o, s.label ORDER BY o, 3 DESC, s.label"
    )
    for p in profiles.values():
        p.technique_spans, p.techniques = 0, []
    for outlet, label, n in counts:
        if outlet in profiles:
            profiles[outlet].techniques.append(Share(label, n, 0.0))
            profiles[outlet].technique_spans += n
    for p in profiles.values():
        for s in p.techniques:
            s.share = round(s.count / p.technique_spans, 4)
        p.technique_density = round(1000 * p.technique_spans / p.words, 2) if p.words else 0.0


def _add_label_shares(store, profiles: dict[str, OutletProfile], layer: str, attr: str, top: int) -> None:
    """Articles per label (document-level labels; narratives include user taxonomies, 'Other' left out)."""
    if layer == "narrative":
        where = "l.layer IN ('narrative', 'user_narrative') AND l.label <> 'Other'"
        name = "coalesce(l.attrs->>'name', l.label)"
    else:
        where, name = "l.layer = ? AND l.segment IS NULL", "l.label"
    rows = store.query(
        f"SELECT {_OUTLET} AS o, {name} AS name, count(DISTINCT l.doc_id) AS n FROM labels l JOIN documents d ON d.id = l.doc_id "
        f"WHERE {where} AND {_ORIGINALS} GROUP BY o, name ORDER BY o, n DESC, name",
        [] if layer == "narrative" else [layer],
    )
    for p in profiles.values():
        setattr(p, attr, [])
    for outlet, label, n in rows:
        p = profiles.get(outlet)
        if p is not None and len(getattr(p, attr)) < top:
            getattr(p, attr).append(Share(label, n, round(n / p.articles, 4)))


def _add_actors(store, profiles: dict[str, OutletProfile], top: int, with_roles: bool) -> None:
    # Each span's attrs parsed once for both fields; only each outlet's top actors come back.
    rows = store.query(
        f"SELECT {_OUTLET} AS o, s.actor, count(*) AS mentions, count(DISTINCT s.doc_seq) AS docs, "
        "  count(*) FILTER (WHERE s.role = 'Protagonist'), count(*) FILTER (WHERE s.role = 'Antagonist'), "
        "  count(*) FILTER (WHERE s.role = 'Innocent') "
        "FROM (SELECT doc_seq, a[1] AS actor, a[2] AS role FROM (SELECT doc_seq, json_extract_string(attrs, ['$.actor', '$.role']) AS a "
        "      FROM spans WHERE layer = 'entity') WHERE a[1] IS NOT NULL) s JOIN documents d ON d.seq = s.doc_seq "
        f"WHERE {_ORIGINALS} GROUP BY o, s.actor "
        "QUALIFY row_number() OVER (PARTITION BY o ORDER BY docs DESC, mentions DESC, s.actor) <= ? "
        "ORDER BY o, docs DESC, mentions DESC, s.actor", [top]
    )
    for p in profiles.values():
        p.actors = []
    for outlet, actor, mentions, docs, *roles in rows:
        p = profiles.get(outlet)
        if p is None or len(p.actors) >= top:
            continue
        shares = None
        if with_roles:
            total = sum(roles)
            shares = {r: round(n / total, 4) for r, n in zip(ROLES, roles)} if total else {}
        p.actors.append(ActorFraming(actor, mentions, docs, shares))


def _add_tone(store, profiles: dict[str, OutletProfile]) -> None:
    """Mean tone per outlet and actor over the actor's per-document ``tone`` labels (each document weighs the same)."""
    rows = store.query(
        f"SELECT {_OUTLET} AS o, l.label, {MEAN_SCORE}, count(*) FROM labels l JOIN documents d ON d.seq = l.doc_seq "
        f"WHERE l.layer = 'tone' AND l.score IS NOT NULL AND {_ORIGINALS} GROUP BY o, l.label"
    )
    tones = {(o, actor): (mean, n) for o, actor, mean, n in rows}
    for p in profiles.values():
        for a in p.actors or []:
            mean, n = tones.get((p.outlet, a.actor), (None, 0))
            a.tone, a.tone_documents = (round(mean, 4) if mean is not None else None), n


def _add_speakers(store, profiles: dict[str, OutletProfile], top: int) -> None:
    rows = store.query(
        f"SELECT {_OUTLET} AS o, s.attrs->>'speaker' AS who, count(*) AS n, "
        "  sum(count(*)) OVER (PARTITION BY o) AS quotes "
        "FROM spans s JOIN documents d ON d.id = s.doc_id "
        f"WHERE s.layer = 'quote' AND {_ORIGINALS} GROUP BY o, who ORDER BY o, n DESC, who"
    )
    for p in profiles.values():
        p.speakers = []
    for outlet, who, n, quotes in rows:
        p = profiles.get(outlet)
        if p is not None and who is not None and len(p.speakers) < top:
            p.speakers.append(Share(who, n, round(n / quotes, 4)))


# -- comparison --------------------------------------------------------------
MIN_SPANS = 5  # a technique share is compared only when one outlet has at least this many spans of it
MIN_RATIO = 2.0
MIN_SHARE_GAP = 0.15  # articles carrying a frame/genre/narrative: 15 points apart
MIN_ROLE_MENTIONS = 3
MIN_TONE_DOCUMENTS = 2  # an outlet's tone toward an actor is compared only over at least this many of its documents
MIN_TONE_GAP = 0.25  # mean compound scores this far apart (VADER's scale is -1..1; news mostly sits within ±0.3)


def compare_outlets(store, outlets: list[str]) -> Comparison:
    """Profiles of ``outlets`` side by side and the differences that stand out, largest first."""
    if len(outlets) < 2:
        raise InputError(str(getattr(store, "path", "store")), "compare needs at least two outlets")
    profiles = outlet_profiles(store, outlets, top=1000)
    diffs = _density_differences(profiles) + _technique_differences(profiles)
    for attr, kind in (("genres", "genre"), ("frames", "frame"), ("narratives", "narrative")):
        diffs += _share_differences(profiles, attr, kind)
    diffs += _role_differences(profiles)
    framing = actor_comparisons(profiles)
    diffs += _tone_differences(framing or [])
    diffs.sort(key=lambda d: (-d.magnitude, d.kind, d.subject))
    for p in profiles:  # the full lists were needed for the differences; show the top ones
        for attr in ("techniques", "genres", "frames", "narratives", "actors", "speakers"):
            if getattr(p, attr) is not None:
                setattr(p, attr, getattr(p, attr)[:TOP])
    return Comparison(list(outlets), profiles, diffs, framing)


def actor_comparisons(profiles: list[OutletProfile]) -> list[ActorComparison] | None:
    """Actors covered by two or more of the outlets: tone and dominant role side by side, most covered first.

    ``None`` when entities were not computed. Order: outlets covering, then documents, then the tone gap.
    """
    if any(p.actors is None for p in profiles):
        return None
    seen: dict[str, list[OutletView]] = {}
    for p in profiles:
        for a in p.actors:
            seen.setdefault(a.actor, []).append(OutletView(p.outlet, a.mentions, a.documents, a.tone, a.tone_documents, a.dominant_role))
    out = [ActorComparison(actor, views) for actor, views in seen.items() if len(views) >= 2]
    out.sort(key=lambda c: (-len(c.outlets), -sum(v.documents for v in c.outlets), -c.tone_gap, c.actor))
    return out


def _tone_differences(framing: list[ActorComparison]) -> list[Difference]:
    """Actors spoken of in clearly different tones (each outlet's mean over enough documents)."""
    out = []
    for c in framing:
        views = [v for v in c.outlets if v.tone is not None and (v.tone_documents or 0) >= MIN_TONE_DOCUMENTS]
        if len(views) < 2:
            continue
        lo, hi = min(views, key=lambda v: (v.tone, v.outlet)), max(views, key=lambda v: (v.tone, v.outlet))
        gap = hi.tone - lo.tone
        if gap >= MIN_TONE_GAP:
            out.append(Difference(
                "actor_tone", c.actor,
                f"{hi.outlet} writes of {c.actor} in a tone of {hi.tone:+.2f} (n={hi.tone_documents} articles), "
                f"{lo.outlet} {lo.tone:+.2f} (n={lo.tone_documents})", 1.0 + 10 * gap))
    return out


def _density_differences(profiles: list[OutletProfile]) -> list[Difference]:
    dens = [(p.technique_density, p.outlet) for p in profiles if p.technique_density is not None]
    if len(dens) < 2:
        return []
    (lo, lo_o), (hi, hi_o) = min(dens), max(dens)
    ratio = hi / lo if lo else float("inf") if hi else 1.0
    if ratio < 1.5:
        return []
    text = f"{hi_o} uses {hi:g} technique spans per 1,000 words, {lo_o} {lo:g}" + (f" ({ratio:.1f}x)" if lo else "")
    return [Difference("technique_density", "all techniques", text, min(ratio, 10.0))]


def _technique_differences(profiles: list[OutletProfile]) -> list[Difference]:
    if any(p.techniques is None for p in profiles):
        return []
    shares = {p.outlet: {s.label: s for s in p.techniques} for p in profiles}
    labels = sorted({label for by in shares.values() for label in by})
    out = []
    for label in labels:
        entries = [(shares[p.outlet].get(label), p) for p in profiles]
        hi_s, hi_p = max(entries, key=lambda e: (e[0].share if e[0] else 0.0, e[1].outlet))
        lo_s, lo_p = min(entries, key=lambda e: (e[0].share if e[0] else 0.0, e[1].outlet))
        if hi_s is None or hi_s.count < MIN_SPANS or hi_p is lo_p:
            continue
        lo_share = lo_s.share if lo_s else 0.0
        # Half-count smoothing keeps "7 spans vs none" from being an infinite ratio.
        ratio = ((hi_s.count + 0.5) / (hi_p.technique_spans + 0.5)) / (((lo_s.count if lo_s else 0) + 0.5) / (lo_p.technique_spans + 0.5))
        if ratio >= MIN_RATIO:
            out.append(Difference(
                "technique", label,
                f"{label.replace('_', ' ')} is {100 * hi_s.share:.0f}% of {hi_p.outlet}'s technique spans "
                f"and {100 * lo_share:.0f}% of {lo_p.outlet}'s ({ratio:.1f}x)",
                min(ratio, 10.0)))
    return out


def _share_differences(profiles: list[OutletProfile], attr: str, kind: str) -> list[Difference]:
    if any(getattr(p, attr) is None for p in profiles):
        return []
    shares = {p.outlet: {s.label: s.share for s in getattr(p, attr)} for p in profiles}
    labels = sorted({label for by in shares.values() for label in by})
    out = []
    for label in labels:
        vals = sorted(((shares[p.outlet].get(label, 0.0), p.outlet) for p in profiles))
        (lo, lo_o), (hi, hi_o) = vals[0], vals[-1]
        if hi - lo >= MIN_SHARE_GAP:
            out.append(Difference(kind, label, f"{100 * hi:.0f}% of {hi_o}'s articles carry {kind} "
                                  f"{label.replace('_', ' ')}, {100 * lo:.0f}% of {lo_o}'s", 1.0 + 10 * (hi - lo)))
    return out


def _role_differences(profiles: list[OutletProfile]) -> list[Difference]:
    """Actors whose dominant role differs between outlets (each with enough role-labelled mentions)."""
    if any(p.actors is None for p in profiles):
        return []
    cast: dict[str, list[tuple[str, str, float]]] = {}
    for p in profiles:
        for a in p.actors:
            if a.roles and a.mentions >= MIN_ROLE_MENTIONS:
                role = max(ROLES, key=lambda r: (a.roles.get(r, 0.0), r == "Protagonist"))
                cast.setdefault(a.actor, []).append((p.outlet, role, a.roles.get("Antagonist", 0.0)))
    out = []
    for actor, seen in sorted(cast.items()):
        if len({role for _, role, _ in seen}) > 1:
            gap = max(s for *_, s in seen) - min(s for *_, s in seen)
            text = f"{actor} is cast as " + "; ".join(f"{role.lower()} by {outlet}" for outlet, role, _ in seen)
            out.append(Difference("actor_role", actor, text, 1.0 + 10 * gap))
    return out
