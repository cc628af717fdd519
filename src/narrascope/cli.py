"""The ``narrascope`` command: a thin shell over the library."""

from __future__ import annotations

import json
import os
import shlex
import sys
from collections import Counter
from importlib import resources
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from . import __version__
from .cli_corpus import DEFAULT_DB, _db_option, _open, _scope_options, working
from .errors import NarrascopeError


console = Console(stderr=True, highlight=False)
out = Console(highlight=False, soft_wrap=True)


def _read_options(f):
    f = click.option("--field-map", "field_map", metavar="FIELD=COLUMN,...", default=None,
                     help="For JSONL/CSV inputs: which column holds each field "
                          "(fields: text, html, url, title, published, outlet, authors; and file, the column of a "
                          "--metadata table naming the files), e.g. text=body,published=date.")(f)
    f = click.option("--allow-private", is_flag=True, help="Allow fetching URLs on private, loopback or link-local addresses.")(f)
    f = click.option("--timeout", type=float, default=20.0, show_default=True, help="Seconds allowed per URL fetch.")(f)
    f = click.option("--max-bytes", type=int, default=20_000_000, show_default=True, help="Largest input accepted, in bytes.")(f)
    f = click.option("--metadata", "metadata", metavar="TABLE", default=None, type=click.Path(dir_okay=False),
                     help="A CSV, TSV or JSONL table of title, published, outlet, authors and url per input file, "
                          "with a column naming the file (file, filename or path; or --field-map file=COLUMN).")(f)
    return f


def _make_read_options(field_map, allow_private, timeout, max_bytes, metadata=None):
    from .readers import ReadOptions

    mapping = None
    if field_map:
        mapping = {}
        for pair in field_map.split(","):
            if "=" not in pair:
                raise click.BadParameter(f"expected FIELD=COLUMN, got {pair!r}", param_hint="--field-map")
            k, v = pair.split("=", 1)
            mapping[k.strip()] = v.strip()
    sidecar = None
    if metadata:
        from .readers.sidecar import load_sidecar
        from .readers.tabular import check_field_map

        try:
            check_field_map(mapping)
            sidecar = load_sidecar(metadata, mapping)
        except NarrascopeError as exc:
            raise click.BadParameter(str(exc), param_hint="--metadata") from None
    return ReadOptions(field_map=mapping, allow_private=allow_private, timeout=timeout, max_bytes=max_bytes,
                       metadata=sidecar)


def _examples_dir() -> Path:
    return Path(str(resources.files("narrascope").joinpath("examples")))


