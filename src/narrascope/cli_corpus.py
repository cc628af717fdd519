"""``narrascope outlets``, ``stories`` and ``echoes``: corpus views of a stored corpus as tables (or JSON)."""

from __future__ import annotations

import contextlib
import functools
import json
import os
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .errors import NarrascopeError

DEFAULT_DB = "narrascope.duckdb"
NOT_COMPUTED = "not computed"


def _db_option(f):
    return click.option("--db", "db", default=lambda: os.environ.get("NARRASCOPE_DB", DEFAULT_DB),
                        show_default=f"$NARRASCOPE_DB or {DEFAULT_DB}", type=click.Path(dir_okay=False),
                        help="The DuckDB file that holds the corpus.")(f)


def _open(db: str, scope=None):
    """The store at ``db``, read-only; restricted to ``scope`` (a corpus.scope.Scope) when one is given."""
    from .store import Store

    if not Path(db).exists():
        raise click.ClickException(f"{db}: no such store; run `narrascope analyze ...` first")
    try:
        store = Store(db, read_only=True)
    except NarrascopeError as exc:
        raise click.ClickException(str(exc)) from exc
    if scope:
        from .corpus.scope import ScopeError, resolve_outlets

        try:
            store.restrict(resolve_outlets(scope, store))  # store.scope: the outlets as the store spells them
        except ScopeError as exc:
            store.close()
            raise click.UsageError(str(exc)) from exc
        except BaseException:
            store.close()
            raise
    return store


def _check_choice(kind: str, value: str | None, choices: list[str]) -> str | None:
    """``value`` as stored (case-insensitive match), or a clear error listing what the store holds."""
    from .corpus.scope import ScopeError, match_choice

    if value is None:
        return None
    try:
        return match_choice(kind, value, choices)
    except ScopeError as exc:
        raise click.UsageError(str(exc).replace(f"so {kind} ", f"so --{kind} ")) from exc


def _scope_options(f):
    """--from, --to and --outlet: the part of the corpus a view reads, passed on as ``scope`` (a Scope)."""
    @functools.wraps(f)
    def with_scope(*args, date_from=None, date_to=None, scope_outlets=(), **kwargs):
        from .corpus.scope import Scope, ScopeError

        try:
            scope = Scope(date_from, date_to, tuple(scope_outlets))
        except ScopeError as exc:
            raise click.UsageError(str(exc)) from exc
        return f(*args, scope=scope, **kwargs)

    with_scope = click.option("--outlet", "scope_outlets", multiple=True, metavar="NAME",
                              help="Only documents of this outlet (repeat for several).")(with_scope)
    with_scope = click.option("--to", "date_to", default=None, metavar="DATE",
                              help="Only documents published on or before DATE (a prefix as for --from).")(with_scope)
    return click.option("--from", "date_from", default=None, metavar="DATE",
                        help="Only documents published on or after DATE (2024, 2024-03 or 2024-03-05).")(with_scope)


@contextlib.contextmanager
def working(what: str):
    """A spinner with the elapsed time on stderr while a view is computed, when stderr is a terminal (a view
    of a large store takes minutes: echoes over 50,000 articles ~5); yields ``step(text)`` to say what it is
    doing now. Nothing is shown when stderr is not a terminal (pipes, logs, tests)."""
    import sys

    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    if not console.is_terminal or not sys.stderr.isatty():
        yield lambda text: None
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task(what)
        yield lambda text: bar.update(task, description=f"{what}: {text}")


def _in(db: str, scope) -> str:
    """ "corpus.duckdb" or "corpus.duckdb, published 2016-05 to 2016-05, outlet nyt"."""
    return f"{db}, {scope.describe()}" if scope else db


def _when(value: str | None, day_only: bool = False) -> str:
    """A stored ISO date or timestamp as a reader wants it in a table: "2024-03-21 08:00" (or the
    day alone); anything that is not ISO is shown as it is, None as "?"."""
    if not value:
        return "?"
    day, sep, time = value.partition("T")
    if len(day) != 10 or day[4] != "-" or day[7] != "-":
        return value
    return day if day_only or not sep or time.startswith("00:00:00") else f"{day} {time[:5]}"


