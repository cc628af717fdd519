"""The small public Python API: ``analyze_text`` and ``Corpus``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator

from .document import Document
from .errors import InputError
from .pipeline import Pipeline, load_config

@lru_cache(maxsize=4)
def _pipelines(config_key: str | None) -> tuple[Pipeline, Pipeline]:
    config = load_config(config_key)
    return Pipeline.from_config(config, "prepare"), Pipeline.from_config(config, "analyze")


def prepare_documents(items: Iterable[Document | InputError], config: str | None = None) -> Iterator[Document | InputError]:
    """Run the prepare stages (extract, segment, language, sentences) in this process."""
    prepare, _ = _pipelines(config)
    for item in items:
        if isinstance(item, InputError):
            yield item
            continue
        yield prepare([item])[0]


def analyze_text(text_or_html: str, url: str | None = None, *, outlet: str | None = None, config: str | None = None) -> Document:
    """Analyse one article (plain text or HTML) with the full pipeline; nothing is stored.

    Raises ``InputError`` when no article text can be found.
    """
    if not isinstance(text_or_html, str):
        raise TypeError("analyze_text expects a str (decode bytes first, or use narrascope.readers)")
    from .readers.sniff import looks_like_html_fragment, markup_kind

    is_html = markup_kind(text_or_html) == "html" or looks_like_html_fragment(text_or_html)
    doc = Document(source=url or "<text>", url=url, outlet=outlet, raw=text_or_html, raw_format="html" if is_html else "text")
    prepare, analyze = _pipelines(config)
    doc = analyze(prepare([doc]))[0]
    if doc.meta.get("problem"):
        raise InputError(doc.source, doc.meta["problem"])
    return doc


def analyze_url(url: str, *, allow_private: bool = False, outlet: str | None = None, config: str | None = None) -> Document:
    """Fetch one article page and analyse it with the full pipeline; nothing is stored.

    Private, loopback and link-local addresses are refused unless ``allow_private``.
    Raises ``FetchError`` when the page cannot be fetched, ``InputError`` when it holds no article.
    """
    from .readers import iter_inputs
    from .readers.options import ReadOptions
    from .readers.urls import is_url

    if not is_url(url):
        raise InputError(url, "not an http(s) URL")
    items = list(iter_inputs([url], ReadOptions(allow_private=allow_private)))
    if len(items) != 1:
        raise InputError(url, f"a feed with {len(items)} entries, not one article: give the URL of one article")
    item = items[0]
    if isinstance(item, InputError):
        raise item
    item.outlet = outlet or item.outlet
    prepare, analyze = _pipelines(config)
    doc = analyze(prepare([item]))[0]
    if doc.meta.get("problem"):
        raise InputError(url, doc.meta["problem"])
    return doc


class Corpus:
    """A corpus in one DuckDB file.

    >>> corpus = Corpus("narrascope.duckdb")
    >>> corpus.analyze(["articles/"])      # doctest: +SKIP
    >>> for doc in corpus: print(doc.title)  # doctest: +SKIP
    >>> july = corpus.within(date_from="2016-07", date_to="2016-07")  # doctest: +SKIP
    >>> july.stories(), july.echoes(), july.report("july.html")     # doctest: +SKIP
    """

    def __init__(self, path: str | Path = "narrascope.duckdb", *, config: str | None = None):
        self.path = str(path)
        self.config_path = config
        self.scope = None  # a corpus.scope.Scope: what the read-only views read (see within)

    def within(self, *, date_from: str | None = None, date_to: str | None = None, outlets: list[str] | tuple[str, ...] = ()) -> "Corpus":
        """The same corpus seen through a scope: every read (iteration, len, search, the corpus views
        and the report) covers the documents published between two ISO date prefixes, inclusive, of the
        given outlets. Analysing through it analyses into the whole store."""
        from .corpus.scope import Scope

        scoped = Corpus(self.path, config=self.config_path)
        scoped.scope = Scope(date_from, date_to, tuple(outlets))
        return scoped

    def _store(self, read_only: bool = False):
        from .store import Store

        store = Store(self.path, read_only=read_only)
        if read_only and self.scope:
            from .corpus.scope import resolve_outlets

            try:
                store.restrict(resolve_outlets(self.scope, store))  # outlet names in any case; ScopeError for none
            except BaseException:
                store.close()
                raise
        return store

    def analyze(self, sources: list[str], *, workers: int = 1, options=None, force: bool = False):
        """Analyse files, folders, URLs, feeds, WARC or JSONL/CSV into the corpus; returns run stats."""
        from .engines.local import run_analysis
        from .readers import iter_inputs

        with self._store() as store:
            return run_analysis(iter_inputs(list(sources), options), store, load_config(self.config_path),
                                workers=workers, force=force)

    def get(self, doc_id: str) -> Document | None:
        with self._store(read_only=True) as store:
            ids = store.find_ids(doc_id)
            return store.get(ids[0]) if len(ids) == 1 else None

    def __iter__(self) -> Iterator[Document]:
        with self._store(read_only=True) as store:
            yield from store.iter_documents()

    def __len__(self) -> int:
        with self._store(read_only=True) as store:
            return store.count()

    def search(self, query: str = "", *, outlet: str | None = None, date_from: str | None = None,
               date_to: str | None = None, technique: str | None = None, narrative: str | None = None,
               actor: str | None = None, duplicates: bool = False, limit: int = 20, offset: int = 0) -> tuple[list[dict], int]:
        """Documents best match first for ``query`` (newest first without one), as ``narrascope search``
        finds them: one dict each (id, title, outlet, published, language, score, snippet, matches), and
        how many match in all. Filters take stored values exactly (a technique's label, an ISO date prefix);
        ``actor`` takes a canonical actor or any spelling the texts use for one."""
        from .corpus.scope import Scope
        from .web.search import SearchFilters, SearchIndex, query_terms, search_store

        period = Scope(date_from, date_to)  # ScopeError for a malformed date or a period that ends before it starts
        filters = SearchFilters(outlet, period.date_from, period.date_to, technique, narrative, duplicates, actor)
        index = SearchIndex(terms=query_terms(query), actors=actor is not None)
        try:
            with self._store(read_only=True) as store:
                return search_store(store, index, query, filters, limit=limit, offset=offset)
        finally:
            index.close()

    def narratives(self, *, min_outlets: int = 1, layers: tuple[str, ...] | None = None) -> list[dict]:
        """How narratives travel, as ``narrascope narratives --json`` gives it: per narrative, the outlet that
        carried it first and each outlet that took it up, with its first day and lag in days."""
        from .corpus.spread import LAYERS, narrative_spread

        with self._store(read_only=True) as store:
            return [s.to_dict() for s in narrative_spread(store, layers or LAYERS, min_outlets)]

    def stories(self, *, window_days: int = 3, min_outlets: int = 2) -> list[dict]:
        """Stories (documents about one event across outlets) as ``narrascope stories --json`` gives them."""
        from .corpus.stories import find_stories

        with self._store(read_only=True) as store:
            return [s.to_dict() for s in find_stories(store, window_days=window_days, min_outlets=min_outlets)]

    def echoes(self, *, window_days: int | None = 30) -> list[dict]:
        """Echo chains (paragraphs repeated or paraphrased across outlets) as ``narrascope echoes --json`` gives them."""
        from .corpus.echoes import find_echoes

        with self._store(read_only=True) as store:
            return [e.to_dict() for e in find_echoes(store, window_days=window_days)]

    def actors(self, *, top: int = 50) -> list[dict]:
        """Canonical actors by mentions, as ``narrascope actors --json`` gives them: type, ids, mentions,
        documents, outlets, the spellings seen and mean tone."""
        from .cli_actors import actor_table

        with self._store(read_only=True) as store:
            return actor_table(store, top=top)

    def actor(self, name: str) -> dict | None:
        """One actor (its canonical name or any spelling the texts use) as ``narrascope actors NAME --json``
        gives it: how each outlet frames it by month, its quotes, the documents naming it; None when unnamed."""
        from .web.queries import actor_detail
        from .web.search import actor_named

        with self._store(read_only=True) as store:
            canonical = actor_named(store, name)
            return actor_detail(store, canonical) if canonical else None

    def outlets(self) -> list[dict]:
        """Outlet profiles as ``narrascope outlets --json`` gives them."""
        from .corpus.outlets import outlet_profiles

        with self._store(read_only=True) as store:
            return [p.to_dict() for p in outlet_profiles(store)]

    def stats(self) -> dict[str, Any]:
        with self._store(read_only=True) as store:
            return store.stats()

    def duplicates(self) -> list[dict]:
        with self._store(read_only=True) as store:
            return store.duplicates()

    def export(self, path: str | Path, fmt: str = "jsonl") -> int:
        with self._store(read_only=True) as store:
            return store.export(path, fmt)

    def report(self, path: str | Path = "report.html") -> int:
        from .report import write_report

        with self._store(read_only=True) as store:
            return write_report(store, path, self.scope.describe() if self.scope else "")

    def __repr__(self) -> str:
        return f"Corpus({self.path!r})" + (f".within({self.scope.describe()})" if self.scope else "")
