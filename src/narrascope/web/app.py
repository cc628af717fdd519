"""``narrascope serve``: the web dashboard and its REST API over one DuckDB store.

Every page has a JSON twin under ``/api/``; both call the same query function.
Pages are server-rendered Jinja2 (autoescape on) with one static script for tooltips.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from contextlib import asynccontextmanager, contextmanager
from importlib import resources
from pathlib import Path
from typing import Iterator
from urllib.parse import parse_qs, quote, urlencode

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from .. import __version__
from ..corpus.scope import Scope, ScopeError, resolve_outlets, stored_outlets
from ..corpus.spread import LAYERS, narrative_spread, path_text
from ..errors import InputError
from ..report.charts import bar_chart, column_chart, timeline_chart
from ..report.charts_graph import story_timeline
from . import queries
from .article import article_payload, highlighted_blocks, marks_of
from .search import SearchFilters, SearchIndex, actor_named, query_terms, search_store
from .security import TOKEN_COOKIE, SecurityMiddleware, token_matches
from .storeaccess import StoreHandle, StoreUnavailable

log = logging.getLogger("narrascope.web")
PAGE_SIZE = 20
SPREADS_SHOWN = 12  # narratives in the overview's "how narratives spread"
MAX_ANALYSE_CHARS = 1_000_000


def _env() -> Environment:
    env = Environment(loader=PackageLoader("narrascope", "web/templates"), autoescape=select_autoescape(default=True))
    env.filters["pct"] = lambda v: "" if v is None else f"{100 * v:.0f}%"
    env.filters["signed"] = lambda v: "" if v is None else f"{v:+.2f}"
    env.filters["score"] = lambda v: "" if v is None else f"{v:.2f}"
    env.filters["nice"] = lambda v: "" if v is None else str(v).replace("_", " ")
    env.filters["urlq"] = lambda v: quote(str(v), safe="")
    env.filters["http_url"] = lambda v: v if isinstance(v, str) and v[:8].lower().startswith(("http://", "https://")) else None
    return env


class Dashboard:
    """State shared by the requests: the store handle, the search index, the templates."""

    def __init__(self, db: str | Path, allow_private_urls: bool = False, idle_close: float = 5.0):
        self.db = Path(db)
        self.handle = StoreHandle(self.db, idle_close=idle_close)
        self.index = SearchIndex()
        self.allow_private_urls = allow_private_urls
        self.env = _env()
        self.analysis_lock = threading.Lock()  # one on-the-fly analysis at a time: the models are shared

    @contextmanager
    def scoped(self, scope: Scope) -> Iterator[tuple[object, dict]]:
        """The store seen through ``scope`` (the shared connection for the whole corpus, a connection of its
        own restricted to the scope otherwise), and what a page shows of the scope (``scope_context``)."""
        if not scope:
            with self.handle.open() as store:
                yield store, scope_context(scope, stored_outlets(store))
            return
        store = self.handle.open_separate()  # temporary views are per connection: never the shared one
        try:
            choices = stored_outlets(store)
            try:
                scope = resolve_outlets(scope, store, choices)
            except ScopeError as exc:
                raise HTTPException(422, _for_web(str(exc))) from None
            if not store.restrict(scope):
                raise HTTPException(404, f"no documents {scope.describe()} in this store")
            yield store, scope_context(scope, choices)
        finally:
            store.close()

    def warm_up(self) -> None:
        """Build the search index before the first search asks for it."""
        try:
            with self.handle.open() as store:
                self.index.refresh(store)
        except Exception as exc:  # noqa: BLE001 - a page will report the same problem to the user
            log.info("search index not built at start-up: %s", exc)

    def close(self) -> None:
        self.handle.close()
        self.index.close()

    def page(self, request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
        html = self.env.get_template(template).render(request_path=request.url.path, version=__version__, db=self.db.name, **context)
        return HTMLResponse(html, status_code=status)


def create_app(db: str | Path = "narrascope.duckdb", *, token: str | None = None, allow_private_urls: bool = False,
               idle_close: float = 5.0) -> FastAPI:
    """The ASGI app over the store at ``db``; with ``token``, every request must carry it."""
    dash = Dashboard(db, allow_private_urls=allow_private_urls, idle_close=idle_close)
    @asynccontextmanager
    async def lifespan(_app):
        threading.Thread(target=dash.warm_up, name="narrascope-search-index", daemon=True).start()
        yield
        dash.close()

    app = FastAPI(title="narrascope", version=__version__, docs_url=None, redoc_url=None, lifespan=lifespan,
                  description="Read-only REST API over a narrascope store: every dashboard page has a JSON twin under /api/.")
    app.state.dashboard = dash
    app.add_middleware(SecurityMiddleware, token=token)
    static = resources.files("narrascope").joinpath("web/static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    @app.exception_handler(StoreUnavailable)
    async def store_unavailable(request: Request, exc: StoreUnavailable):
        status = 503 if exc.busy else 404
        if _wants_json(request):
            return JSONResponse({"error": str(exc)}, status_code=status, headers={"Retry-After": "5"} if exc.busy else None)
        return dash.page(request, "error.html", status=status, title="Store unavailable", message=str(exc))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        if _wants_json(request):
            return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
        return dash.page(request, "error.html", status=exc.status_code, title=f"Error {exc.status_code}", message=str(exc.detail))

    from fastapi.exceptions import RequestValidationError

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError):
        problems = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors())
        if _wants_json(request):
            return JSONResponse({"error": f"bad request: {problems}"}, status_code=422)
        return dash.page(request, "error.html", status=422, title="Bad request", message=problems)

    _add_pages(app, dash)
    _add_api(app, dash)
    _add_login(app, token)
    return app


def _for_web(message: str) -> str:
    """A scope error in the dashboard's words: its fields are from, to and outlet, not --from, --to."""
    return message.replace("--from", "from").replace("--to", "to").replace("--outlet", "outlet")


