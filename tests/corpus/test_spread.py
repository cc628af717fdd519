"""How narratives spread between outlets: arrivals and lags from stored labels, on a store built here
and on the bundled examples analysed with the shipped Belarus–Russia taxonomy."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from narrascope.corpus.spread import narrative_spread, path_text
from narrascope.document import Document, Label
from narrascope.store import Store


def _doc(n: int, outlet: str | None, published: str | None, *labels: tuple[str, str]) -> Document:
    doc = Document(source=f"doc{n}.txt", text=f"Article number {n} about gas and the Union State.", outlet=outlet,
                   published=published)
    doc.assign_id()
    doc.labels = [Label(layer, label, 0.8, attrs={"name": label.title()} if layer == "user_narrative" else {})
                  for layer, label in labels]
    return doc


def test_arrivals_lags_and_what_is_left_out(tmp_path):
    energy = ("user_narrative", "energy_leverage")
    docs = [
        _doc(1, "Volga Herald", "2024-03-20", energy, ("narrative", "Other")),
        _doc(2, "Northern Ledger", "2024-03-18T09:30:00+00:00", energy),
        _doc(3, "Volga Herald", "2024-03-25", energy),
        _doc(4, None, None, energy),  # no outlet, no date: comes last, with no lag
        _doc(5, "Eastern Flank Review", "2024-03-19", energy, ("subnarrative", "URW: Blaming the war on others: Other")),
        _doc(6, "Copycat", "2024-03-17", energy),  # a linked duplicate: left out, though earliest
        _doc(7, "Northern Ledger", "2024-03-21", ("narrative", "URW: Discrediting Ukraine")),
    ]
    with Store(tmp_path / "s.duckdb") as store:
        store.save(docs, "r", {"narrascope": "0.1.0"})
        store.add_duplicate({"doc_id": docs[5].id, "duplicate_of": docs[1].id, "kind": "exact", "similarity": 1.0})
        store.save([], "r", {"narrascope": "0.1.0"})
        spreads = narrative_spread(store)
        assert [(s.layer, s.label) for s in spreads] == [("user_narrative", "energy_leverage"),
                                                         ("narrative", "URW: Discrediting Ukraine")]
        energy_spread = spreads[0]
        assert energy_spread.name == "Energy_Leverage" and energy_spread.documents == 5 and energy_spread.outlets == 4
        assert (energy_spread.first_seen, energy_spread.first_outlet) == ("2024-03-18", "Northern Ledger")
        assert [(a.outlet, a.first_published, a.lag_days, a.documents, a.first_doc) for a in energy_spread.arrivals] == [
            ("Northern Ledger", "2024-03-18", 0, 1, docs[1].id), ("Eastern Flank Review", "2024-03-19", 1, 1, docs[4].id),
            ("Volga Herald", "2024-03-20", 2, 2, docs[0].id), ("(unknown)", None, None, 1, docs[3].id)]
        assert path_text(energy_spread) == ("Northern Ledger 2024-03-18 → Eastern Flank Review +1 d → Volga Herald +2 d"
                                            " → (unknown) undated")
        assert len(energy_spread.dated) == 4
        assert narrative_spread(store, min_outlets=2) == spreads[:1]
        assert narrative_spread(store, ("subnarrative",)) == []  # only an "…: Other" subnarrative


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "narrascope", *args], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "COLUMNS": "200"})


@pytest.fixture(scope="module")
def taxonomy_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("spread") / "examples.duckdb"
    r = run_cli("analyze", "--examples", "--taxonomy", "builtin:belarus_russia", "--db", str(db))
    assert r.returncode == 0, r.stderr
    return db


def test_the_examples_narratives_spread_as_their_labels_say(taxonomy_db):
    r = run_cli("narratives", "--db", str(taxonomy_db), "--which", "taxonomy", "--json")
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    with Store(taxonomy_db, read_only=True) as store:
        direct = store.query(
            "SELECT l.label, min(substr(d.published, 1, 10)), count(DISTINCT coalesce(d.outlet, '?')) FROM labels l "
            "JOIN documents d ON d.id = l.doc_id WHERE l.layer = 'user_narrative' "
            "AND d.id NOT IN (SELECT doc_id FROM duplicates) GROUP BY 1")
    assert {row["label"]: (row["first_seen"], row["outlets"]) for row in rows} == {
        label: (first, outlets) for label, first, outlets in direct}
    assert len(rows) >= 3 and max(row["outlets"] for row in rows) >= 3  # the gas dispute travels
    for row in rows:
        lags = [a["lag_days"] for a in row["arrivals"] if a["lag_days"] is not None]
        assert lags == sorted(lags) and (not lags or lags[0] == 0)
    table = run_cli("narratives", "--db", str(taxonomy_db), "--min-outlets", "3")
    assert table.returncode == 0 and "(taxonomy)" in table.stdout and "+2 d" in table.stdout
    assert "Northern Ledger 2024-03-18 →" in table.stdout
    report = taxonomy_db.parent / "report.html"
    assert run_cli("report", "--db", str(taxonomy_db), "-o", str(report)).returncode == 0
    html = report.read_text(encoding="utf-8")
    assert "How narratives spread between outlets" in html and "Northern Ledger 2024-03-18 →" in html
