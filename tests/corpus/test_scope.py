"""A scope (period, outlets) narrows every corpus view: the store's restriction, the CLI options, the API."""

from __future__ import annotations

import re

import numpy as np
import pytest
from click.testing import CliRunner

from narrascope.api import Corpus
from narrascope.cli import export as export_command
from narrascope.cli import report as report_command
from narrascope.cli_corpus import echoes as echoes_command
from narrascope.cli_corpus import outlets as outlets_command
from narrascope.cli_corpus import stories as stories_command
from narrascope.corpus.outlets import outlet_profiles
from narrascope.corpus.scope import Scope, ScopeError
from narrascope.corpus.stories import cluster_documents, find_stories
from narrascope.errors import StoreError
from narrascope.store import Store

WEEK = ("2016-07-25", "2016-07-31")


@pytest.mark.parametrize("good", ["2016", "2016-05", "2016-05-31", " 2016-02-29 "])
def test_dates_are_iso_prefixes(good):
    assert Scope(good).date_from == good.strip()


@pytest.mark.parametrize("bad", ["2016-5", "2016-02-30", "May 2016", "2016-13", "16-05-01", ""])
def test_a_malformed_date_is_refused_with_the_forms_it_takes(bad):
    with pytest.raises(ScopeError, match="give a year, a month or a day as 2024, 2024-03 or 2024-03-05"):
        Scope(date_to=bad) if bad else Scope(bad or " ")


def test_a_period_that_ends_before_it_starts_is_refused():
    with pytest.raises(ScopeError, match="--to 2016-05-31 is before --from 2016-06"):
        Scope("2016-06", "2016-05-31")
    assert Scope("2016-05-10", "2016-05")  # the same month: fine
    assert Scope("2016-05-10", "2016-05").describe() == "published 2016-05-10 to 2016-05"
    assert Scope(outlets=("nyt", "nyt", "politico")).describe() == "outlets nyt, politico"
    assert not Scope() and Scope().describe() == ""


def _direct(store: Store, sql: str, date_from: str, date_to: str, outlets: list[str]) -> int:
    where = ("d.outlet IN (SELECT unnest(?::VARCHAR[])) AND d.published IS NOT NULL "
             "AND substr(d.published, 1, 10) >= ? AND substr(d.published, 1, 10) <= ?")
    return store.query(sql.format(where=where), [outlets, date_from, date_to])[0][0]


def test_a_restricted_store_reads_only_the_scope_in_every_table(polnear_store):
    with Store(polnear_store, read_only=True) as store:
        outlets = [o for (o,) in store.query("SELECT DISTINCT outlet FROM documents ORDER BY 1")][:3]
        expected = {
            "documents": _direct(store, "SELECT count(*) FROM documents d WHERE {where}", *WEEK, outlets),
            "spans": _direct(store, "SELECT count(*) FROM spans s JOIN documents d ON d.id = s.doc_id WHERE {where}", *WEEK, outlets),
            "segments": _direct(store, "SELECT count(*) FROM segments s JOIN documents d ON d.id = s.doc_id WHERE {where}", *WEEK, outlets),
            "vectors": _direct(store, "SELECT count(*) FROM vectors s JOIN documents d ON d.id = s.doc_id WHERE {where}", *WEEK, outlets),
        }
        whole = {t: store.query(f"SELECT count(*) FROM {t}")[0][0] for t in expected}
        assert store.restrict(Scope(*WEEK, tuple(outlets))) == expected["documents"] > 0
        assert {t: store.query(f"SELECT count(*) FROM {t}")[0][0] for t in expected} == expected
        assert all(expected[t] < whole[t] for t in expected)
        keys, matrix = store.vectors("paragraph")
        assert len(keys) == len(matrix) > 0 and {k[0] for k in keys} <= {i for (i,) in store.query("SELECT id FROM documents")}
        assert {p.outlet for p in outlet_profiles(store)} <= set(outlets)
        assert all(WEEK[0] <= d.published[:10] <= WEEK[1] for s in find_stories(store, min_outlets=1) for d in s.documents)
        # A second restriction replaces the first; it does not narrow it further.
        assert store.restrict(Scope()) == store.count() == whole["documents"]
        assert store.query("SELECT count(*) FROM spans")[0][0] == whole["spans"]