def scope_params(date_from: str = Query("", alias="from", description="only documents published on or after this day, "
                                                                      "month or year (2024, 2024-03, 2024-03-05)"),
                 date_to: str = Query("", alias="to", description="only documents published on or before (same forms)"),
                 outlet: list[str] = Query(default=[], description="only this outlet's documents (repeat for several; any case)")) -> Scope:
    """The part of the corpus a page or API call reads (``from``, ``to``, ``outlet``), as for the CLI's views."""
    try:
        return Scope(date_from.strip() or None, date_to.strip() or None, tuple(o.strip() for o in outlet if o.strip()))
    except ScopeError as exc:
        raise HTTPException(422, _for_web(str(exc))) from None


def scope_context(scope: Scope, choices: list[str]) -> dict:
    """What a page shows of its scope: the form's values, the outlets to choose from, a sentence, and the query
    string that keeps the scope on the page's links."""
    pairs = [("from", scope.date_from), ("to", scope.date_to), *(("outlet", o) for o in scope.outlets)]
    return {"date_from": scope.date_from or "", "date_to": scope.date_to or "", "outlets": list(scope.outlets),
            "choices": choices, "describe": scope.describe(), "query": urlencode([(k, v) for k, v in pairs if v])}


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "text/html" not in request.headers.get("accept", "")


# -- shared data functions (pages and API call the same) ------------------------------
def _article(dash: Dashboard, doc_id: str) -> tuple[dict, object]:
    with dash.handle.open() as store:
        doc = store.get(doc_id)
        if doc is None:
            matches = store.find_ids(doc_id) if len(doc_id) >= 4 else []
            if len(matches) == 1:
                doc = store.get(matches[0])
            elif len(matches) > 1:
                raise HTTPException(404, f"{doc_id}: {len(matches)} documents start with this id; give more characters")
        if doc is None:
            raise HTTPException(404, f"no document with id {doc_id}")
        return article_payload(doc, queries.duplicates_of(store, doc.id)), doc


