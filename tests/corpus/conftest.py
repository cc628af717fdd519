"""One PolNeAR subset analysed (techniques + vectors) into a temporary store, shared by the corpus-view tests.

The subset holds the articles of a few weeks of the 2016 campaign, among them
same-event articles from different outlets inspected by hand (see test_stories.py),
plus two planted echoes: a paragraph of an earlier article copied verbatim into a
later article of another outlet, and another paragraph lightly reworded the same way.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
POLNEAR = REPO.parent / "shared" / "data" / "polnear"
sys.path.insert(0, str(REPO / "benchmarks"))

from corpus_subset import COPIED, DNC_HACK, NOMINATION, REWORDED  # noqa: E402

WINDOW = ("2016-07-20", "2016-08-01")
MAX_WORDS = 1000  # long features cost encoder time and add little here; the hand-checked ones are kept whatever their length


def _paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n") if len(p.strip()) >= 120]


def reworded(paragraph: str) -> str:
    """A light paraphrase: a few words swapped, as an outlet rewriting wire copy would."""
    for a, b in ((" said ", " stated "), (" the ", " this "), (" and ", " as well as "), (" but ", " yet ")):
        paragraph = paragraph.replace(a, b, 1)
    return paragraph


@pytest.fixture(scope="session")
def polnear_subset() -> dict:
    if not (POLNEAR / "metadata.tsv").exists():
        pytest.skip("../shared/data/polnear is not present")
    from corpus import polnear_records

    keep = set(NOMINATION + DNC_HACK + list(COPIED) + list(REWORDED))
    records = [r for r in polnear_records() if r["outlet"] != "parc" and r["published"]
               and (r["id"] in keep or (WINDOW[0] <= r["published"] <= WINDOW[1] and len(r["text"].split()) <= MAX_WORDS))]
    by_id = {r["id"]: r for r in records}
    planted = {}
    for name, (src, dst), edit in (("copied", COPIED, lambda p: p), ("reworded", REWORDED, reworded)):
        paragraph = _paragraphs(by_id[src]["text"])[1]
        by_id[dst]["text"] += "\n\n" + edit(paragraph)
        planted[name] = {"source": by_id[src], "target": by_id[dst], "paragraph": paragraph, "planted": edit(paragraph)}
    return {"records": records, "by_id": by_id, "planted": planted}


@pytest.fixture(scope="session")
def polnear_store(polnear_subset, tmp_path_factory) -> Path:
    from corpus import build_store, write_jsonl

    reuse = os.environ.get("NARRASCOPE_CORPUS_TEST_DB")  # development: a store this fixture built before
    if reuse and Path(reuse).exists():
        return Path(reuse)
    tmp = tmp_path_factory.mktemp("corpus")
    jsonl = write_jsonl(polnear_subset["records"], tmp / "polnear.jsonl")
    db = tmp / "polnear.duckdb"
    build_store(jsonl, db, analyze=("techniques", "vectors"))
    return db


@pytest.fixture()
def store(polnear_store):
    from narrascope.store import Store

    with Store(polnear_store, read_only=True) as s:
        yield s