def test_only_a_read_only_store_can_be_restricted(tmp_path):
    with Store(tmp_path / "s.duckdb") as store:
        with pytest.raises(StoreError, match="only a store opened read-only"):
            store.restrict(Scope("2016"))


def _reference_clusters(days, vectors, window_days, threshold):
    """The clustering as first written: every centroid recomputed for every document."""
    def best(vector, sums):
        if not sums:
            return None
        centroids = np.stack(sums)
        sims = centroids @ vector / np.maximum(np.linalg.norm(centroids, axis=1), 1e-9)
        j = int(np.argmax(sims))
        return j if sims[j] >= threshold else None

    order = sorted((i for i, d in enumerate(days) if d is not None), key=lambda i: (days[i], i))
    sums, members, last_day, active = [], [], [], []
    for i in order:
        active = [c for c in active if last_day[c] >= days[i] - window_days]
        b = best(vectors[i], [sums[c] for c in active])
        if b is None:
            sums.append(vectors[i].astype(np.float64).copy())
            members.append([i])
            last_day.append(days[i])
            active.append(len(members) - 1)
        else:
            c = active[b]
            sums[c] += vectors[i]
            members[c].append(i)
            last_day[c] = days[i]
    for i in (i for i, d in enumerate(days) if d is None):
        b = best(vectors[i], sums)
        if b is None:
            sums.append(vectors[i].astype(np.float64).copy())
            members.append([i])
        else:
            sums[b] += vectors[i]
            members[b].append(i)
    return members


def test_story_clustering_equals_recomputing_every_centroid():
    rng = np.random.default_rng(3)
    topics = rng.normal(size=(25, 64))
    v = topics[rng.integers(0, 25, 400)] + 0.5 * rng.normal(size=(400, 64))
    v = (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)
    days = [None if rng.random() < 0.1 else int(d) for d in rng.integers(0, 60, 400)]
    for window in (0, 3, 20):
        clusters = cluster_documents(days, v, window, 0.45)
        assert clusters == _reference_clusters(days, v, window, 0.45)
        assert 20 < len(clusters) < 390  # joins and new stories both happen


def test_commands_take_a_period_and_outlets(polnear_store, tmp_path):
    runner = CliRunner()
    db = ["--db", str(polnear_store)]
    with Store(polnear_store, read_only=True) as store:
        outlets = [o for (o,) in store.query("SELECT DISTINCT outlet FROM documents ORDER BY 1")]
        in_week = store.query("SELECT count(*) FROM documents WHERE substr(published, 1, 10) BETWEEN ? AND ?", list(WEEK))[0][0]
    out = tmp_path / "week.html"
    r = runner.invoke(report_command, [*db, "--from", WEEK[0], "--to", WEEK[1], "-o", str(out)])
    assert r.exit_code == 0, r.output
    html = out.read_text(encoding="utf-8")
    assert f"<strong>published {WEEK[0]} to {WEEK[1]}</strong>: {in_week} documents" in html
    r = runner.invoke(stories_command, [*db, "--from", WEEK[0], "--to", WEEK[1], "--min-outlets", "1", "--json"])
    assert r.exit_code == 0 and r.output.strip()
    days = re.findall(r'"published": "(\d{4}-\d{2}-\d{2})', r.output)
    assert days and all(WEEK[0] <= d <= WEEK[1] for d in days)
    r = runner.invoke(outlets_command, [*db, "--outlet", outlets[0].upper(), "--json"])  # names match in any case
    assert r.exit_code == 0 and re.findall(r'"outlet": "([^"]+)"', r.output) == [outlets[0]]
    r = runner.invoke(echoes_command, [*db, "--outlet", outlets[0][:-1] + "x"])
    assert r.exit_code == 2 and f"unknown outlet '{outlets[0][:-1]}x'; did you mean {outlets[0]}" in r.output
    r = runner.invoke(echoes_command, [*db, "--from", "July"])
    assert r.exit_code == 2 and "--from 'July': give a year, a month or a day" in r.output
    r = runner.invoke(echoes_command, [*db, "--window-days", "soon"])
    assert r.exit_code == 2 and "give a number of days (0 or more) or 'any'" in r.output
    r = runner.invoke(report_command, [*db, "--from", "2030", "-o", str(tmp_path / "none.html")])
    assert r.exit_code == 1 and "no documents published from 2030" in r.output and not (tmp_path / "none.html").exists()


