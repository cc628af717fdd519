"""``narrascope info``: a store's contents, how its documents were analysed, and its runs."""

from __future__ import annotations

import json

from narrascope.store import Store


def test_info_tells_mixed_analyses_and_interrupted_runs(cli, seed_path, tmp_path):
    db = str(tmp_path / "c.duckdb")
    r = cli("analyze", str(seed_path("002")), "--db", db, "--profile", "fast")
    assert r.returncode == 0, r.stderr
    r = cli("analyze", str(seed_path("003")), "--db", db)
    assert r.returncode == 0, r.stderr
    with Store(db) as store:  # a run that never finished, as a killed one leaves it
        store.start_run({"pipeline": {"profile": "fast"}, "engine": {"name": "local", "workers": 2}}, {})

    data = json.loads(cli("info", "--db", db, "--json").stdout)
    assert data["documents"] == 2 and data["by_language"] == {"en": 2}
    by_stages = {len(a["stages"]): a["documents"] for a in data["analyses"]}
    assert by_stages == {7: 1, 13: 1}  # the fast profile's seven stages, and the full one's thirteen
    assert "techniques" in max(data["analyses"], key=lambda a: len(a["stages"]))["stages"]
    assert [(run["status"], run["profile"], run["stored"]) for run in data["runs"]] == [
        ("running", "fast", None), ("done", "full", 1), ("done", "fast", 1)]
    assert data["spans_by_layer"]["technique"] > 0 and data["spans_by_layer"]["entity"] > 0
    assert data["search_terms"] is True  # written with each document

    r = cli("info", "--db", db)
    assert r.returncode == 0, r.stderr
    assert "2 documents" in r.stdout and "documents were analysed in different ways" in r.stdout
    assert "running or interrupted" in r.stdout and "run the same `narrascope analyze` command again" in r.stdout
    assert "search terms missing" not in r.stdout
    r = cli("info", "--db", str(tmp_path / "none.duckdb"))
    assert r.returncode != 0 and "no such store" in r.stderr
    Store(tmp_path / "empty.duckdb").close()
    r = cli("info", "--db", str(tmp_path / "empty.duckdb"))
    assert r.returncode == 0 and "holds no documents yet" in r.stdout and "how the documents" not in r.stdout
