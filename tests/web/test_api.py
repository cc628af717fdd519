"""The dashboard's pages and their JSON twins, on a real store built from the seed pages and bundled examples."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest

from .conftest import HOSTILE_OUTLET, HOSTILE_TITLE

HTML = {"accept": "text/html"}


def _doc_ids(store, where: str = "TRUE", params=None) -> list[str]:
    return [r[0] for r in store.query(f"SELECT id FROM documents WHERE {where} ORDER BY id", params or [])]


def _most_techniques(store) -> str:
    return store.query("SELECT doc_id FROM spans WHERE layer = 'technique' GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")[0][0]


def test_overview_counts_match_the_store(client, store):
    data = client.get("/api/overview").json()
    stats = store.stats()
    assert data["documents"] == stats["documents"] == sum(data["by_outlet"].values())
    assert data["by_language"] == stats["by_language"]
    tl = data["timeline"]
    # The bundled examples are dated within a week: one bucket per day, as many dated originals as the store holds.
    assert data["bucket"] == "day" and all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", b) for b in tl["buckets"])
    dated = store.query("SELECT count(*) FROM documents WHERE published IS NOT NULL AND id NOT IN (SELECT doc_id FROM duplicates)")[0][0]
    assert sum(tl["documents"]) == dated
    techniques = sum(sum(s["values"]) for s in tl["techniques"])
    assert techniques == store.query("SELECT count(*) FROM spans s JOIN documents d ON d.id = s.doc_id WHERE s.layer = 'technique' "
                                     "AND d.published IS NOT NULL AND d.id NOT IN (SELECT doc_id FROM duplicates)")[0][0]
    page = client.get("/", headers=HTML)
    assert page.status_code == 200 and "<svg" in page.text
    for outlet in ("Eastern Flank Review", "Volga Herald"):
        assert outlet in page.text


def test_article_twin_has_every_stored_layer(client, store):
    doc_id = _most_techniques(store)
    data = client.get(f"/api/articles/{doc_id}").json()
    doc = store.get(doc_id)
    assert data["text"] == doc.text
    assert sorted((t["start"], t["end"], t["technique"]) for t in data["techniques"]) == \
        sorted((s.start, s.end, s.label) for s in doc.spans_of("technique"))
    assert all(t["definition"] for t in data["techniques"])
    assert len(data["quotes"]) == len(doc.spans_of("quote"))
    assert {a["actor"] for a in data["actors"]} == {s.attrs.get("actor") or s.text_of(doc) for s in doc.spans_of("entity")}
    # A unique prefix finds the same document.
    assert client.get(f"/api/articles/{doc_id[:6]}").json()["id"] == doc_id


def test_article_page_highlights_each_technique_span(client, store):
    doc_id = _most_techniques(store)
    html = client.get(f"/articles/{doc_id}", headers=HTML).text
    n = len(store.get(doc_id).spans_of("technique"))
    refs = set()
    for m in re.finditer(r'<span class="hl [^"]*\btech\b[^"]*" data-refs="([^"]+)"', html):
        refs.update(r for r in m.group(1).split() if r.startswith("t"))
    assert refs == {f"t{i}" for i in range(n)}
    assert len(re.findall(r'<li id="f-t\d+" class="finding"', html)) == n
    # The pieces put back together are the text: highlighting adds markup, never changes or drops text.
    body = html.split('<div class="text" id="text">', 1)[1].split("</div>", 1)[0]
    paragraphs = [re.sub(r"<[^>]+>", "", p) for p in re.findall(r"<p>(.*?)</p>", body, flags=re.S)]
    import html as html_lib

    text = store.get(doc_id).text
    assert [html_lib.unescape(p) for p in paragraphs] == [line for line in text.split("\n") if line.strip()]


def test_seed_quotes_carry_their_speakers_in_the_article_view(client, store):
    rows = store.query("SELECT id FROM documents WHERE source LIKE '%003_%' LIMIT 1")
    if not rows:
        pytest.skip("seed 003 not present")
    quotes = client.get(f"/api/articles/{rows[0][0]}").json()["quotes"]
    speakers = {q["speaker"] for q in quotes}
    assert any(s and "Stoltenberg" in s for s in speakers)


def test_unknown_article_is_a_clear_404(client):
    r = client.get("/api/articles/doesnotexist")
    assert r.status_code == 404 and "no document with id doesnotexist" in r.json()["error"]
    page = client.get("/articles/doesnotexist", headers=HTML)
    assert page.status_code == 404 and "no document with id doesnotexist" in page.text


def test_search_matches_word_forms(client, store):
    # The seeds say "sanctions", never "sanction": the stemmed index finds them anyway.
    having = set(_doc_ids(store, "regexp_matches(lower(coalesce(title, '') || ' ' || text), '\\bsanctions?\\b') "
                                 "AND id NOT IN (SELECT doc_id FROM duplicates)"))
    data = client.get("/api/search", params={"q": "sanction"}).json()
    assert data["total"] == len(having) > 0 and {r["id"] for r in data["results"]} == having
    marked = {r["snippet"][s:e].lower() for r in data["results"] for s, e in r["matches"]}
    assert "sanctions" in marked and marked <= {"sanction", "sanctions", "sanctioned", "sanctioning"}
    from narrascope.web.search import query_terms

    assert query_terms("России Россия") == query_terms("россии")  # Russian forms share a stem


def test_search_ranks_and_filters(client, store):
    data = client.get("/api/search", params={"q": "Stoltenberg"}).json()
    having = set(_doc_ids(store, "lower(text) LIKE '%stoltenberg%' AND id NOT IN (SELECT doc_id FROM duplicates)"))
    assert data["total"] == len(having) > 0 and {r["id"] for r in data["results"]} == having
    assert any("Stoltenberg" in r["snippet"][s:e] for r in data["results"] for s, e in r["matches"])
    # A document with more of the query's words ranks first.
    both = client.get("/api/search", params={"q": "gas Lithuania"}).json()["results"]
    top = store.get(both[0]["id"])
    assert "gas" in (top.title + top.text).lower() and "lithuania" in (top.title + top.text).lower()
    # Filters: outlet, technique, date.
    only = client.get("/api/search", params={"q": "gas", "outlet": "Eastern Flank Review"}).json()
    assert only["results"] and {r["outlet"] for r in only["results"]} == {"Eastern Flank Review"}
    tech = store.query("SELECT label FROM spans WHERE layer = 'technique' GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")[0][0]
    with_tech = client.get("/api/search", params={"technique": tech}).json()
    expected = set(_doc_ids(store, "id IN (SELECT doc_id FROM spans WHERE layer = 'technique' AND label = ?) "
                                   "AND id NOT IN (SELECT doc_id FROM duplicates)", [tech]))
    assert {r["id"] for r in with_tech["results"]} == expected
    dated = client.get("/api/search", params={"date_from": "2024-03-20", "date_to": "2024-03-21"}).json()["results"]
    assert dated and all("2024-03-20" <= r["published"][:10] <= "2024-03-21" for r in dated)
    page = client.get("/search", params={"q": "Stoltenberg"}, headers=HTML).text
    assert "<b>Stoltenberg</b>" in page


def test_the_store_search_terms_rank_as_an_index_built_in_memory(store):
    # The store keeps every document's terms (schema 3) and is searched where it lies; a store written before
    # is indexed in memory, in full (the dashboard) or only for the query's words (the CLI, Corpus.search).
    from narrascope.web.search import SearchFilters, SearchIndex, query_terms, search_store

    assert store.searchable()
    in_store, in_memory = SearchIndex(), SearchIndex(use_store=False)
    try:
        for q in ("sanctions", "Lukashenko said", "dying trying", "cries", "the", "Россия Лукашенко", "a", "us", ""):
            one = SearchIndex(terms=query_terms(q), use_store=False)
            try:
                for filters in (None, SearchFilters(include_duplicates=True), SearchFilters(actor="Lukashenka"),
                                SearchFilters(technique="Loaded_Language", date_from="2024")):
                    got = search_store(store, in_store, q, filters, limit=500)
                    assert got == search_store(store, in_memory, q, filters, limit=500), (q, filters)
                    assert got == search_store(store, one, q, filters, limit=500), (q, filters)
            finally:
                one.close()
        assert in_store._in_store and not in_memory._in_store
        assert (in_store.outlets, in_store.techniques, in_store.narratives, in_store.actors) == (
            in_memory.outlets, in_memory.techniques, in_memory.narratives, in_memory.actors)
        assert len(in_store.actors) > 5 and in_store.techniques
        # every spelling in the texts names the actor most often spelt so (ties: the first name)
        spelt: dict[str, dict[str, int]] = {}
        for doc in store.iter_documents():
            for span in doc.spans_of("entity"):
                if span.attrs.get("actor"):
                    by_actor = spelt.setdefault(span.text_of(doc).lower(), {})
                    by_actor[span.attrs["actor"]] = by_actor.get(span.attrs["actor"], 0) + 1
        assert len(spelt) > 20 and "lukahsneko" in spelt
        for surface, by_actor in spelt.items():
            exact = next((a for a in in_store.actors if a.lower() == surface), None)
            expected = exact or min(by_actor, key=lambda a: (-by_actor[a], a))
            assert in_store.actor_named(surface.upper(), store) == in_memory.actor_named(surface, store) == expected, surface
        assert in_store.actor_named("nobody at all", store) is None and in_store.actor_named("lukahsneko") is None  # no store
    finally:
        in_store.close()
        in_memory.close()


def test_search_by_actor_under_any_spelling(client, store):
    # The seeds name Lukashenko as Lukashenko, Lukashenka and Lukahsneko; the entities stage resolves all three.
    expected = set(_doc_ids(store, "id IN (SELECT doc_id FROM spans WHERE layer = 'entity' "
                                   "AND attrs->>'actor' = 'Alexander Lukashenko') AND id NOT IN (SELECT doc_id FROM duplicates)"))
    by_name = client.get("/api/search", params={"actor": "Alexander Lukashenko"}).json()
    assert by_name["total"] == len(expected) > 5 and {r["id"] for r in by_name["results"]} == expected
    for spelling in ("lukashenka", "Lukahsneko"):
        data = client.get("/api/search", params={"actor": spelling}).json()
        assert {r["id"] for r in data["results"]} == expected, spelling
    # words and the actor together: only the actor's documents that hold the words
    both = client.get("/api/search", params={"actor": "Lukashenka", "q": "gas"}).json()["results"]
    assert both and all(r["id"] in expected for r in both)
    assert client.get("/api/search", params={"actor": "Nobody Atall"}).json()["total"] == 0
    page = client.get("/search", params={"actor": "Lukashenka"}, headers=HTML).text
    assert 'list="actors"' in page and '<option value="Alexander Lukashenko">' in page


def test_how_narratives_spread(client, store):
    from narrascope.corpus.spread import narrative_spread

    data = client.get("/api/narratives").json()
    assert data == json.loads(json.dumps([sp.to_dict() for sp in narrative_spread(store)])) and data
    wide = client.get("/api/narratives", params={"min_outlets": 2, "layer": "narrative"}).json()
    assert wide and all(n["outlets"] >= 2 and n["layer"] == "narrative" for n in wide)
    assert client.get("/api/narratives", params={"layer": "frames"}).status_code == 400
    page = client.get("/", headers=HTML).text
    assert "How narratives spread" in page and f"{wide[0]['first_outlet']} {wide[0]['first_seen']} →" in page


def test_outlet_comparison_side_by_side(client):
    r = client.get("/api/outlets", params=[("o", "Eastern Flank Review"), ("o", "Volga Herald")]).json()
    assert [p["outlet"] for p in r["profiles"]] == ["Eastern Flank Review", "Volga Herald"]
    assert r["profiles"][0]["articles"] == 2 and r["profiles"][1]["articles"] == 1
    page = client.get("/outlets", params=[("o", "Eastern Flank Review"), ("o", "Volga Herald")], headers=HTML).text
    assert page.count('<table class="compare">') == 1 and "Volga Herald</th>" in page
    missing = client.get("/api/outlets", params=[("o", "No Such Outlet")])
    assert missing.status_code == 404 and "No Such Outlet" in missing.json()["error"]


def test_outlet_with_only_duplicates_is_a_404_not_a_crash(client, store):
    only_copies = [r[0] for r in store.query(
        "SELECT outlet FROM documents WHERE outlet IS NOT NULL GROUP BY outlet "
        "HAVING bool_and(id IN (SELECT doc_id FROM duplicates))")]
    assert only_copies, "the bundled examples include an outlet whose one article is a linked copy"
    r = client.get("/outlets", params=[("o", only_copies[0]), ("o", "Volga Herald")], headers=HTML)
    assert r.status_code == 404 and "with original articles" in r.text
    assert only_copies[0] not in client.get("/api/outlets").json()["outlets"]


def test_actor_view_joins_spellings_and_lists_quotes(client, store):
    rows = client.get("/api/actors").json()
    luka = [r for r in rows if "Lukashenk" in r["actor"]]
    assert len(luka) == 1, [r["actor"] for r in luka]  # Lukashenko / Lukashenka / Lukahsneko: one actor
    data = client.get(f"/api/actors/{luka[0]['actor']}").json()
    assert sum(f["mentions"] for f in data["framing"]) == store.query(
        "SELECT count(*) FROM spans WHERE layer = 'entity' AND attrs->>'actor' = ? AND doc_id NOT IN (SELECT doc_id FROM duplicates)",
        [luka[0]["actor"]])[0][0]
    assert data["quotes"] and all(q["text"] for q in data["quotes"])
    page = client.get(f"/actors/{luka[0]['actor']}", headers=HTML)
    assert page.status_code == 200 and data["quotes"][0]["text"][:40].replace('"', "&#34;") in page.text
    assert client.get("/api/actors/Nobody%20At%20All").status_code == 404
    assert client.get("/api/actors/lukahsneko").json() == data  # any spelling the texts use finds the actor


def test_search_dates_are_checked_and_take_the_other_pages_names(client, store, web_db):
    from narrascope.api import Corpus
    from narrascope.corpus.scope import ScopeError

    day = store.query("SELECT max(substr(published, 1, 10)) FROM documents WHERE id NOT IN (SELECT doc_id FROM duplicates)")[0][0]
    by_name = client.get("/api/search", params={"date_from": day}).json()
    assert by_name["total"] >= 1 and client.get("/api/search", params={"from": day}).json() == by_name
    assert client.get("/api/search").json()["total"] > by_name["total"]
    for params, message in (({"date_from": "2024-13"}, "from '2024-13': give a year, a month or a day"),
                            ({"from": "March"}, "from 'March': give a year"),
                            ({"from": "2024-03-20", "to": "2024-03-19"}, "to 2024-03-19 is before from 2024-03-20")):
        bad = client.get("/api/search", params=params)
        assert bad.status_code == 422 and message in bad.json()["error"], bad.text
    assert client.get("/search", params={"date_to": "2024-3"}, headers=HTML).status_code == 422
    with pytest.raises(ScopeError, match="give a year"):
        Corpus(web_db).search("gas", date_from="2024-13")


def test_pages_and_api_read_a_period_or_some_outlets(client, store):
    """from, to and outlet (as the CLI's --from, --to, --outlet) narrow the overview, outlets and actors."""
    from narrascope.cli_actors import actor_table
    from narrascope.corpus.scope import Scope

    outlet, month = store.query(
        "SELECT outlet, substr(published, 1, 7) FROM documents WHERE outlet IS NOT NULL AND published IS NOT NULL "
        "GROUP BY 1, 2 ORDER BY count(*) DESC, 1, 2 LIMIT 1")[0]
    params = {"from": month, "to": month, "outlet": outlet.upper()}
    expected_docs = store.query("SELECT count(*) FROM documents WHERE outlet = ? AND substr(published, 1, 7) = ?", [outlet, month])[0][0]
    overview = client.get("/api/overview", params=params).json()
    assert overview["documents"] == expected_docs and overview["by_outlet"] == {outlet: expected_docs}
    assert overview["scope"] == f"published {month} to {month}, outlet {outlet}"
    assert client.get("/api/overview").json()["scope"] is None

    from narrascope.store import Store

    with Store(store.path, read_only=True) as scoped:  # the same view through the CLI's restriction
        scoped.restrict(Scope(month, month, (outlet,)))
        expected = actor_table(scoped, top=200)
    assert client.get("/api/actors", params=params).json() == json.loads(json.dumps(expected))
    assert all(r["outlets"] == [outlet] for r in expected) and expected
    actor = expected[0]["actor"]
    detail = client.get(f"/api/actors/{actor}", params=params).json()
    assert {f["outlet"] for f in detail["framing"]} == {outlet} and detail["mentions"] == expected[0]["mentions"]
    profiles = client.get("/api/outlets", params=params).json()
    assert [p["outlet"] for p in profiles["profiles"]] == [outlet] and profiles["profiles"][0]["articles"] <= expected_docs

    page = client.get("/actors", params=params, headers=HTML).text
    assert f"Showing documents published {month} to {month}, outlet {outlet}" in page
    assert f'href="/actors/{quote(actor, safe="")}?from={month}&amp;to={month}&amp;outlet=' in page  # links keep the scope
    assert f'<option selected>{outlet}</option>' in page
    whole = client.get("/actors", headers=HTML).text
    assert "Showing documents" not in whole and whole.count("<tr>") > page.count("<tr>")

    bad = client.get("/api/actors", params={"from": "2024-13"})
    assert bad.status_code == 422 and bad.json()["error"] == "from '2024-13': give a year, a month or a day as 2024, 2024-03 or 2024-03-05"
    unknown = client.get("/api/overview", params={"outlet": outlet[:-1] + "#"})
    assert unknown.status_code == 422 and f"did you mean {outlet}" in unknown.json()["error"]
    empty = client.get("/outlets", params={"from": "2099"}, headers=HTML)
    assert empty.status_code == 404 and "no documents published from 2099" in empty.text
    backwards = client.get("/", params={"from": "2024-05", "to": "2024-04"}, headers=HTML)
    assert backwards.status_code == 422 and "to 2024-04 is before from 2024-05" in backwards.text


def test_untrusted_text_is_escaped_on_every_page(client, store):
    hostile = _doc_ids(store, "title = ?", [HOSTILE_TITLE])
    assert hostile, "the hostile record was not stored as given"
    plain = _doc_ids(store, "text LIKE '%<img src=x onerror=alert(1)>%'")
    assert plain, "the hostile plain-text page lost its markup-like text"
    pages = [f"/articles/{hostile[0]}", f"/articles/{plain[0]}", "/", "/search?q=traitors", "/outlets", "/actors",
             "/search?q=%3Cscript%3Ealert(9)%3C/script%3E"]
    for path in pages:
        html = client.get(path, headers=HTML).text
        assert "<script>alert" not in html and "<img src=x" not in html and "<b onmouseover" not in html, path
    article = client.get(f"/articles/{hostile[0]}", headers=HTML).text
    assert "Evil &lt;script&gt;alert(1)&lt;/script&gt; headline" in article
    assert 'href="javascript:' not in article  # a non-http URL is shown, never linked
    outlets = client.get("/outlets", headers=HTML).text
    assert HOSTILE_OUTLET not in outlets and "Bad &lt;img src=x onerror=alert(3)&gt; Outlet" in outlets


def test_security_headers_on_pages_api_and_errors(client):
    for path in ("/", "/api/overview", "/api/articles/nope", "/static/app.js"):
        r = client.get(path)
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert r.headers["x-content-type-options"] == "nosniff"


def test_head_is_get_without_a_body(client):
    for path in ("/", "/api/overview"):
        got, head = client.get(path), client.head(path)
        assert head.status_code == got.status_code == 200 and head.content == b""
        assert head.headers["content-type"] == got.headers["content-type"]
        assert head.headers["content-length"] == got.headers["content-length"] != "0"
        assert "default-src 'self'" in head.headers["content-security-policy"]
    assert client.head("/api/articles/nope").status_code == 404


def test_request_body_limit(client):
    r = client.post("/api/analyse", content=b"{" + b" " * 2_100_000 + b"}", headers={"content-type": "application/json"})
    assert r.status_code == 413 and "limit" in r.json()["error"]


def test_errors_reach_the_client_without_internals(web_db, monkeypatch):
    from fastapi.testclient import TestClient

    from narrascope.web import app as web_app_module
    from narrascope.web.app import create_app

    def broken(store):
        raise RuntimeError("secret internal detail at /home/somewhere")

    monkeypatch.setattr(web_app_module.queries, "overview", broken)
    app = create_app(web_db)
    with TestClient(app, raise_server_exceptions=False) as c:
        api = c.get("/api/overview")
        page = c.get("/", headers=HTML)
    assert api.status_code == 500 and "secret" not in api.text and "Traceback" not in api.text
    assert page.status_code == 500 and "secret" not in page.text and "went wrong" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]


