"""``narrascope search``: find stored documents by words and filters, or list them, with their ids."""

from __future__ import annotations

import json

import click
from rich.table import Table
from rich.text import Text

from .cli_corpus import _check_choice, _console, _db_option, _open

SNIPPET_WIDTH = 160


def _actor(value: str | None, index, store) -> str | None:
    """The canonical actor ``value`` names: the actor itself or a spelling seen in the texts (any case);
    a clear error with the nearest actors otherwise."""
    if value is None:
        return None
    return index.actor_named(value, store) or _check_choice("actor", value, index.actors)


@click.command("search")
@click.argument("query", nargs=-1)
@_db_option
@click.option("--outlet", default=None, help="Only documents of this outlet.")
@click.option("--from", "date_from", default=None, metavar="DATE", help="Published on or after DATE (2024, 2024-03, 2024-03-05).")
@click.option("--to", "date_to", default=None, metavar="DATE", help="Published on or before DATE (a prefix as for --from).")
@click.option("--technique", default=None, help="Only documents with a span of this technique (e.g. Loaded_Language).")
@click.option("--narrative", default=None,
              help="Only documents with this narrative or subnarrative (its label, or a user taxonomy's narrative id).")
@click.option("--actor", default=None,
              help="Only documents that mention this actor: its canonical name or any spelling found in the texts "
                   "(Lukashenka finds every document naming Alexander Lukashenko, however spelt).")
@click.option("--duplicates", is_flag=True, help="Also list documents stored as copies of another.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="How many documents to list.")
@click.option("--offset", type=click.IntRange(min=0), default=0, show_default=True, help="Skip this many first (next pages).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per document on stdout.")
def search(query: tuple[str, ...], db: str, outlet: str | None, date_from: str | None, date_to: str | None,
           technique: str | None, narrative: str | None, actor: str | None, duplicates: bool, limit: int, offset: int, as_json: bool) -> None:
    """Find stored documents: best match first for QUERY, newest first without one.

    Words are matched by stem ("sanction" finds "sanctions"; Russian words too) and
    ranked by BM25, documents that hold more of the query's words first. Each row
    gives the id to pass to `narrascope show`, and a snippet around the words found.

    \b
    Examples:
      narrascope search                          # every document, newest first
      narrascope search Lukashenko sanctions
      narrascope search --technique Loaded_Language --outlet "Eurasia Future"
      narrascope search --actor Lukashenka sanctions
      narrascope search --from 2022-02 --to 2022-03 --json
    """
    from .web.search import SearchFilters, SearchIndex, query_terms, search_store

    from .corpus.scope import ScopeError, check_date

    try:
        date_from, date_to = check_date(date_from, "--from"), check_date(date_to, "--to")
    except ScopeError as exc:
        raise click.UsageError(str(exc)) from exc
    text = " ".join(query)
    index = SearchIndex(terms=query_terms(text), actors=actor is not None)  # one-off: only what this search asks for
    try:
        with _open(db) as store:
            index.refresh(store)
            filters = SearchFilters(
                outlet=_check_choice("outlet", outlet, index.outlets), date_from=date_from, date_to=date_to,
                technique=_check_choice("technique", technique, index.techniques),
                narrative=_check_choice("narrative", narrative, [label for label, _ in index.narratives]),
                include_duplicates=duplicates, actor=_actor(actor, index, store))
            results, total = search_store(store, index, text, filters, limit=limit, offset=offset, width=SNIPPET_WIDTH)
    finally:
        index.close()
    if as_json:
        for row in results:
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    out = _console()
    if not results:
        out.print(f"no document matches ({total} found)" if offset and total else "no document matches")
        return
    table = Table(header_style="bold", show_lines=False)
    for name, options in (("id", {"no_wrap": True}), ("published", {"no_wrap": True}), ("outlet", {}),
                          ("title / text", {"ratio": 1})):
        table.add_column(name, overflow="fold", **options)
    for row in results:
        body = Text()
        if row["title"]:
            body.append(row["title"], style="bold")
            body.append("\n")
        snippet = Text(row["snippet"].replace("\n", " "), style="dim" if row["title"] else "")
        for start, end in row["matches"]:
            snippet.stylize("bold yellow", start, end)
        body.append_text(snippet)
        table.add_row(row["id"][:12], (row["published"] or "")[:10], row["outlet"], body)
    out.print(table)
    shown = f"{offset + 1}–{offset + len(results)} of {total}"
    more = f"; --offset {offset + len(results)} for the next" if offset + len(results) < total else ""
    out.print(f"documents {shown}{more}. `narrascope show ID` opens one (an id prefix is enough).")