def _filters(outlet: str, date_from: str, date_to: str, technique: str, narrative: str, duplicates: bool, actor: str) -> SearchFilters:
    """A search's filters from the page's or the API's query parameters (empty: no filter); a 422 for a malformed
    date or a period that ends before it starts, as on the other pages."""
    try:
        period = Scope(date_from.strip() or None, date_to.strip() or None)
    except ScopeError as exc:
        raise HTTPException(422, _for_web(str(exc))) from None
    return SearchFilters(outlet or None, period.date_from, period.date_to, technique or None, narrative or None, duplicates,
                         actor or None)


def _search(dash: Dashboard, q: str, filters: SearchFilters, page: int) -> dict:
    with dash.handle.open() as store:
        results, total = search_store(store, dash.index, q, filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return {"query": q, "terms": query_terms(q), "filters": vars(filters), "page": page, "page_size": PAGE_SIZE, "total": total,
            "results": results,
            "choices": {"outlets": dash.index.outlets, "techniques": dash.index.techniques, "actors": dash.index.actors[:500],
                        "narratives": [{"label": k, "name": n} for k, n in dash.index.narratives]}}


def _outlets(dash: Dashboard, names: list[str], scope: Scope = Scope()) -> dict:
    from ..corpus.outlets import compare_outlets, outlet_profiles

    with dash.scoped(scope) as (store, shown):
        known = queries.outlet_names(store)
        unknown = [n for n in names if n not in known]
        if unknown:
            raise HTTPException(404, f"no outlet named {', '.join(unknown)} with original articles in this store")
        if len(names) >= 2:
            comparison = compare_outlets(store, names)
            return {"outlets": known, "selected": names, "scope": shown["describe"] or None,
                    "profiles": queries.as_json(comparison.profiles),
                    "differences": queries.as_json(comparison.differences), "framing": queries.as_json(comparison.to_dict()["framing"]),
                    "_objects": comparison.profiles, "_scope": shown}
        profiles = outlet_profiles(store, names or None)
        return {"outlets": known, "selected": names, "scope": shown["describe"] or None, "profiles": queries.as_json(profiles),
                "differences": [], "framing": None, "_objects": profiles, "_scope": shown}


def _actor(dash: Dashboard, name: str, scope: Scope = Scope()) -> dict:
    with dash.scoped(scope) as (store, shown):
        detail = queries.actor_detail(store, actor_named(store, name) or name)  # the actor or any spelling of it
    if detail is None:
        raise HTTPException(404, f"no actor named {name} in this store" + (f" ({shown['describe']})" if scope else ""))
    return {**detail, "scope": shown["describe"] or None, "_scope": shown}


def _analyse(dash: Dashboard, text: str | None, url: str | None) -> dict:
    from ..api import analyze_text, analyze_url

    text = (text or "").strip()
    url = (url or "").strip()
    if not text and not url:
        raise HTTPException(422, "give the text or HTML of an article, or its URL")
    if len(text) > MAX_ANALYSE_CHARS:
        raise HTTPException(413, f"text over {MAX_ANALYSE_CHARS:,} characters")
    try:
        with dash.analysis_lock:
            doc = analyze_url(url, allow_private=dash.allow_private_urls) if url and not text else analyze_text(text, url=url or None)
    except InputError as exc:
        message = str(exc).replace("(use --allow-private to allow)", "(start the server with --allow-private-urls to allow)")
        raise HTTPException(422, message) from None
    return article_payload(doc)


def _json(data) -> JSONResponse:
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if not k.startswith("_")}
    return JSONResponse(queries.as_json(data))


