"""Search terms kept with each document (schema 3): written, replaced and deleted with it; older stores catch up."""

from __future__ import annotations

import duckdb
from click.testing import CliRunner

from narrascope import Document
from narrascope.cli_info import info
from narrascope.nlp.terms import TOKEN_RE, stem
from narrascope.store import Store
from narrascope.web.search import SearchIndex, search_store


def _docs(seeds_dir) -> list[Document]:
    docs = []
    for path in sorted(seeds_dir.glob("*.txt"))[:3]:
        doc = Document(source=str(path), text=path.read_text(encoding="utf-8"), title=path.stem, outlet=path.stem[:3], language="en")
        doc.assign_id()
        docs.append(doc)
    return docs


def _terms(store: Store, doc: Document) -> dict[str, int]:
    return dict(store.query("SELECT term, tf FROM search_terms WHERE doc_seq = (SELECT seq FROM documents WHERE id = ?)", [doc.id]))


def test_search_terms_are_written_replaced_and_deleted_with_their_document(tmp_path, seeds_dir):
    docs = _docs(seeds_dir)
    with Store(tmp_path / "s.duckdb") as store:
        run = store.start_run({}, {})
        store.save(docs, run, {})
        words = TOKEN_RE.findall(((docs[0].title or "") + " " + docs[0].text).lower())
        expected: dict[str, int] = {}
        for w in words:
            expected[stem(w)] = expected.get(stem(w), 0) + 1
        assert _terms(store, docs[0]) == expected and expected[stem("belarus")] >= 3
        assert store.query("SELECT len FROM search_docs WHERE doc_seq = (SELECT seq FROM documents WHERE id = ?)", [docs[0].id]) == [(len(words),)]
        store.save([docs[0]], run, {})  # saved again: replaced, not doubled
        assert _terms(store, docs[0]) == expected
        changed = Document(source=docs[1].source, text=docs[1].text + "\n\nA new closing paragraph about gas prices.",
                           title=docs[1].title, outlet=docs[1].outlet, language="en", meta={"replaces": docs[1].id})
        changed.assign_id()
        store.save([changed], run, {})
        assert not store.has(docs[1].id) and _terms(store, changed)[stem("prices")] >= 1
        assert store.query("SELECT count(*) FROM search_docs")[0][0] == store.count() == 3
        assert store.query("SELECT count(DISTINCT doc_seq) FROM search_terms")[0][0] == 3
        assert "search_terms" not in store.stats()  # stats count what was analysed, not the index
        assert store.searchable()


def test_a_store_from_before_search_terms_is_searched_in_memory_until_a_run_adds_them(tmp_path, seeds_dir):
    path = tmp_path / "old.duckdb"
    with Store(path) as store:
        store.save(_docs(seeds_dir), store.start_run({}, {}), {})
    con = duckdb.connect(str(path))
    con.execute("DROP TABLE search_terms")
    con.execute("DROP TABLE search_docs")
    con.execute("UPDATE schema_version SET version = 2")
    con.close()

    def results(store):
        index = SearchIndex()
        try:
            found = search_store(store, index, "Lukashenko gas", limit=50)
            return found, index._in_store
        finally:
            index.close()

    with Store(path, read_only=True) as store:
        assert not store.searchable()
        before, in_store = results(store)
        assert before[1] >= 2 and not in_store
    told = CliRunner().invoke(info, ["--db", str(path)])
    assert told.exit_code == 0 and "search terms missing" in told.output and "next `narrascope analyze` run" in told.output
    with Store(path) as store:  # writable: the tables are added, empty, until a run fills them
        assert not store.searchable()
        store.start_run({}, {})
        assert store.searchable() and store.query("SELECT count(*) FROM search_docs")[0][0] == store.count()
    with Store(path, read_only=True) as store:
        after, in_store = results(store)
        assert after == before and in_store