def _console() -> Console:
    return Console(highlight=False, soft_wrap=True, width=160)


def _shares(items, n: int = 4, pct: bool = True) -> str:
    if items is None:
        return NOT_COMPUTED
    return ", ".join(f"{s.label.replace('_', ' ')} {100 * s.share:.0f}%" if pct else f"{s.label} ({s.count})" for s in items[:n]) or "—"


def _actors(actors, n: int = 4) -> str:
    if actors is None:
        return NOT_COMPUTED
    parts = []
    for a in actors[:n]:
        roles = ""
        if a.roles:
            roles = " " + "/".join(f"{r[0]}{100 * v:.0f}" for r, v in a.roles.items() if v)
        tone = f" tone {a.tone:+.2f}" if a.tone is not None else ""
        parts.append(f"{a.actor} ({a.documents}){roles}{tone}")
    return ", ".join(parts) or "—"


def _tone(view) -> str:
    """One outlet's framing of one actor: tone (n documents) and dominant role."""
    if view is None:
        return "—"
    if view.tone_documents is None:
        tone = f"tone {NOT_COMPUTED}"
    elif view.tone is None:
        tone = "tone not scored"  # no sentence about it, or a type the stage skips (LOC)
    else:
        tone = f"tone {view.tone:+.2f} (n={view.tone_documents})"
    return f"{tone}, {view.role.lower()}" if view.role else tone


def _profile_rows(profiles) -> list[tuple[str, list[str]]]:
    return [
        ("articles", [str(p.articles) for p in profiles]),
        ("words", [f"{p.words:,}" for p in profiles]),
        ("dates", [f"{_when(p.first_published, True)} … {_when(p.last_published, True)}" for p in profiles]),
        ("techniques / 1k words", [NOT_COMPUTED if p.technique_density is None else f"{p.technique_density:g}" for p in profiles]),
        ("technique mix", [_shares(p.techniques) for p in profiles]),
        ("genre", [_shares(p.genres, 3) for p in profiles]),
        ("frames (of articles)", [_shares(p.frames) for p in profiles]),
        ("narratives (of articles)", [_shares(p.narratives, 3) for p in profiles]),
        ("actors (docs) P/A/I % tone", [_actors(p.actors) for p in profiles]),
        ("quoted", [_shares(p.speakers, 4, pct=False) for p in profiles]),
    ]