# -- pages ------------------------------------------------------------------------------
def _add_pages(app: FastAPI, dash: Dashboard) -> None:
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def overview_page(request: Request, scope: Scope = Depends(scope_params)):
        with dash.scoped(scope) as (store, shown):
            data = queries.overview(store)
            spreads = narrative_spread(store, min_outlets=2)[:SPREADS_SHOWN]
        tl = data["timeline"]
        charts = {
            "outlets": bar_chart(list(data["by_outlet"].items())),
            "languages": bar_chart(list(data["by_language"].items())),
            "documents": column_chart(list(zip(tl["buckets"], tl["documents"]))),
            "techniques": timeline_chart(tl["buckets"], [(s["name"].replace("_", " "), s["values"]) for s in tl["techniques"]]),
            "narratives": timeline_chart(tl["buckets"], [(s["name"], s["values"]) for s in tl["narratives"]]),
        }
        charts["spread"] = story_timeline([(sp.name, sp.dated) for sp in spreads]) if spreads else ""
        return dash.page(request, "overview.html", data=data, charts=charts, title="Overview",
                         spreads=[(sp, path_text(sp)) for sp in spreads], scope=shown)

    @app.get("/articles/{doc_id}", response_class=HTMLResponse, include_in_schema=False)
    def article_page(request: Request, doc_id: str):
        payload, _ = _article(dash, doc_id)
        return _article_page(dash, request, payload, stored=True)

    @app.get("/search", response_class=HTMLResponse, include_in_schema=False)
    def search_page(request: Request, q: str = "", outlet: str = "", date_from: str = "", date_to: str = "", technique: str = "",
                    narrative: str = "", actor: str = "", duplicates: bool = False, page: int = Query(1, ge=1, le=10_000),
                    from_: str = Query("", alias="from"), to: str = ""):
        data = _search(dash, q, _filters(outlet, date_from or from_, date_to or to, technique, narrative, duplicates, actor), page)
        for r in data["results"]:
            r["snippet_html"] = _marked(r["snippet"], r["matches"])
        return dash.page(request, "search.html", data=data, title="Search")

    @app.get("/outlets", response_class=HTMLResponse, include_in_schema=False)
    def outlets_page(request: Request, o: list[str] = Query(default=[]), scope: Scope = Depends(scope_params)):
        from ..report.corpus_sections import tone_table
        from ..report.charts import share_table

        data = _outlets(dash, o, scope)
        profiles = data["_objects"]
        mix = [(p.outlet, s.label.replace("_", " "), s.count) for p in profiles for s in (p.techniques or [])]
        density = [(p.outlet, p.technique_density) for p in profiles if p.technique_density is not None]
        return dash.page(request, "outlets.html", data=data, profiles=profiles, title="Outlets", scope=data["_scope"],
                         mix_table=share_table(mix) if mix else None, tone_table=tone_table(profiles),
                         density_chart=bar_chart(sorted(density, key=lambda r: -r[1])) if density else None)

    @app.get("/actors", response_class=HTMLResponse, include_in_schema=False)
    def actors_page(request: Request, scope: Scope = Depends(scope_params)):
        with dash.scoped(scope) as (store, shown):
            rows = queries.actors(store)
        return dash.page(request, "actors.html", rows=rows, title="Actors", scope=shown)

    @app.get("/actors/{name}", response_class=HTMLResponse, include_in_schema=False)
    def actor_page(request: Request, name: str, scope: Scope = Depends(scope_params)):
        data = _actor(dash, name, scope)
        months = sorted({f["month"] for f in data["framing"] if f["month"]})
        outlets = sorted({f["outlet"] for f in data["framing"]})
        mentions = [(o, [sum(f["mentions"] for f in data["framing"] if f["outlet"] == o and f["month"] == m) for m in months]) for o in outlets]
        tones = [(o, [next((f["tone"] or 0 for f in data["framing"] if f["outlet"] == o and f["month"] == m), 0) for m in months])
                 for o in outlets if any(f["tone"] is not None for f in data["framing"] if f["outlet"] == o)]
        return dash.page(request, "actor.html", data=data, title=data["actor"], scope=data["_scope"],
                         mentions_chart=timeline_chart(months, mentions) if months else None,
                         has_tone=bool(tones))

    @app.get("/analyse", response_class=HTMLResponse, include_in_schema=False)
    def analyse_form(request: Request):
        return dash.page(request, "analyse.html", title="Analyse", text="", url="")

    @app.post("/analyse", response_class=HTMLResponse, include_in_schema=False)
    async def analyse_page(request: Request):
        form = _form(await request.body())
        text, url = form.get("text", ""), form.get("url", "")
        try:
            payload = await run_in_threadpool(_analyse, dash, text, url)
        except HTTPException as exc:
            return dash.page(request, "analyse.html", status=exc.status_code, title="Analyse", text=text, url=url, error=exc.detail)
        return _article_page(dash, request, payload, stored=False)

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    def api_docs(request: Request):
        return dash.page(request, "docs.html", title="API", endpoints=_endpoints(app.openapi()))