def test_word_counts_are_kept_as_the_sql_counts_them(tmp_path, seeds_dir, polnear_dir):
    """search_docs.words (schema 4) equals the count outlet profiles made in SQL, on real and odd texts."""
    from narrascope.nlp.terms import WORDS_SQL, word_count

    texts = [p.read_text(encoding="utf-8") for p in sorted(seeds_dir.glob("*.txt"))]
    texts += [p.read_text(encoding="utf-8") for p in sorted((polnear_dir / "train" / "text").glob("*.txt"))[:60]]
    texts += ["", "  ", "one", "a\u00a0b\u2009c\u3000d", "x\u2028y\u2029z", "tab\tvt\x0bff\x0cnel\x85end",
              "unit\x1fsep\x1crecord\x1d\x1egroup", "zero\u200bwidth joiner\u200d here", "« Лукашенко » — “quoted”"]
    con = duckdb.connect()
    con.execute("CREATE TABLE d (i INTEGER, text VARCHAR)")
    con.executemany("INSERT INTO d VALUES (?, ?)", list(enumerate(texts)))
    in_sql = dict(con.execute(f"SELECT i, {WORDS_SQL} FROM d").fetchall())
    assert [word_count(t) for t in texts] == [in_sql[i] for i in range(len(texts))]
    assert word_count("unit\x1fsep") == 1 and word_count("a\u00a0b") == 2  # as the SQL counts, not as str.split()

    docs = _docs(seeds_dir)
    with Store(tmp_path / "s.duckdb") as store:
        store.save(docs, store.start_run({}, {}), {})
        kept = dict(store.query("SELECT d.id, w.words FROM documents d JOIN search_docs w ON w.doc_seq = d.seq"))
        assert kept == {d.id: word_count(d.text) for d in docs} and store.has_word_counts()


def test_a_store_from_before_word_counts_gains_them_when_opened_for_writing(tmp_path, seeds_dir):
    from narrascope.corpus.outlets import outlet_profiles
    from narrascope.nlp.terms import word_count
    from narrascope.store.duckdb_store import SCHEMA_VERSION

    path = tmp_path / "v3.duckdb"
    docs = _docs(seeds_dir)
    with Store(path) as store:
        store.save(docs, store.start_run({}, {}), {})
        profiles = {p.outlet: p.words for p in outlet_profiles(store)}
    con = duckdb.connect(str(path))
    con.execute("ALTER TABLE search_docs DROP COLUMN words")
    con.execute("UPDATE schema_version SET version = 3")
    con.close()
    with Store(path, read_only=True) as store:  # read-only: counted from the text, the same numbers
        assert not store.has_word_counts()
        assert {p.outlet: p.words for p in outlet_profiles(store)} == profiles
    told = CliRunner().invoke(info, ["--db", str(path)])
    assert told.exit_code == 0 and "word counts missing" in told.output
    with Store(path) as store:
        assert store.upgraded_from == 3 and store.has_word_counts()
        assert store.query("SELECT version FROM schema_version") == [(SCHEMA_VERSION,)]
        assert dict(store.query("SELECT d.id, w.words FROM documents d JOIN search_docs w ON w.doc_seq = d.seq")) == {
            d.id: word_count(d.text) for d in docs}
        assert {p.outlet: p.words for p in outlet_profiles(store)} == profiles
        assert profiles == {d.outlet: word_count(d.text) for d in docs}
    assert "word counts missing" not in CliRunner().invoke(info, ["--db", str(path)]).output
    with Store(path) as store:  # up to date: nothing to do
        assert store.upgraded_from is None


def test_analyze_says_when_it_brought_an_older_store_up_to_date(tmp_path, seeds_dir):
    from narrascope.cli import analyze
    from narrascope.store.duckdb_store import SCHEMA_VERSION

    path = tmp_path / "v3.duckdb"
    docs = _docs(seeds_dir)
    with Store(path) as store:
        store.save(docs[:1], store.start_run({}, {}), {})
    con = duckdb.connect(str(path))
    con.execute("ALTER TABLE search_docs DROP COLUMN words")
    con.execute("UPDATE schema_version SET version = 3")
    con.close()
    page = tmp_path / "new.txt"
    page.write_text("Minsk and Moscow signed a new gas deal on Monday, officials said.\n", encoding="utf-8")
    result = CliRunner().invoke(analyze, [str(page), "--db", str(path), "--profile", "fast", "--quiet"])
    assert result.exit_code == 0, result.output
    assert f"from store schema 3 to {SCHEMA_VERSION}" in result.output
    again = CliRunner().invoke(analyze, [str(page), "--db", str(path), "--profile", "fast", "--quiet"])
    assert again.exit_code == 0 and "store schema" not in again.output