def test_token_guards_pages_and_api(web_db):
    from fastapi.testclient import TestClient

    from narrascope.web.app import create_app

    app = create_app(web_db, token="s3cret-token")
    with TestClient(app) as c:
        assert c.get("/api/health").status_code == 401
        assert c.get("/api/health", headers={"authorization": "Bearer wrong"}).status_code == 401
        ok = c.get("/api/health", headers={"authorization": "Bearer s3cret-token"})
        assert ok.status_code == 200 and ok.json()["documents"] > 0
        assert c.get("/openapi.json").status_code == 401
        # A browser is sent to the sign-in form, and back where it was going once signed in.
        r = c.get("/search?q=gas", headers=HTML, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
        bad = c.post("/login", content=b"token=nope&next=%2Fsearch", headers={"content-type": "application/x-www-form-urlencoded"})
        assert bad.status_code == 401
        good = c.post("/login", content=b"token=s3cret-token&next=%2F%2Fevil.example", follow_redirects=False,
                      headers={"content-type": "application/x-www-form-urlencoded"})
        assert good.status_code == 303 and good.headers["location"] == "/"  # no open redirect
        assert c.get("/search?q=gas", headers=HTML).status_code == 200  # the cookie now carries the token


def test_analyse_text_and_refuse_private_urls(client, seed_path):
    text = seed_path("004").read_text(encoding="utf-8")
    data = client.post("/api/analyse", json={"text": text}).json()
    assert data["text"] and data["actors"] and data["id"]
    assert any("Lukashenk" in (q["speaker"] or "") for q in data["quotes"])
    page = client.post("/analyse", content=b"text=" + text[:3000].encode().replace(b"&", b"%26"),
                       headers={"content-type": "application/x-www-form-urlencoded", **HTML})
    assert page.status_code == 200 and 'class="text" id="text"' in page.text and "not stored" in page.text
    refused = client.post("/api/analyse", json={"url": "http://127.0.0.1:9/article.html"})
    assert refused.status_code == 422 and "loopback" in refused.json()["error"] and "--allow-private-urls" in refused.json()["error"]
    assert client.post("/api/analyse", json={}).status_code == 422
    assert client.post("/api/analyse", content=b"not json").status_code == 400


def test_openapi_and_offline_docs_page(client):
    spec = client.get("/openapi.json").json()
    for path in ("/api/overview", "/api/articles/{doc_id}", "/api/search", "/api/outlets", "/api/actors/{name}", "/api/analyse"):
        assert path in spec["paths"]
    docs = client.get("/docs", headers=HTML).text
    assert "/api/search" in docs and "http://" not in docs.replace('href="http', "") and "cdn" not in docs.lower()


def test_missing_store_is_explained(tmp_path):
    from fastapi.testclient import TestClient

    from narrascope.web.app import create_app

    with TestClient(create_app(tmp_path / "none.duckdb")) as c:
        r = c.get("/api/health")
    assert r.status_code == 404 and "none.duckdb: no store here yet" in r.json()["error"]


def test_serve_command_refuses_a_missing_or_foreign_file(tmp_path):
    from click.testing import CliRunner

    from narrascope.cli import cli

    r = CliRunner().invoke(cli, ["serve", "--db", str(tmp_path / "nothing.duckdb")])
    assert r.exit_code != 0 and "no such store" in r.output
    bad = tmp_path / "bad.duckdb"
    bad.write_text("not a database")
    r = CliRunner().invoke(cli, ["serve", "--db", str(bad)])
    assert r.exit_code != 0 and "not a DuckDB database file" in r.output


def test_idle_server_lets_a_writer_in(tmp_path, web_db):
    """The read-only connection closes when idle, so `narrascope analyze` can write the same file between requests."""
    import shutil
    import time

    from fastapi.testclient import TestClient

    from narrascope.store import Store
    from narrascope.web.app import create_app

    db = tmp_path / "copy.duckdb"
    shutil.copy(web_db, db)
    app = create_app(db, idle_close=0.2)
    with TestClient(app) as c:
        before = c.get("/api/health").json()["documents"]
        deadline = time.monotonic() + 10
        while app.state.dashboard.handle._store is not None and time.monotonic() < deadline:
            time.sleep(0.1)
        with Store(db) as writer:  # would fail with "another mode" while the server held its read-only connection
            doc = writer.get(writer.query("SELECT id FROM documents LIMIT 1")[0][0])
            doc.text, doc.title = doc.text + "\n\nA new paragraph.", "A new version"
            doc.assign_id()
            run = writer.start_run({}, {})
            writer.save([doc], run, {})
            writer.finish_run(run, {})
        assert c.get("/api/health").json()["documents"] == before + 1
        assert c.get("/api/search", params={"q": "new version"}).json()["results"][0]["title"] == "A new version"