def _article_page(dash: Dashboard, request: Request, payload: dict, stored: bool) -> HTMLResponse:
    blocks = highlighted_blocks(payload["text"], payload["segments"], marks_of(payload))
    legend: dict[str, int] = {}
    for t in payload["techniques"]:
        legend.setdefault(t["technique"], t["colour"])
    return dash.page(request, "article.html", a=payload, blocks=blocks, legend=legend, stored=stored,
                     title=payload["title"] or "(untitled)")


def _marked(text: str, marks: list[tuple[int, int]]) -> Markup:
    from markupsafe import escape

    parts, last = [], 0
    for s, e in marks:
        parts.append(escape(text[last:s]))
        parts.append(Markup("<b>") + escape(text[s:e]) + Markup("</b>"))
        last = e
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


def _form(body: bytes) -> dict[str, str]:
    fields = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {k: v[0] for k, v in fields.items()}


def _endpoints(spec: dict) -> list[dict]:
    rows = []
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            params = [{"name": p["name"], "in": p["in"], "required": p.get("required", False),
                       "type": p.get("schema", {}).get("type") or "string", "description": p.get("description", "")}
                      for p in op.get("parameters", [])]
            rows.append({"method": method.upper(), "path": path, "summary": op.get("summary", ""),
                         "description": op.get("description", ""), "params": params,
                         "body": "requestBody" in op})
    return rows