class NarrascopeGroup(click.Group):
    """Turns NarrascopeError into one clear line and exit code 1, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except NarrascopeError as exc:
            console.print(f"[bold red]error:[/] {exc}")
            sys.exit(1)


@click.group(cls=NarrascopeGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="narrascope")
def cli():
    """narrascope: who says what about whom in the news, how, and where it spreads.

    \b
    Typical session:
      narrascope analyze articles/ feed.xml https://example.org/news.html
      narrascope report -o report.html
      narrascope search Lukashenko   # find documents and their ids
      narrascope show 3f2a           # one document, by id prefix
      narrascope export --format jsonl -o corpus.jsonl

    Every command has --help. The corpus lives in one DuckDB file
    (narrascope.duckdb, or --db FILE, or $NARRASCOPE_DB).
    """


@cli.command()
@click.argument("sources", nargs=-1)
@_db_option
@click.option("--workers", "-w", type=click.IntRange(0, 256), default=1, show_default=True,
              help="Processes (local engine; 1 = in this process) or Ray actors (ray engine) to run stages in; "
                   "0 = one per CPU (with --address: the cluster's CPUs).")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="local: this machine's processes. ray: Ray actors, on a local Ray or the cluster at --address.")
@click.option("--address", default=None, metavar="ADDR",
              help="Ray cluster address (e.g. ray://head:10001 or auto); without it --engine ray starts a local Ray.")
@click.option("--shards-out", "shards_out", type=click.Path(file_okay=False), default=None, metavar="DIR",
              help="Ray Data shard mode (with --engine ray): write analysed Parquet shards to DIR instead of the store; "
                   "load them with `narrascope load DIR`.")
@click.option("--profile", type=str, default=None, metavar="NAME",
              help="Stage profile from the config: full (every stage; the default) or fast (no transformer).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="A pipeline config (TOML) whose settings override the built-in default (see `narrascope stages`).")
@click.option("--examples", is_flag=True, help="Analyse the bundled example articles (constructed for this project).")
@click.option("--strict", is_flag=True, help="Exit non-zero if any input had a problem.")
@click.option("--force", is_flag=True,
              help="Analyse inputs again even when they are stored unchanged (and replace what was stored for them).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar; problems are still printed.")
@click.option("--taxonomy", "taxonomies", multiple=True, metavar="FILE",
              help="Also match this narrative taxonomy (YAML/TOML, or builtin:belarus_russia). Repeatable.")
@_read_options
def analyze(sources, db, workers, engine, address, shards_out, profile, config_path, examples, strict, force, quiet, taxonomies, field_map,
            allow_private, timeout, max_bytes, metadata):
    """Analyse articles into the store.

    SOURCES are files, folders (read recursively), URLs, URL-list files, RSS/Atom
    feeds, WARC files, PDF files, and JSONL/CSV/Parquet exports. Each input is read, cleaned,
    segmented, split into sentences and stored once; exact and near duplicates
    are linked to the first copy instead of being analysed again. Inputs stored
    unchanged by an earlier run of the same analysis are skipped, so an
    interrupted run resumes. An input analysed before with fewer stages (say
    with --profile fast, or without --taxonomy) is analysed again; one analysed
    with more stages, other options or another narrascope version is kept as
    stored and counted in the summary (--force analyses it again).

    \b
    Examples:
      narrascope analyze --examples
      narrascope analyze pages/ --db corpus.duckdb --workers 2
      narrascope analyze export.jsonl --field-map text=body,published=date
      narrascope analyze texts/ --metadata metadata.tsv      # outlet, date, title per file
      narrascope analyze urls.txt https://example.org/article.html
      narrascope analyze pages/ --taxonomy my_narratives.yaml
      narrascope analyze feeds.txt --profile fast          # no transformer: actors, quotes, tone
      narrascope analyze pages/ --engine ray --workers 0 --address auto   # every CPU of the cluster
      narrascope analyze shards/ --engine ray --shards-out out/ && narrascope load out/

    The default analysis (see `narrascope stages`) finds actors, quotes,
    persuasion techniques, genre, frames, entity roles and narratives, and
    keeps embeddings for `narrascope stories` and `narrascope echoes`.
    """
    from .engines.local import run_analysis
    from .pipeline import load_config
    from .readers import iter_inputs
    from .store import Store

    sources = list(sources)
    if examples:
        sources.append(str(_examples_dir()))
    if not sources:
        raise click.UsageError("give at least one SOURCE (file, folder, URL, feed, WARC, JSONL/CSV) or --examples")
    if address and engine != "ray":
        raise click.UsageError("--address is for --engine ray")
    if shards_out and engine != "ray":
        raise click.UsageError("--shards-out is Ray Data shard mode: add --engine ray")
    if address:
        from .engines.ray_engine import check_reachable

        check_reachable(address)  # before the store is opened or created
    config = load_config(config_path, profile=profile)
    if taxonomies:
        taxonomy_cfg = config.setdefault("stages", {}).setdefault("taxonomy", {})
        taxonomy_cfg["files"] = [*taxonomy_cfg.get("files", []), *taxonomies]
        if "taxonomy" not in config["pipeline"].get("analyze", []):
            config["pipeline"]["analyze"] = [*config["pipeline"].get("analyze", []), "taxonomy"]
    if metadata and shards_out:
        raise click.UsageError("--metadata fills in files read one by one; shard mode reads JSONL/Parquet records, "
                               "which carry their own fields")
    options = _make_read_options(field_map, allow_private, timeout, max_bytes, metadata)
    if shards_out:
        _analyze_shards(sources, shards_out, config, workers, address, options, quiet)
        return

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    progress = Progress(
        SpinnerColumn(), TextColumn("[bold]analysing"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[last]}", style="dim"), TimeElapsedColumn(),
        console=console, disable=quiet or not console.is_terminal, transient=True,
    )
    counts = {"problem": 0}

    def on_item(source: str, status: str, message: str | None) -> None:
        if status == "problem":
            counts["problem"] += 1
            progress.console.print(f"[red]problem[/] {escape(source)}: {escape(str(message))}", soft_wrap=True)
        elif status == "warning":
            progress.console.print(f"[yellow]warning[/] {escape(source)}: {escape(str(message))}", soft_wrap=True)
        progress.update(task, advance=1 if status != "warning" else 0, last=_short(source))

    with Store(db) as store, progress:
        if store.upgraded_from is not None:
            from .store.duckdb_store import SCHEMA_VERSION

            progress.console.print(f"updated {escape(str(db))} from store schema {store.upgraded_from} to {SCHEMA_VERSION} "
                                   "(docs/STORE.md)", highlight=False)
        task = progress.add_task("analyse", total=_count_inputs(sources), last="")
        stats = run_analysis(iter_inputs(sources, options), store, config, workers=workers, on_item=on_item, force=force,
                             engine=engine, address=address)
        totals = store.count()

    _print_summary(stats, db, totals)
    if options.metadata is not None:
        console.print(options.metadata.summary(), soft_wrap=True, highlight=False,
                      style="yellow" if options.metadata.unmatched else None)
    if strict and (stats.problems):
        sys.exit(1)
    if not stats.analysed_anything:
        console.print("[bold red]nothing could be analysed[/]")
        sys.exit(1)


def _analyze_shards(sources, out_dir, config, workers, address, options, quiet) -> None:
    from .engines.ray_data import analyze_shards

    def on_job(done: int, total: int, status: str) -> None:
        if not quiet:
            console.print(f"job {done}/{total}: {status}")

    stats = analyze_shards(sources, out_dir, config, workers=workers, address=address, options=options, on_job=on_job,
                           progress=not quiet and console.is_terminal)
    table = Table(title=f"narrascope analyze (Ray Data shards) → {out_dir}", header_style="bold")
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("input files", str(stats.inputs))
    table.add_row("jobs run", str(stats.jobs))
    table.add_row("jobs already done (skipped)", str(stats.skipped_jobs))
    table.add_row("rows written", str(stats.rows))
    table.add_row("problems", str(stats.problems), style="red" if stats.problems else None)
    table.add_row("seconds", f"{stats.seconds:.1f}")
    console.print(table)
    console.print(f"next: narrascope load {out_dir}")


def _short(source: str, width: int = 40) -> str:
    return source if len(source) <= width else "…" + source[-(width - 1):]


def _count_inputs(sources: list[str]) -> int | None:
    """Number of files to read when every source is a local path; None otherwise."""
    n = 0
    for src in sources:
        p = Path(src)
        if p.is_dir():
            n += sum(1 for f in p.rglob("*") if f.is_file() and not any(part.startswith(".") for part in f.relative_to(p).parts))
        elif p.is_file() and p.suffix.lower() in {".txt", ".md", ".html", ".htm", ".gz", ".text", ".xhtml"}:
            n += 1
        else:
            return None
    return n


def _print_summary(stats, db: str, totals: int) -> None:
    table = Table(title=f"narrascope analyze → {db}", show_header=True, header_style="bold")
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("inputs read", str(stats.read))
    table.add_row("stored (new or updated)", str(stats.stored))
    for kind, n in sorted(stats.duplicates.items()):
        table.add_row(f"linked as {kind} duplicates", str(n))
    table.add_row("unchanged since an earlier run", str(stats.unchanged))
    if stats.kept:
        table.add_row("kept as analysed by an earlier run", str(len(stats.kept)), style="yellow")
    table.add_row("problems", str(len(stats.problems)), style="red" if stats.problems else None)
    table.add_row("warnings", str(len(stats.warnings)))
    table.add_row("documents in the store", str(totals))
    table.add_row("seconds", f"{stats.seconds:.1f}")
    console.print(table)
    if stats.kept:
        reasons = Counter(how for _, how in stats.kept)
        for how, n in reasons.most_common():
            console.print(f"[yellow]{n} input{'s' if n > 1 else ''} {'were' if n > 1 else 'was'} {escape(how)}[/] "
                          "and kept as stored; pass --force to analyse them again with this run's settings.",
                          soft_wrap=True)
    if stats.by_outlet:
        t2 = Table(title="stored this run, by outlet", header_style="bold")
        t2.add_column("outlet")
        t2.add_column("documents", justify="right")
        for outlet, n in stats.by_outlet.most_common(15):
            t2.add_row(outlet, str(n))
        console.print(t2)
    if totals:
        where = "" if db == os.environ.get("NARRASCOPE_DB", DEFAULT_DB) else f" --db {shlex.quote(db)}"
        console.print(f"next: narrascope search{where} (documents and their ids), narrascope report{where} -o report.html,"
                      f" narrascope serve{where}", soft_wrap=True, highlight=False)


@cli.command()
@click.argument("files", nargs=-1, required=True)
@click.option("--jsonl", is_flag=True, help="One JSON object per input on stdout (for scripts).")
@click.option("--full", is_flag=True, help="With --jsonl: the whole Document (all text, segments, sentences, metadata).")
@_read_options
def extract(files, jsonl, full, field_map, allow_private, timeout, max_bytes, metadata):
    """Show the clean text, metadata and segments narrascope extracts (nothing is stored).

    With --jsonl each line has: source, id, title, outlet, authors, published,
    language, text (the main segment's clean text), segments (each with kind,
    title, outlet, start, end, text) and meta (e.g. author affiliations).

    \b
    Example:
      narrascope extract page.html --jsonl | jq .title
    """
    from .api import prepare_documents
    from .readers import iter_inputs

    options = _make_read_options(field_map, allow_private, timeout, max_bytes, metadata)
    ok = 0
    for doc in prepare_documents(iter_inputs(list(files), options)):
        if isinstance(doc, NarrascopeError) or doc.meta.get("problem"):
            source, problem = (doc.source, doc.problem) if isinstance(doc, NarrascopeError) else (doc.source, doc.meta["problem"])
            console.print(f"[red]problem[/] {source}: {problem}")
            continue
        ok += 1
        if jsonl:
            out.print(json.dumps(doc.to_dict() if full else extract_record(doc), ensure_ascii=False), markup=False, highlight=False)
        else:
            _print_extracted(doc)
    if ok == 0:
        sys.exit(1)


def extract_record(doc) -> dict:
    return {
        "source": doc.source,
        "id": doc.id,
        "url": doc.url,
        "title": doc.title,
        "outlet": doc.outlet,
        "authors": doc.authors,
        "published": doc.published,
        "language": doc.language,
        "text": doc.main_text(),
        "segments": [
            {"kind": s.kind, "title": s.title, "outlet": s.outlet, "authors": s.authors, "published": s.published,
             "start": s.start, "end": s.end, "text": s.text_of(doc)}
            for s in doc.segments
        ],
        "meta": {k: v for k, v in doc.meta.items() if not k.startswith("_")},
    }


def _print_extracted(doc) -> None:
    from rich.markup import escape
    from rich.rule import Rule

    out.print(Rule(escape(doc.source)))
    out.print(f"[bold]{escape(doc.title or '(no title)')}[/]  [dim]{escape(doc.outlet or '')} {escape(doc.published or '')} "
              f"{escape(', '.join(doc.authors))} lang={doc.language} id={doc.id}[/]")
    for i, seg in enumerate(doc.segments):
        head = f"segment {i} [{seg.kind}] {seg.title or ''}" + (f" — {seg.outlet}" if seg.outlet else "")
        out.print(f"\n[bold cyan]{escape(head)}[/]")
        out.print(escape(seg.text_of(doc)))


@cli.command()
@click.argument("doc_id")
@_db_option
@click.option("--json", "as_json", is_flag=True, help="Print the stored Document as JSON.")
def show(doc_id, db, as_json):
    """Show one stored document: metadata, segments, duplicates and everything found in it.

    DOC_ID may be a unique prefix of the id (as printed by `narrascope search`, `report` or `export`).
    """
    from .views import render_document_text

    with _open(db) as store:
        ids = store.find_ids(doc_id)
        if not ids:
            raise click.ClickException(f"no document with id {doc_id!r} in {db}")
        if len(ids) > 1:
            raise click.ClickException(f"id prefix {doc_id!r} is ambiguous: {', '.join(ids[:10])}")
        doc = store.get(ids[0])
    if as_json:
        out.print(doc.to_json(), markup=False, highlight=False)
    else:
        render_document_text(doc, out)


@cli.command()
@_db_option
@click.option("-o", "--output", default="report.html", show_default=True, type=click.Path(dir_okay=False),
              help="Where to write the self-contained HTML report.")
@_scope_options
def report(db, output, scope):
    """Write a self-contained HTML report of the corpus (no network needed to view it).

    \b
    Examples:
      narrascope report -o report.html
      narrascope report --from 2016-07 --to 2016-07 -o july.html     # one month
      narrascope report --outlet nyt --outlet breitbart -o two.html  # two outlets side by side
    """
    from .report import write_report

    with _open(db, scope) as store:
        scope = store.scope or scope  # outlet names as stored
        if scope and not store.count():
            raise click.ClickException(f"{db}: no documents {scope.describe()}")
        with working("writing the report") as step:
            n = write_report(store, output, scope.describe(), lambda name, k, total: step(f"{name} ({k} of {total})"))
    console.print(f"wrote {output} ({n} documents{', ' + scope.describe() if scope else ''})")


@cli.command()
@_db_option
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "parquet"]), required=True, help="Output format.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="File to write.")
@_scope_options
def export(db, fmt, output, scope):
    """Export the stored documents, one record each, as JSONL, CSV or Parquet.

    \b
    Examples:
      narrascope export --format parquet -o corpus.parquet
      narrascope export --format jsonl --outlet nyt --from 2016-10 -o nyt-october.jsonl
    """
    with _open(db, scope) as store:
        scope = store.scope or scope  # outlet names as stored
        if scope and not store.count():
            raise click.ClickException(f"{db}: no documents {scope.describe()}")
        n = store.export(output, fmt)
    console.print(f"wrote {n} documents to {output}" + (f" ({scope.describe()})" if scope else ""))


@cli.command()
@click.argument("shards_dir", type=click.Path(exists=True, file_okay=False))
@_db_option
@click.option("--force", is_flag=True, help="Store again sources already stored unchanged.")
@click.option("--quiet", "-q", is_flag=True, help="No per-item messages.")
def load(shards_dir, db, force, quiet):
    """Load Parquet shards written by `analyze --engine ray --shards-out DIR` into the store.

    Duplicates are linked and documents stored exactly as `analyze` stores them;
    sources already in the store are skipped, so an interrupted load resumes.
    Unfinished jobs (no _DONE.json) are ignored: re-run the analysis to finish them.

    \b
    Example:
      narrascope analyze shards/ --engine ray --shards-out out/
      narrascope load out/ --db corpus.duckdb
    """
    from .engines.ray_data import finished_jobs, load_shards
    from .store import Store

    if not finished_jobs(shards_dir):
        raise click.ClickException(f"{shards_dir}: no finished shard jobs (folders job-*/ with _DONE.json)")

    def on_item(source: str, status: str, message: str | None) -> None:
        if status == "problem" and not quiet:
            console.print(f"[red]problem[/] {escape(source)}: {escape(str(message))}", soft_wrap=True)

    def on_job(job, manifest) -> None:
        if not quiet:
            console.print(f"loading {job.name} ({manifest.get('rows', '?')} rows)")

    with Store(db) as store:
        results = load_shards(shards_dir, store, on_item=on_item, force=force, on_job=on_job)
        totals = store.count()
    from .engines.local import RunStats

    merged = RunStats()
    for r in results:
        merged.read += r.read
        merged.stored += r.stored
        merged.unchanged += r.unchanged
        merged.duplicates.update(r.duplicates)
        merged.problems.extend(r.problems)
        merged.warnings.extend(r.warnings)
        merged.by_outlet.update(r.by_outlet)
        merged.seconds += r.seconds
    _print_summary(merged, db, totals)


@cli.command()
def stages():
    """List the registered pipeline stages and the default pipeline."""
    from rich.markup import escape

    from .pipeline import available_stages, default_config

    cfg = default_config()["pipeline"]
    out.print("default prepare: " + " → ".join(cfg.get("prepare", [])))
    out.print("default analyze: " + (" → ".join(cfg.get("analyze", [])) or "(none)"))
    out.print("available: " + ", ".join(available_stages()))
    config = default_config()
    for name, profile in config.get("profiles", {}).items():
        lists = [f"{phase} = " + (" → ".join(profile[phase]) or "(none)") for phase in ("prepare", "analyze") if phase in profile]
        lists += [f"{stage}.{key} = {value!r}" for stage, options in profile.get("stages", {}).items()
                  for key, value in options.items()]
        default = " (default)" if name == cfg.get("profile") else ""
        out.print(escape(f"profile {name}{default}: " + ("; ".join(lists) or "the lists above")))

    from .nlp.encoder import cpu_has_bf16_matmul, resolve_precision

    amx = ("this CPU has AMX: [encoder] precision = \"auto\" would use bf16, 2.2x faster (docs/ENGINES.md)"
           if cpu_has_bf16_matmul() else "no AMX on this CPU: bf16 would be slower")
    out.print(escape(f"encoder precision: {resolve_precision(config)} ({amx})"))


def _add_model_commands() -> None:
    from . import cli_corpus, cli_genre_frames, cli_narratives, cli_quotes, cli_roles
    from .cli_actors import actors
    from .cli_info import info
    from .cli_search import search
    from .cli_semeval import evaluate, semeval
    from .cli_serve import serve

    for command in (cli_genre_frames.semeval_2023_st1, cli_genre_frames.semeval_2023_st2,
                    cli_roles.semeval_2025_st1, cli_narratives.semeval_2025_st2):
        semeval.add_command(command)
    for command in (cli_genre_frames.evaluate_2023_st1, cli_genre_frames.evaluate_2023_st2,
                    cli_roles.evaluate_2025_st1, cli_narratives.evaluate_2025_st2, cli_quotes.evaluate_quotes_command):
        evaluate.add_command(command)
    for command in (semeval, evaluate, cli_quotes.quotes_command, actors, search, info,
                    cli_corpus.outlets, cli_corpus.stories, cli_corpus.narratives, cli_corpus.echoes, serve):
        cli.add_command(command)


_add_model_commands()


def main() -> None:
    cli(prog_name="narrascope")


if __name__ == "__main__":  # pragma: no cover
    main()
