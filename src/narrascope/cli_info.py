"""``narrascope info``: what a store holds, how its documents were analysed, and the runs that wrote it."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from .cli_corpus import _console, _db_option, _open, _when

_ANALYSES_SQL = """
SELECT versions->>'analysis' AS analysis, count(*) AS documents, min(stored_at), max(stored_at)
FROM documents GROUP BY 1 ORDER BY 2 DESC, 1
"""
_RUNS_SQL = """
SELECT id, started_at, finished_at, status, config->'engine' AS engine, config->'pipeline'->>'profile' AS profile, stats
FROM runs ORDER BY started_at DESC LIMIT ?
"""


def store_info(store, db: str, runs: int = 10) -> dict:
    """The store's size and contents, one row per analysis its documents carry, and its latest runs."""
    from .engines.local import analysis_stages

    stats = store.stats()
    first, last = store.query("SELECT min(published), max(published) FROM documents WHERE published IS NOT NULL")[0]
    analyses = []
    for analysis, n, first_stored, last_stored in store.query(_ANALYSES_SQL):
        stages = analysis_stages(analysis)
        analyses.append({"analysis": analysis, "stages": stages, "documents": n,
                         "stored": [str(first_stored), str(last_stored)]})
    run_rows = []
    for run_id, started, finished, status, engine, profile, run_stats in store.query(_RUNS_SQL, [runs]):
        counts = json.loads(run_stats) if run_stats else {}
        engine = json.loads(engine) if engine else {}
        run_rows.append({
            "id": run_id, "started": str(started), "finished": str(finished) if finished else None,
            # a run still marked "running" either runs now or was interrupted; rerunning it resumes
            "status": status, "profile": profile, "engine": engine.get("name"), "workers": engine.get("workers"),
            "read": counts.get("read"), "stored": counts.get("stored"), "kept": counts.get("kept"),
            "problems": counts.get("problems"), "seconds": counts.get("seconds"),
        })
    path = Path(db)
    return {
        "store": str(path), "megabytes": round(path.stat().st_size / 2**20, 1) if path.exists() else None,
        "documents": stats["documents"], "duplicates": stats["duplicates"],
        "outlets": len(stats["by_outlet"]), "by_language": stats["by_language"],
        "published": [first, last] if first else None,
        "spans_by_layer": stats["spans_by_layer"], "labels_by_layer": stats["labels_by_layer"],
        "sources_by_status": stats["sources_by_status"], "analyses": analyses, "runs": run_rows,
        "search_terms": store.searchable(),  # False: a store from before schema 3, searched through an index in memory
        "word_counts": store.has_word_counts(),  # False: a store from before schema 4; outlet profiles count words each time
    }


@click.command("info")
@_db_option
@click.option("--runs", "n_runs", type=click.IntRange(min=0), default=10, show_default=True, help="How many of the latest runs to list.")
@click.option("--json", "as_json", is_flag=True, help="Print it all as one JSON object.")
def info(db: str, n_runs: int, as_json: bool) -> None:
    """What a store holds: documents, languages, dates, what was found, how each
    document was analysed (which stages: a store can mix `--profile fast` and
    full runs), and the latest runs, with interrupted ones marked.
    """
    with _open(db) as store:
        data = store_info(store, db, n_runs)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=1))
        return
    out = _console()
    if not data["documents"]:
        out.print(f"[bold]{escape(data['store'])}[/] ({data['megabytes']} MB) holds no documents yet: "
                  "`narrascope analyze FILES...` adds them.")
    languages = ", ".join(f"{lang} {n}" for lang, n in list(data["by_language"].items())[:6]) or "none"
    published = f"{_when(data['published'][0], True)} … {_when(data['published'][1], True)}" if data["published"] else "no dates"
    if data["documents"]:
        out.print(f"[bold]{escape(data['store'])}[/] ({data['megabytes']} MB): {data['documents']} documents "
                  f"({data['duplicates']} linked as duplicates) from {data['outlets']} outlets; languages {escape(languages)}; "
                  f"published {published}")
        found = ", ".join(f"{n} {layer}" for layer, n in {**data["spans_by_layer"], **data["labels_by_layer"]}.items())
        out.print(f"found: {escape(found) or 'nothing yet'}")
        if not data["search_terms"]:
            out.print("[yellow]search terms missing[/] (a store from an older narrascope): search indexes the texts on "
                      "every call until the next `narrascope analyze` run adds them.")
        elif not data["word_counts"]:
            out.print("[yellow]word counts missing[/] (a store from an older narrascope): outlet profiles count every "
                      "text's words on each call until the store is next opened for writing (`narrascope analyze`).")
    if data["analyses"]:
        _print_analyses(out, data)
    _print_runs(out, data)


def _print_analyses(out, data: dict) -> None:
    table = Table(title="how the documents were analysed", header_style="bold")
    for name, justify in (("documents", "right"), ("stages", "left"), ("analysis id", "left"), ("stored", "left")):
        table.add_column(name, justify=justify, overflow="fold")
    for a in data["analyses"]:
        digest = (a["analysis"] or "").partition("@")[2] or "(before analysis ids)"
        table.add_row(str(a["documents"]), escape(", ".join(a["stages"])), digest,
                      f"{_when(a['stored'][0].replace(' ', 'T'))} … {_when(a['stored'][1].replace(' ', 'T'))}")
    out.print(table)
    if len(data["analyses"]) > 1:
        out.print("[yellow]documents were analysed in different ways[/] (profiles, options or versions); "
                  "`narrascope analyze ... --force` analyses inputs again with one run's settings.", soft_wrap=True)


def _print_runs(out, data: dict) -> None:
    if not data["runs"]:
        return
    runs = Table(title=f"latest runs ({len(data['runs'])})", header_style="bold")
    for name, justify in (("started", "left"), ("status", "left"), ("profile", "left"), ("engine", "left"), ("read", "right"),
                          ("stored", "right"), ("kept", "right"), ("problems", "right"), ("seconds", "right")):
        runs.add_column(name, justify=justify)
    interrupted = False
    for r in data["runs"]:
        status = r["status"]
        if status == "running":
            status, interrupted = "[yellow]running or interrupted[/]", True
        engine = f"{r['engine'] or '?'} × {r['workers']}" if r["workers"] else (r["engine"] or "?")
        runs.add_row(_when(r["started"].replace(" ", "T")), status, r["profile"] or "", engine,
                     *(str(r[k]) if r[k] is not None else "" for k in ("read", "stored", "kept", "problems")),
                     f"{r['seconds']:.1f}" if r["seconds"] is not None else "")
    out.print(runs)
    if interrupted:
        out.print("A run that was interrupted resumes where it stopped: run the same `narrascope analyze` command again.")