# -- API ----------------------------------------------------------------------------------
def _add_api(app: FastAPI, dash: Dashboard) -> None:
    @app.get("/api/health", summary="Server and store status")
    def health():
        """`ok` with the store's document count, or 503 while another process writes the store."""
        with dash.handle.open() as store:
            return {"status": "ok", "documents": store.count(), "version": __version__}

    @app.get("/api/overview", summary="Corpus overview")
    def overview_api(scope: Scope = Depends(scope_params)):
        """Counts by outlet, language and date; timelines of techniques and narratives (by day or month); latest documents."""
        with dash.scoped(scope) as (store, shown):
            return _json({**queries.overview(store), "scope": shown["describe"] or None})

    @app.get("/api/narratives", summary="How narratives spread between outlets")
    def narratives_api(min_outlets: int = Query(1, ge=1, le=10_000, description="only narratives carried by this many outlets"),
                       layer: list[str] = Query(default=[], description="narrative, subnarrative, user_narrative (repeat; default all)"),
                       scope: Scope = Depends(scope_params)):
        """Per narrative: the outlet that carried it first, and each outlet that took it up with the day of its first
        document carrying it and its lag in days; the most widely carried first."""
        layers = tuple(layer) or LAYERS
        unknown = set(layers) - set(LAYERS)
        if unknown:
            raise HTTPException(400, f"unknown layer {sorted(unknown)[0]!r}; one of {', '.join(LAYERS)}")
        with dash.scoped(scope) as (store, _):
            return _json([sp.to_dict() for sp in narrative_spread(store, layers, min_outlets)])

    @app.get("/api/articles/{doc_id}", summary="One article with everything found in it")
    def article_api(doc_id: str):
        """Text, segments, technique spans (with definitions), quotes, actors, genre, frames, narratives with evidence,
        duplicates. ``doc_id`` may be a unique prefix of at least 4 characters."""
        payload, _ = _article(dash, doc_id)
        return _json(payload)

    @app.get("/api/search", summary="Full-text search with filters")
    def search_api(q: str = Query("", description="words to find (BM25; empty lists by date)"),
                   outlet: str = Query("", description="only this outlet"),
                   date_from: str = Query("", description="published on or after (YYYY, YYYY-MM or YYYY-MM-DD)"),
                   date_to: str = Query("", description="published on or before (same forms)"),
                   technique: str = Query("", description="only documents with this technique, e.g. Loaded_Language"),
                   narrative: str = Query("", description="only documents with this narrative label"),
                   actor: str = Query("", description="only documents naming this actor: its canonical name or any "
                                                      "spelling the texts use (Lukashenka finds Alexander Lukashenko)"),
                   duplicates: bool = Query(False, description="include linked duplicates"),
                   page: int = Query(1, ge=1, le=10_000),
                   from_: str = Query("", alias="from", description="the same as date_from (as the other pages name it)"),
                   to: str = Query("", description="the same as date_to")):
        """Documents best first, with a snippet around the matched words (offsets of the matches in the snippet)."""
        return _json(_search(dash, q, _filters(outlet, date_from or from_, date_to or to, technique, narrative, duplicates, actor), page))

    @app.get("/api/outlets", summary="Outlet profiles, or a comparison of two or more")
    def outlets_api(o: list[str] = Query(default=[], description="outlet names (repeat); two or more compares them"),
                    scope: Scope = Depends(scope_params)):
        """Per outlet: articles, technique density and mix, genres, frames, narratives, actors (roles, tone), whom it quotes."""
        return _json(_outlets(dash, o, scope))

    @app.get("/api/actors", summary="Canonical actors")
    def actors_api(top: int = Query(200, ge=1, le=10_000), scope: Scope = Depends(scope_params)):
        """Actors by mentions: type, ids, documents, outlets, spellings seen, mean tone."""
        with dash.scoped(scope) as (store, _):
            return _json(queries.actors(store, top))

    @app.get("/api/actors/{name}", summary="One actor across outlets and time")
    def actor_api(name: str, scope: Scope = Depends(scope_params)):
        """Mentions, roles and tone per outlet and month; the actor's quotes; the documents that mention it."""
        return _json(_actor(dash, name, scope))

    @app.post("/api/analyse", summary="Analyse one article without storing it")
    async def analyse_api(request: Request):
        """Body: JSON ``{"text": "..."}`` (plain text or HTML) or ``{"url": "https://..."}``. Private, loopback and
        link-local addresses are refused unless the server runs with ``--allow-private-urls``. Returns the article payload."""
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            raise HTTPException(400, "the body must be JSON: {\"text\": ...} or {\"url\": ...}") from None
        if not isinstance(body, dict):
            raise HTTPException(400, "the body must be a JSON object")
        text, url = body.get("text"), body.get("url")
        if not isinstance(text, (str, type(None))) or not isinstance(url, (str, type(None))):
            raise HTTPException(400, "text and url must be strings")
        return _json(await run_in_threadpool(_analyse, dash, text, url))


def _add_login(app: FastAPI, token: str | None) -> None:
    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_form(request: Request, next: str = "/"):
        return app.state.dashboard.page(request, "login.html", title="Sign in", next=_local(next), needed=bool(token))

    @app.post("/login", include_in_schema=False)
    async def login(request: Request):
        form = _form(await request.body())
        target = _local(form.get("next", "/"))
        if not token:
            return RedirectResponse(target, status_code=303)
        if not token_matches(form.get("token"), token):
            return app.state.dashboard.page(request, "login.html", status=401, title="Sign in", next=target, needed=True,
                                            error="wrong token")
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
        return response


def _local(target: str) -> str:
    """Only same-site paths as redirect targets (no open redirect)."""
    return target if target.startswith("/") and not target.startswith(("//", "/\\")) else "/"


def token_from_env(token: str | None) -> str | None:
    return token or os.environ.get("NARRASCOPE_TOKEN") or None