def test_export_takes_a_period_and_outlets(polnear_store, tmp_path):
    import json

    runner = CliRunner()
    db = ["--db", str(polnear_store)]
    with Store(polnear_store, read_only=True) as store:
        outlet = store.query("SELECT outlet FROM documents GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")[0][0]
        ids = {i for (i,) in store.query("SELECT id FROM documents WHERE outlet = ? AND substr(published, 1, 10) "
                                         "BETWEEN ? AND ?", [outlet, *WEEK])}
        spans = store.query("SELECT count(*) FROM spans s JOIN documents d ON d.id = s.doc_id WHERE d.outlet = ? "
                            "AND substr(d.published, 1, 10) BETWEEN ? AND ?", [outlet, *WEEK])[0][0]
    assert ids and spans
    import csv

    import duckdb

    scope = ["--outlet", outlet.upper(), "--from", WEEK[0], "--to", WEEK[1]]
    for fmt in ("jsonl", "csv", "parquet"):  # every format reads through the scope (a CSV cursor once did not)
        out = tmp_path / f"week.{fmt}"
        r = runner.invoke(export_command, [*db, *scope, "--format", fmt, "-o", str(out)])
        assert r.exit_code == 0, r.output
        assert f"wrote {len(ids)} documents to {out} (published {WEEK[0]} to {WEEK[1]}, outlet {outlet})" in " ".join(r.output.split())
        if fmt == "jsonl":
            records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
            assert {rec["id"] for rec in records} == ids and sum(len(rec["spans"]) for rec in records) == spans
        elif fmt == "csv":
            with open(out, encoding="utf-8", newline="") as fh:
                rows = list(csv.DictReader(fh))
            assert {row["id"] for row in rows} == ids and sum(int(row["n_spans"]) for row in rows) == spans
        else:
            got = duckdb.sql(f"SELECT id, len(spans) FROM '{out}'").fetchall()
            assert {i for i, _ in got} == ids and sum(n for _, n in got) == spans
    r = runner.invoke(export_command, [*db, "--from", "2030", "--format", "csv", "-o", str(tmp_path / "none.csv")])
    assert r.exit_code == 1 and "no documents published from 2030" in r.output and not (tmp_path / "none.csv").exists()
    r = runner.invoke(export_command, [*db, "--outlet", "nobody", "--format", "csv", "-o", str(tmp_path / "none.csv")])
    assert r.exit_code == 2 and "unknown outlet 'nobody'" in r.output


def test_the_api_reads_a_corpus_within_a_scope(polnear_store):
    corpus = Corpus(polnear_store)
    week = corpus.within(date_from=WEEK[0], date_to=WEEK[1])
    assert 0 < len(week) < len(corpus)
    assert all(WEEK[0] <= doc.published[:10] <= WEEK[1] for doc in week)
    assert all(WEEK[0] <= m["published"][:10] <= WEEK[1] for e in week.echoes() for m in e["members"])
    assert repr(week).endswith(f".within(published {WEEK[0]} to {WEEK[1]})")
