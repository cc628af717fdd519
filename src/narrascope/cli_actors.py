"""``narrascope actors``: the canonical actors of a stored corpus, with mention counts, outlets and spellings."""

from __future__ import annotations

import json

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .cli_corpus import _db_option, _in, _open, _scope_options
from .corpus.outlets import MEAN_SCORE
from .errors import NarrascopeError
from .store import Store

# Each entity span's attrs are parsed once; the spellings (read from the text, the costly part) and the
# outlets only for the actors listed.
_ACTORS_SQL = f"""
WITH m AS (
    SELECT s.doc_seq, s.start, s."end", s.label, a[1] AS actor, a[2] AS actor_id, a[3] AS wikidata, a[4] AS metonym_of
    FROM (SELECT doc_seq, start, "end", label, json_extract_string(attrs, ['$.actor', '$.actor_id', '$.wikidata', '$.metonym_of']) AS a
          FROM spans WHERE layer = 'entity') s
    WHERE a[1] IS NOT NULL AND ($actor::VARCHAR IS NULL OR a[1] = $actor)
), top AS (
    SELECT actor, mode(label) AS type, any_value(actor_id) AS actor_id, any_value(wikidata) AS wikidata, count(*) AS mentions,
           count(DISTINCT doc_seq) AS documents, count(metonym_of) AS as_metonym
    FROM m GROUP BY actor ORDER BY mentions DESC, actor LIMIT $top
), seen AS (
    SELECT m.actor,
           list(DISTINCT coalesce(d.outlet, '(unknown)') ORDER BY coalesce(d.outlet, '(unknown)')) AS outlets,
           list(DISTINCT substr(d.text, m.start + 1, m."end" - m.start) ORDER BY substr(d.text, m.start + 1, m."end" - m.start)) AS variants
    FROM m JOIN documents d ON d.seq = m.doc_seq WHERE m.actor IN (SELECT actor FROM top) GROUP BY 1
), tone AS (
    SELECT l.label AS actor, {MEAN_SCORE} AS tone, count(*) AS n
    FROM labels l
    WHERE l.layer = 'tone' AND l.score IS NOT NULL AND l.label IN (SELECT actor FROM top)
    GROUP BY 1
)
SELECT t.actor, t.type, t.actor_id, t.wikidata, t.mentions, t.documents, t.as_metonym, s.outlets, s.variants,
       round(tone.tone, 4), tone.n
FROM top t JOIN seen s USING (actor) LEFT JOIN tone USING (actor)
ORDER BY t.mentions DESC, t.actor
"""


def actor_table(store: Store, top: int = 50, actor: str | None = None) -> list[dict]:
    """One row per canonical actor: type, ids, mentions, documents, outlets, the spellings seen, and tone.

    ``tone`` is the mean of the actor's per-document tone labels (``tone_documents`` of them);
    both are None where the tone stage did not run or scored no sentence about the actor.
    ``actor``: that actor's row alone (none when the corpus does not name it). Some outlets or a
    period only: a store restricted to that scope (``Store.restrict``).
    """
    rows = store.query(_ACTORS_SQL, {"actor": actor, "top": top})
    keys = ("actor", "type", "actor_id", "wikidata", "mentions", "documents", "as_metonym", "outlets", "variants",
            "tone", "tone_documents")
    return [dict(zip(keys, row)) for row in rows]


@click.command("actors")
@click.argument("name", required=False)
@_db_option
@click.option("--top", type=click.IntRange(min=1), default=30, show_default=True, help="How many actors to list.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per actor on stdout.")
@_scope_options
def actors(name: str | None, db: str, top: int, as_json: bool, scope) -> None:
    """Who the corpus talks about: canonical actors by number of mentions; with NAME, one actor in detail.

    Spellings, surname-only mentions and acronyms are counted under one actor
    (Lukashenka, Lukashenko and "Pres Lukashenko" are Alexander Lukashenko); a
    capital that acts counts as its government ("Moscow demands ..."). Tone is
    the mean VADER compound (-1..1) of the sentences about the actor, averaged
    over the documents the tone stage scored (n).

    NAME (the actor or any spelling the texts use for it) shows how each outlet
    frames that actor month by month (mentions, roles, tone), what it is quoted
    saying and the documents that name it, as the dashboard's actor page does.

    \b
    Examples:
      narrascope actors --top 20
      narrascope actors --outlet breitbart --from 2016-10 --to 2016-10   # one outlet's October
      narrascope actors Lukashenka                                       # one actor, any spelling
    """
    with _open(db, scope) as store:
        scope = store.scope or scope  # outlet names as stored
        if scope and not store.count():
            raise click.ClickException(f"{db}: no documents {scope.describe()}")
        try:
            if name is not None:
                return _show_actor(store, name, db, scope, top, as_json)
            rows = actor_table(store, top=top)
        except NarrascopeError as exc:
            raise click.ClickException(str(exc)) from exc
    out = Console(highlight=False, soft_wrap=True)
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    if not rows:
        click.echo("no entity spans stored" + (f" ({scope.describe()})" if scope else "") + " (is the entities stage in the pipeline?)")
        return
    table = Table(title=f"actors in {_in(db, scope)}", header_style="bold")
    for name, justify in (("actor", "left"), ("type", "left"), ("mentions", "right"), ("docs", "right"),
                          ("as govt.", "right"), ("tone (n)", "right"), ("outlets", "left"), ("variants seen", "left")):
        table.add_column(name, justify=justify, overflow="fold")
    for r in rows:
        variants = r["variants"][:8]
        more = f" (+{len(r['variants']) - 8})" if len(r["variants"]) > 8 else ""
        table.add_row(
            r["actor"], r["type"] or "", str(r["mentions"]), str(r["documents"]), str(r["as_metonym"] or ""),
            f"{r['tone']:+.2f} ({r['tone_documents']})" if r["tone"] is not None else "",
            ", ".join(r["outlets"][:5]) + (" …" if len(r["outlets"]) > 5 else ""), ", ".join(variants) + more,
        )
    out.print(table)


