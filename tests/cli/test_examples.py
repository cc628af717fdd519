"""The README's main job: analyse the bundled examples, then report, show and export."""

from __future__ import annotations

import csv
import json

import duckdb
import pytest


@pytest.fixture(scope="module")
def examples_db(tmp_path_factory):
    from clirun import run_cli

    tmp = tmp_path_factory.mktemp("examples")
    db = tmp / "corpus.duckdb"
    result = run_cli("analyze", "--examples", "--db", str(db))
    assert result.returncode == 0, result.stderr
    return db, result


def test_examples_are_stored_with_duplicates_linked(examples_db):
    db, result = examples_db
    con = duckdb.connect(str(db), read_only=True)
    n_docs = con.execute("SELECT count(*) FROM documents").fetchone()[0]
    # 5 files, the JSONL holds 4 records and the feed 2 entries: 1 + 1 + 1 + 1 + 4 + 2 = 10 inputs
    assert n_docs == 10
    links = con.execute("SELECT a.source, b.source, x.kind FROM duplicates x JOIN documents a ON a.id = x.doc_id "
                        "JOIN documents b ON b.id = x.duplicate_of").fetchall()
    pairs = {(frozenset(p.rsplit("/", 1)[-1].split("#")[0] for p in (a, b)), k) for a, b, k in links}
    # the Riverside Daily record (syndicated.jsonl#1) republishes union_state_pressure with an added line
    assert (frozenset({"syndicated.jsonl", "union_state_pressure.txt"}), "near") in pairs
    # the Baltic Wire record (syndicated.jsonl#4) is an exact copy of a feed entry
    assert (frozenset({"syndicated.jsonl", "feed.xml"}), "exact") in pairs
    assert len(links) == 2
    langs = dict(con.execute("SELECT source, language FROM documents").fetchall())
    ru = [lang for src, lang in langs.items() if src.endswith("minsk_ru_cp1251.txt")]
    assert ru == ["ru"]
    text = con.execute("SELECT text FROM documents WHERE source LIKE '%minsk_ru_cp1251.txt'").fetchone()[0]
    assert "Лукашенко" in text  # decoded from cp1251 correctly
    assert "documents in the store" in result.stderr


def test_examples_boilerplate_and_segments(examples_db):
    db, _ = examples_db
    con = duckdb.connect(str(db), read_only=True)
    doc_id, text, title = con.execute(
        "SELECT id, text, title FROM documents WHERE source LIKE '%union_state_pressure.txt'").fetchone()
    assert title == "Is the Union State becoming a one-way street?"
    for junk in ("Patreon", "Leave a Reply", "Notify of", "2,318 Views", "Quick Donate", "Click to comment"):
        assert junk not in text
    segs = con.execute("SELECT kind, title FROM segments WHERE doc_id = ? ORDER BY idx", [doc_id]).fetchall()
    assert segs[0] == ("main", "Is the Union State becoming a one-way street?")
    assert [t for k, t in segs if k == "appended"] == ["Harbour strike enters its third week", "City council approves new tram line"]
    html_text, outlet = con.execute("SELECT text, outlet FROM documents WHERE source LIKE '%minsk_gas_deal.html'").fetchone()
    assert outlet == "Northern Ledger"
    assert "brothers do not buy each other" in html_text
    for junk in ("cookie", "Leave a Reply", "propaganda, the real story", "All rights reserved", "Share on Facebook"):
        assert junk not in html_text


def test_rerun_skips_unchanged_inputs(examples_db, cli):
    db, _ = examples_db
    result = cli("analyze", "--examples", "--db", str(db))
    assert result.returncode == 0, result.stderr
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == 10
    assert "unchanged since an earlier run" in result.stderr


