"""``narrascope actors``: the canonical actors of a stored corpus, with mention counts, outlets and spellings."""

from __future__ import annotations

import json

import click
from rich.console import Console
from rich.table import Table

from .cli_corpus import _db_option, _in, _open, _scope_options
from .errors import NarrascopeError
from .store import Store

_ACTORS_SQL = """
WITH tone AS (
    SELECT l.label AS actor, avg(l.score) AS tone, count(*) AS n
    FROM labels l JOIN documents d ON d.seq = l.doc_seq
    WHERE l.layer = 'tone' AND l.score IS NOT NULL AND ($outlet::VARCHAR IS NULL OR d.outlet = $outlet)
      AND ($actor::VARCHAR IS NULL OR l.label = $actor)
    GROUP BY 1
)
SELECT a.*, round(t.tone, 4), t.n FROM (
SELECT s.attrs->>'actor' AS actor,
       mode(s.label) AS type,
       any_value(s.attrs->>'actor_id') AS actor_id,
       any_value(s.attrs->>'wikidata') AS wikidata,
       count(*) AS mentions,
       count(DISTINCT s.doc_id) AS documents,
       count(*) FILTER (WHERE s.attrs->>'metonym_of' IS NOT NULL) AS as_metonym,
       list(DISTINCT coalesce(d.outlet, '(unknown)') ORDER BY coalesce(d.outlet, '(unknown)')) AS outlets,
       list(DISTINCT substr(d.text, s.start + 1, s."end" - s.start) ORDER BY substr(d.text, s.start + 1, s."end" - s.start)) AS variants
FROM spans s JOIN documents d ON d.seq = s.doc_seq
WHERE s.layer = 'entity' AND s.attrs->>'actor' IS NOT NULL AND ($outlet::VARCHAR IS NULL OR d.outlet = $outlet)
  AND ($actor::VARCHAR IS NULL OR s.attrs->>'actor' = $actor)
GROUP BY 1
) a LEFT JOIN tone t ON t.actor = a.actor
ORDER BY a.mentions DESC, a.actor
LIMIT $top
"""


def actor_table(store: Store, outlet: str | None = None, top: int = 50, actor: str | None = None) -> list[dict]:
    """One row per canonical actor: type, ids, mentions, documents, outlets, the spellings seen, and tone.

    ``tone`` is the mean of the actor's per-document tone labels (``tone_documents`` of them);
    both are None where the tone stage did not run or scored no sentence about the actor.
    ``actor``: that actor's row alone (none when the corpus does not name it).
    """
    rows = store.query(_ACTORS_SQL, {"outlet": outlet, "actor": actor, "top": top})
    keys = ("actor", "type", "actor_id", "wikidata", "mentions", "documents", "as_metonym", "outlets", "variants",
            "tone", "tone_documents")
    return [dict(zip(keys, row)) for row in rows]


@click.command("actors")
@_db_option
@click.option("--top", type=click.IntRange(min=1), default=30, show_default=True, help="How many actors to list.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per actor on stdout.")
@_scope_options
def actors(db: str, top: int, as_json: bool, scope) -> None:
    """Who the corpus talks about: canonical actors by number of mentions.

    Spellings, surname-only mentions and acronyms are counted under one actor
    (Lukashenka, Lukashenko and "Pres Lukashenko" are Alexander Lukashenko); a
    capital that acts counts as its government ("Moscow demands ..."). Tone is
    the mean VADER compound (-1..1) of the sentences about the actor, averaged
    over the documents the tone stage scored (n).

    \b
    Examples:
      narrascope actors --top 20
      narrascope actors --outlet breitbart --from 2016-10 --to 2016-10   # one outlet's October
    """
    with _open(db, scope) as store:
        if scope and not store.count():
            raise click.ClickException(f"{db}: no documents {scope.describe()}")
        try:
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
