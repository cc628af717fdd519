"""analyze --metadata: a table of outlet and date per file, and a re-run with the table corrected."""

from __future__ import annotations

import json
import shutil


def test_analyze_with_a_table_and_again_with_a_corrected_one(tmp_path, seed_path, cli):
    run_cli = cli
    texts = tmp_path / "texts"
    texts.mkdir()
    for prefix in ("002", "003"):
        shutil.copy(seed_path(prefix), texts)
    names = sorted(p.name for p in texts.iterdir())
    table = tmp_path / "meta.csv"
    db = str(tmp_path / "c.duckdb")
    r = run_cli("analyze", str(texts), "--db", db, "--profile", "fast")  # first without the table
    assert r.returncode == 0, r.stderr
    table.write_text(f"filename,publisher,publication_date\n{names[0]},Washington Examiner,2020-08-19\n", encoding="utf-8")
    r = run_cli("analyze", str(texts), "--db", db, "--profile", "fast", "--metadata", str(table))
    assert r.returncode == 0, r.stderr
    # the file the table gives a row is analysed again, with its outlet and date; the other is unchanged
    assert "rows for 1 of 2 files (none for: " in r.stdout + r.stderr
    shown = run_cli("search", "--db", db, "--json")
    outlets = {json.loads(line)["outlet"] for line in shown.stdout.splitlines()}
    assert outlets == {"Washington Examiner", "(unknown)"}
    table.write_text(f"filename,publisher,publication_date\n{names[0]},The Examiner,2020-08-19\n", encoding="utf-8")
    r = run_cli("analyze", str(texts), "--db", db, "--profile", "fast", "--metadata", str(table))
    shown = run_cli("search", "--db", db, "--outlet", "The Examiner", "--json")
    assert [json.loads(line)["published"] for line in shown.stdout.splitlines()] == ["2020-08-19"]
    r = run_cli("analyze", str(texts), "--db", db, "--metadata", str(tmp_path / "missing.csv"))
    assert r.returncode != 0 and "missing.csv: no such metadata table" in r.stderr