def test_a_fast_rerun_keeps_the_full_analysis_and_says_so(examples_db, cli):
    db, _ = examples_db
    con = duckdb.connect(str(db), read_only=True)
    techniques = con.execute("SELECT count(*) FROM spans WHERE layer = 'technique'").fetchone()[0]
    con.close()
    result = cli("analyze", "--examples", "--db", str(db), "--profile", "fast")
    assert result.returncode == 0, result.stderr
    assert "kept as analysed by an earlier run" in result.stderr
    assert "analysed before with more stages" in result.stderr and "--force" in result.stderr
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM spans WHERE layer = 'technique'").fetchone()[0] == techniques > 0


def test_report_show_and_export(examples_db, cli, tmp_path):
    db, _ = examples_db
    report = tmp_path / "report.html"
    r = cli("report", "--db", str(db), "-o", str(report))
    assert r.returncode == 0, r.stderr
    html = report.read_text(encoding="utf-8")
    for heading in ("Documents by outlet, language and date", "Pages with several pieces", "Duplicates (2)",
                    "Persuasion techniques"):
        assert heading in html
    assert "Northern Ledger" in html and "<svg" in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")  # self-contained: no external resources

    con = duckdb.connect(str(db), read_only=True)
    doc_id = con.execute("SELECT id FROM documents WHERE source LIKE '%minsk_gas_deal.html'").fetchone()[0]
    con.close()
    r = cli("show", doc_id[:6], "--db", str(db))
    assert r.returncode == 0, r.stderr
    assert "Minsk balks at Moscow" in r.stdout and "Northern Ledger" in r.stdout
    r = cli("show", doc_id, "--db", str(db), "--json")
    record = json.loads(r.stdout)
    assert record["id"] == doc_id
    # The default analysis scores the tone toward each actor; show prints it in the actors table.
    tones = [label for label in record["labels"] if label["layer"] == "tone"]
    actors = {span["attrs"].get("actor") for span in record["spans"] if span["layer"] == "entity"}
    assert tones and {t["label"] for t in tones} <= actors and all(-1 <= t["score"] <= 1 for t in tones)
    r = cli("show", doc_id[:6], "--db", str(db))
    assert "tone" in r.stdout and f"{tones[0]['score']:+.2f}" in r.stdout
    # and only there: not once more per actor with three evidence sentences each
    assert not any(line.startswith("tone ") for line in r.stdout.splitlines())
    r = cli("show", "zzzz", "--db", str(db))
    assert r.returncode != 0 and "no document" in r.stderr
    r = cli("show", doc_id[:6], "--db", str(tmp_path / "none.duckdb"))
    assert r.returncode == 1 and "none.duckdb: no such store; run `narrascope analyze ...` first" in r.stderr

    for fmt in ("jsonl", "csv", "parquet"):
        path = tmp_path / f"out.{fmt}"
        r = cli("export", "--db", str(db), "--format", fmt, "-o", str(path))
        assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 10 and all(r["text"] for r in rows)
    with open(tmp_path / "out.csv", newline="", encoding="utf-8") as fh:
        assert len(list(csv.DictReader(fh))) == 10
    assert duckdb.connect().execute(f"SELECT count(*) FROM '{tmp_path / 'out.parquet'}'").fetchone()[0] == 10


def test_techniques_are_found_in_english_and_skipped_in_russian(examples_db, cli):
    db, result = examples_db
    con = duckdb.connect(str(db), read_only=True)
    per_doc = dict(con.execute(
        "SELECT d.source, count(s.doc_id) FROM documents d LEFT JOIN spans s ON s.doc_id = d.id AND s.layer = 'technique' "
        "WHERE d.id NOT IN (SELECT doc_id FROM duplicates) GROUP BY d.source").fetchall())
    ru = [n for src, n in per_doc.items() if src.endswith("minsk_ru_cp1251.txt")]
    assert ru == [0]
    assert "English-only" in result.stderr
    english = [n for src, n in per_doc.items() if not src.endswith("minsk_ru_cp1251.txt")]
    assert sum(english) > 0
    # spans are offsets into the stored text, with a known technique and a probability
    rows = con.execute("SELECT d.text, s.start, s.\"end\", s.label, s.score FROM spans s JOIN documents d ON d.id = s.doc_id "
                       "WHERE s.layer = 'technique'").fetchall()
    from narrascope.detect.techniques import technique_table

    names = set(technique_table())
    for text, start, end, label, score in rows:
        assert 0 <= start < end <= len(text) and text[start:end].strip()
        assert label in names and 0 < score <= 1
    versions = con.execute("SELECT DISTINCT versions->>'techniques' FROM documents").fetchall()
    from narrascope.detect.techniques import TechniquesStage

    assert versions == [(TechniquesStage.version,)] and TechniquesStage.version.startswith("3+")


