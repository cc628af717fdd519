"""Shard files written by the map_batches actor: a fixed schema, whatever a batch holds.

Runs the actor class in this process (no Ray): a batch with no problem rows must not
write a ``problem`` column of Arrow type null, or reading the job's files together
(``narrascope load``, or DuckDB over ``OUT/*/*.parquet``) fails. Found by the
throughput benchmark on 512 articles.
"""

from __future__ import annotations

import json

import duckdb
import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from narrascope.engines.ray_data import DONE, _read_rows, _ShardActor, _summarise, read_job, shard_schema  # noqa: E402
from narrascope.pipeline import load_config  # noqa: E402
from narrascope.readers.options import ReadOptions  # noqa: E402


def _batch(rows: list[dict]) -> dict[str, list]:
    return {k: [r[k] for r in rows] for k in ("shard", "row", "source", "problem", "doc")}


def test_batches_with_and_without_problems_read_back_together(tmp_path, seed_path):
    good = tmp_path / "good.txt"
    good.write_text(seed_path("000").read_text(encoding="utf-8"), encoding="utf-8")
    export = tmp_path / "export.jsonl"
    export.write_text(json.dumps({"text": seed_path("004").read_text(encoding="utf-8")}) + "\n"
                      + json.dumps({"title": "no text"}) + "\n", encoding="utf-8")
    actor = _ShardActor(load_config(profile="fast"))
    clean = actor(_batch(list(_read_rows({"path": str(good), "shard": 0}, ReadOptions()))))
    mixed = actor(_batch(list(_read_rows({"path": str(export), "shard": 1}, ReadOptions()))))
    assert clean.schema == mixed.schema == shard_schema()
    assert clean.column("problem").null_count == 1 and mixed.column("problem").null_count == 1

    job = tmp_path / "job-test"
    job.mkdir()
    pq.write_table(clean, job / "a.parquet")  # the first file has no problem: column all null
    pq.write_table(mixed, job / "b.parquet")
    (job / DONE).write_text(json.dumps({"inputs": [str(good), str(export)]}), encoding="utf-8")

    assert _summarise(job)["rows"] == 3 and _summarise(job)["problems"] == 1
    _, items = read_job(job)
    first, second, bad = list(items)
    assert first.source == str(good) and any(s.layer == "entity" for s in first.spans)
    assert second.source.endswith("export.jsonl#1") and "Lukashenko" in second.text
    assert bad.source.endswith("export.jsonl#2") and "text" in bad.problem
    # Plain DuckDB over the files, as docs/ENGINES.md shows, without union_by_name.
    count = duckdb.connect().execute(f"SELECT count(*) FROM '{job}/*.parquet' WHERE problem IS NULL").fetchone()[0]
    assert count == 2