@click.command("outlets")
@_db_option
@click.option("--compare", "compare", is_flag=True, help="Compare the outlets named after it (two or more) side by side.")
@click.argument("names", nargs=-1, metavar="[OUTLET]...")
@click.option("--json", "as_json", is_flag=True, help="Print the profiles (or the comparison) as JSON.")
@_scope_options
def outlets(db: str, compare: bool, names: tuple[str, ...], as_json: bool, scope) -> None:
    """Outlet profiles: articles, technique density and mix, genre, frames, narratives, actors (roles, tone), quoted speakers.

    With --compare A B ... the named outlets are shown side by side, with how
    each frames the actors they share (tone and dominant role) and the
    differences that stand out. Parts whose stage did not run say "not computed".

    \b
    Examples:
      narrascope outlets
      narrascope outlets --from 2016-07 --to 2016-08     # what they published in those two months
      narrascope outlets --compare nyt breitbart
    """
    from .corpus.outlets import compare_outlets, outlet_profiles

    comparing = compare
    if comparing and len(names) < 2:
        raise click.UsageError("--compare needs at least two outlet names, e.g. --compare nyt breitbart")
    if names and not comparing:
        raise click.UsageError("outlet names are given with --compare A B ...")
    with _open(db, scope) as store:
        scope = store.scope or scope  # outlet names as stored
        try:
            result = compare_outlets(store, list(names)) if comparing else outlet_profiles(store)
        except NarrascopeError as exc:
            raise click.ClickException(str(exc)) from exc
    if as_json:
        data = result.to_dict() if comparing else [p.to_dict() for p in result]
        click.echo(json.dumps(data, ensure_ascii=False, indent=1))
        return
    profiles = result.profiles if comparing else result
    out = _console()
    if not profiles:
        out.print(f"no documents in {escape(_in(db, scope))}")
        return
    if comparing:
        table = Table(title=f"outlets compared ({escape(_in(db, scope))})", header_style="bold", show_lines=True)
        table.add_column("")
        for p in profiles:
            table.add_column(escape(p.outlet), overflow="fold")
        for name, cells in _profile_rows(profiles):
            table.add_row(name, *(escape(c) for c in cells))
        out.print(table)
        if result.framing:
            framing = Table(title="how each outlet frames the actors they share (tone: mean VADER compound, -1..1; dominant role)",
                            header_style="bold")
            framing.add_column("actor", overflow="fold")
            for p in profiles:
                framing.add_column(escape(p.outlet), overflow="fold")
            for c in result.framing[:20]:
                by = {v.outlet: v for v in c.outlets}
                framing.add_row(escape(c.actor), *(escape(_tone(by.get(p.outlet))) for p in profiles))
            out.print(framing)
        elif result.framing is None:
            out.print(f"[dim]actor framing: {NOT_COMPUTED} (no entities stage)[/]")
        if result.differences:
            diff = Table(title="differences that stand out", header_style="bold")
            diff.add_column("kind")
            diff.add_column("difference", overflow="fold")
            for d in result.differences[:20]:
                diff.add_row(d.kind.replace("_", " "), escape(d.text))
            out.print(diff)
        else:
            out.print("[dim]no difference stands out[/]")
        return
    table = Table(title=f"outlets in {escape(_in(db, scope))}", header_style="bold")
    for name, justify in (("outlet", "left"), ("articles", "right"), ("words", "right"), ("dates", "left"),
                          ("tech./1k", "right"), ("technique mix", "left"), ("frames", "left"), ("top actors", "left"),
                          ("quoted", "left")):
        table.add_column(name, justify=justify, overflow="fold")
    for p in profiles:
        rows = dict(_profile_rows([p]))
        table.add_row(escape(p.outlet), str(p.articles), f"{p.words:,}", rows["dates"][0], rows["techniques / 1k words"][0],
                      escape(_shares(p.techniques, 3)), escape(_shares(p.frames, 3)), escape(_actors(p.actors, 3)),
                      escape(_shares(p.speakers, 3, pct=False)))
    out.print(table)


@click.command("stories")
@_db_option
@click.option("--window-days", type=click.IntRange(min=0), default=3, show_default=True,
              help="Days within which articles can belong to one story.")
@click.option("--min-outlets", type=click.IntRange(min=1), default=2, show_default=True,
              help="Only stories told by at least this many outlets.")