def test_search_lists_and_finds_documents_with_their_ids(examples_db, cli):
    db, _ = examples_db
    con = duckdb.connect(str(db), read_only=True)
    ids = dict(con.execute("SELECT source, id FROM documents").fetchall())
    copies = {row[0] for row in con.execute("SELECT doc_id FROM duplicates").fetchall()}
    con.close()
    # no query: every document but the copies, newest first, one JSON object each
    r = cli("search", "--db", str(db), "--json")
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert {row["id"] for row in rows} == set(ids.values()) - copies and len(rows) == 8
    dated = [row["published"] for row in rows if row["published"]]
    assert dated == sorted(dated, reverse=True) and len(dated) == 6
    r = cli("search", "--db", str(db), "--duplicates", "--json")
    assert len(r.stdout.splitlines()) == 10
    # words are matched by stem, best first; the table gives the id prefix that `show` takes
    r = cli("search", "interconnectors", "Lithuania", "--db", str(db))
    assert r.returncode == 0, r.stderr
    first = next(line for line in r.stdout.splitlines() if line.startswith("│ ") and line[2:14].strip())
    prefix = first[2:14]
    shown = cli("show", prefix, "--db", str(db))
    assert shown.returncode == 0 and "Warsaw opens new gas interconnector to Lithuania" in shown.stdout
    assert "documents 1–" in r.stdout and "narrascope show ID" in r.stdout
    r = cli("search", "--db", str(db), "--outlet", "northern ledger", "--json")
    assert [json.loads(line)["outlet"] for line in r.stdout.splitlines()] == ["Northern Ledger"]
    # an actor under any spelling the texts use
    con = duckdb.connect(str(db), read_only=True)
    naming = {row[0] for row in con.execute(
        "SELECT DISTINCT doc_id FROM spans WHERE layer = 'entity' AND attrs->>'actor' = 'Alexander Lukashenko'").fetchall()} - copies
    con.close()
    for spelling in ("Alexander Lukashenko", "lukashenko", "Лукашенко"):
        r = cli("search", "--db", str(db), "--actor", spelling, "--json")
        assert r.returncode == 0, r.stderr
        assert {json.loads(line)["id"] for line in r.stdout.splitlines()} == naming and len(naming) >= 4, spelling
    r = cli("search", "--db", str(db), "--actor", "Lukashenkov")
    assert r.returncode != 0 and "did you mean Alexander Lukashenko?" in r.stderr
    # a filter naming nothing stored says so, with the nearest names
    r = cli("search", "--db", str(db), "--technique", "Loaded_Langage")
    assert r.returncode != 0 and "unknown technique 'Loaded_Langage'; did you mean Loaded_Language?" in r.stderr
    r = cli("search", "--db", str(db) + ".missing")
    assert r.returncode != 0 and "no such store" in r.stderr


def test_corpus_tables_show_dates_as_readers_write_them(examples_db, cli):
    db, _ = examples_db
    r = cli("outlets", "--db", str(db))
    assert r.returncode == 0, r.stderr
    # Eastern Flank Review's two pieces were published 2024-03-19T10:15:00+00:00 and 2024-03-21T08:00:00+00:00
    assert "2024-03-19 …" in r.stdout and "T10:15" not in r.stdout and "+00:00" not in r.stdout
    r = cli("echoes", "--db", str(db))
    assert r.returncode == 0, r.stderr
    assert "Eastern Flank Review 2024-03-21 08:00" in r.stdout and "+00:00" not in r.stdout