def _show_actor(store: Store, name: str, db: str, scope, top: int, as_json: bool) -> None:
    """One actor: who names it how, how each outlet frames it by month, its quotes, the documents naming it."""
    from .cli_corpus import _check_choice, _when
    from .web.queries import actor_detail
    from .web.search import actor_named

    canonical = actor_named(store, name)
    if canonical is None:
        known = [a for (a,) in store.query("SELECT DISTINCT attrs->>'actor' FROM spans WHERE layer = 'entity' "
                                           "AND attrs->>'actor' IS NOT NULL ORDER BY 1")]
        canonical = _check_choice("actor", name, known)  # a clear error naming the nearest actors
    detail = actor_detail(store, canonical)  # found: actor_named and actor_detail read the same mentions
    if as_json:
        click.echo(json.dumps(detail, ensure_ascii=False, default=str))
        return
    out = Console(highlight=False, soft_wrap=True)
    facts = [detail["type"] or "", f"Wikidata {detail['wikidata']}" if detail["wikidata"] else "",
             f"{detail['mentions']} mentions in {detail['documents']} documents",
             f"{detail['as_metonym']} as its government" if detail["as_metonym"] else "",
             f"tone {detail['tone']:+.2f}" if detail["tone"] is not None else ""]
    out.print(f"[bold]{escape(detail['actor'])}[/] in {escape(_in(db, scope))}: " + escape(" · ".join(f for f in facts if f)))
    out.print("written as " + escape(", ".join(detail["variants"][:20]) + (" …" if len(detail["variants"]) > 20 else "")))
    framing = Table(title=f"how each outlet frames {detail['actor']}", header_style="bold", title_justify="left")
    for col, justify in (("outlet", "left"), ("month", "left"), ("mentions", "right"), ("docs", "right"),
                         ("roles P/A/I", "right"), ("tone (n)", "right")):
        framing.add_column(col, justify=justify, overflow="fold")
    for f in detail["framing"]:
        roles = f["roles"]
        framing.add_row(f["outlet"], f["month"] or "undated", str(f["mentions"]), str(f["documents"]),
                        " / ".join(str(roles[r]) for r in ("Protagonist", "Antagonist", "Innocent")) if roles else "",
                        f"{f['tone']:+.2f} ({f['tone_documents']})" if f["tone"] is not None else "")
    out.print(framing)
    if detail["quotes"]:
        quotes = Table(title=f"{detail['actor']} quoted ({len(detail['quotes'])}{'+' if len(detail['quotes']) >= 200 else ''})",
                       header_style="bold", title_justify="left")
        for col in ("published", "outlet", "kind", "words"):
            quotes.add_column(col, overflow="fold")
        for q in detail["quotes"][:top]:
            text = " ".join(q["text"].split())
            quotes.add_row(_when(q["published"], True), q["outlet"], q["kind"] or "", text[:200] + (" …" if len(text) > 200 else ""))
        out.print(quotes)
    docs = Table(title="documents naming it (newest first)", header_style="bold", title_justify="left")
    for col in ("id", "published", "outlet", "mentions", "roles", "title"):
        docs.add_column(col, overflow="fold", no_wrap=col == "id")
    for d in detail["in_documents"][:top]:
        docs.add_row(d["doc"][:12], _when(d["published"], True), d["outlet"], str(d["mentions"]), ", ".join(d["roles"]), d["title"] or "")
    out.print(docs)