@click.option("--threshold", type=click.FloatRange(-1, 1), default=None, help="Similarity to join a story (default: tuned, see docs/CORPUS.md).")
@click.option("--top", type=click.IntRange(min=1), default=20, show_default=True, help="How many stories to list.")
@click.option("--tell", is_flag=True, help="Also show how each outlet told each listed story.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per story on stdout (with how each outlet told it).")
@_scope_options
def stories(db: str, window_days: int, min_outlets: int, threshold: float | None, top: int, tell: bool, as_json: bool, scope) -> None:
    """Stories: articles about the same event across outlets, with who told it first.

    Needs document vectors (the `vectors` stage in the analyze pipeline).

    \b
    Examples:
      narrascope stories
      narrascope stories --from 2016-07-25 --to 2016-07-31 --tell   # last week's stories, outlet by outlet
    """
    from .corpus.stories import THRESHOLD, find_stories, how_outlets_told

    with _open(db, scope) as store, working("grouping stories"):
        scope = store.scope or scope  # outlet names as stored
        found = find_stories(store, window_days=window_days, threshold=THRESHOLD if threshold is None else threshold,
                             min_outlets=min_outlets)[:top]
        tellings = {s.id: how_outlets_told(store, s) for s in found} if (tell or as_json) else {}
        has_vectors = store.has_vectors("document") if not found else True
    if as_json:
        for s in found:
            click.echo(json.dumps({**s.to_dict(), "tellings": [t.to_dict() for t in tellings[s.id]]}, ensure_ascii=False))
        return
    out = _console()
    if not found:
        out.print("no document vectors stored (add the `vectors` stage to the analyze pipeline)" if not has_vectors
                  else f"no story told by at least {min_outlets} outlets")
        return
    table = Table(title=f"stories in {escape(_in(db, scope))} (window {window_days} days, ≥{min_outlets} outlets)", header_style="bold")
    for name, justify in (("id", "left"), ("story", "left"), ("docs", "right"), ("outlets", "left"), ("first seen", "left")):
        table.add_column(name, justify=justify, overflow="fold")
    for s in found:
        table.add_row(s.id, escape(s.label), str(len(s.documents)), escape(", ".join(s.outlets)),
                      escape(f"{_when(s.first_seen)} {s.first_outlet or ''}"))
    out.print(table)
    for s in found if tell else []:
        t = Table(title=f"{s.id}: {escape(s.label)}", header_style="bold", show_lines=True)
        for name in ("outlet", "docs", "techniques", "frames", "roles", "most distinctive paragraph"):
            t.add_column(name, overflow="fold")
        for tl in tellings[s.id]:
            def fmt(items):
                return NOT_COMPUTED if items is None else ", ".join(" ".join(map(str, x)) for x in items[:4]) or "—"
            t.add_row(escape(tl.outlet), str(tl.documents), escape(fmt(tl.techniques)), escape(fmt(tl.frames)),
                      escape(fmt(tl.roles)), escape((tl.distinctive or "")[:300]))
        out.print(t)


_LAYER_CHOICES = {"all": None, "narratives": ("narrative",), "subnarratives": ("subnarrative",),
                  "taxonomy": ("user_narrative",)}  # None: every narrative layer (corpus.spread.LAYERS)


@click.command("narratives")
@_db_option
@click.option("--which", type=click.Choice(list(_LAYER_CHOICES)), default="all", show_default=True,
              help="The SemEval-2025 narratives, their subnarratives, your taxonomies' narratives (taxonomy), or all.")
@click.option("--min-outlets", type=click.IntRange(min=1), default=1, show_default=True,
              help="Only narratives carried by at least this many outlets.")
@click.option("--top", type=click.IntRange(min=1), default=30, show_default=True, help="How many narratives to list.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per narrative on stdout (every outlet, with dates).")
@_scope_options
def narratives(db: str, which: str, min_outlets: int, top: int, as_json: bool, scope) -> None:
    """How narratives travel: for each narrative, the outlet that carried it first,
    and which outlets took it up and how many days later.

    Reads the narrative labels the analysis stored (the SemEval-2025 taxonomy, and
    any --taxonomy of yours); "Other" and linked duplicates are left out. The most
    widely carried narratives come first.

    \b
    Examples:
      narrascope narratives
      narrascope narratives --which taxonomy --min-outlets 2
      narrascope narratives --from 2016-07 --outlet nyt --outlet breitbart
    """
    from .corpus.spread import LAYERS, narrative_spread, path_text

    with _open(db, scope) as store:
        scope = store.scope or scope  # outlet names as stored
        found = narrative_spread(store, _LAYER_CHOICES[which] or LAYERS, min_outlets)[:top]
    if as_json:
        for spread in found:
            click.echo(json.dumps(spread.to_dict(), ensure_ascii=False))
        return
    out = _console()
    if not found:
        out.print(f"no narrative carried by at least {min_outlets} outlet{'s' if min_outlets > 1 else ''}"
                  " (are the narratives stage or a --taxonomy in the analysis?)")
        return
    table = Table(title=f"how narratives spread in {escape(_in(db, scope))}", header_style="bold")
    for name, justify in (("narrative", "left"), ("docs", "right"), ("outlets", "right"), ("first carried, then taken up by", "left")):
        table.add_column(name, justify=justify, overflow="fold")
    for s in found:
        kind = {"subnarrative": " (sub)", "user_narrative": " (taxonomy)"}.get(s.layer, "")
        table.add_row(escape(s.name) + kind, str(s.documents), str(s.outlets), escape(path_text(s)))
    out.print(table)


@click.command("echoes")
@_db_option
@click.option("--threshold", type=click.FloatRange(-1, 1), default=None, help="Paragraph similarity that counts as an echo (default: tuned).")
@click.option("--min-chars", type=click.IntRange(min=1), default=None, help="Shortest paragraph considered (default 80).")
@click.option("--window-days", default="30", show_default=True, metavar="DAYS|any",
              help="Paraphrases (similar vectors, few shared words) count only when published within DAYS of each other; "
                   "copies and edited copies count at any time. 'any': no limit (compares every paragraph with every other).")
@click.option("--top", type=click.IntRange(min=1), default=20, show_default=True, help="How many echo chains to list.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per echo chain on stdout.")
@_scope_options
def echoes(db: str, threshold: float | None, min_chars: int | None, window_days: str, top: int, as_json: bool, scope) -> None:
    """Echoed passages: paragraphs repeated or paraphrased by other outlets, with who had them first.

    Needs paragraph vectors (the `vectors` stage in the analyze pipeline).

    \b
    Examples:
      narrascope echoes
      narrascope echoes --from 2016-07 --to 2016-07 --json > july.jsonl
      narrascope echoes --window-days any    # paraphrases however far apart (slow on a large corpus)
    """
    from .corpus.echoes import MIN_CHARS, THRESHOLD, find_echoes, propagation_edges

    window = None if window_days.strip().lower() == "any" else window_days.strip()
    if window is not None and not window.isdigit():
        raise click.UsageError(f"--window-days {window_days!r}: give a number of days (0 or more) or 'any'")
    with _open(db, scope) as store, working("finding echoes"):
        scope = store.scope or scope  # outlet names as stored
        found = find_echoes(store, threshold=THRESHOLD if threshold is None else threshold,
                            min_chars=MIN_CHARS if min_chars is None else min_chars,
                            window_days=None if window is None else int(window))
        has_vectors = store.has_vectors("paragraph") if not found else True
    edges = propagation_edges(found)
    if as_json:
        for e in found[:top]:
            click.echo(json.dumps(e.to_dict(), ensure_ascii=False))
        return
    out = _console()
    if not found:
        out.print("no paragraph vectors stored (add the `vectors` stage to the analyze pipeline)" if not has_vectors
                  else "no passage echoed across outlets")
        return
    table = Table(title=f"echoed passages in {escape(_in(db, scope))} ({len(found)} chains)", header_style="bold", show_lines=True)
    for name in ("id", "first seen", "passage", "repeated by"):
        table.add_column(name, overflow="fold")
    for e in found[:top]:
        later = "; ".join(f"{m.outlet} {_when(m.published)} (cos {m.similarity:.2f}, words {m.overlap:.2f})" for m in e.members[1:])
        table.add_row(e.id, escape(f"{e.first.outlet} {_when(e.first.published)}"), escape(e.first.text[:240]), escape(later))
    out.print(table)
    if edges:
        graph = Table(title="propagation (first outlet → later outlet)", header_style="bold")
        for name, justify in (("from", "left"), ("to", "left"), ("echoes", "right")):
            graph.add_column(name, justify=justify)
        for a, b, n in edges[:30]:
            graph.add_row(escape(a), escape(b), str(n))
        out.print(graph)
