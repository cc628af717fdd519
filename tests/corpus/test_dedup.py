"""Exact and near-duplicate links on the seeds and edited copies of them."""

from __future__ import annotations

import re
from pathlib import Path

import numpy
import pytest

from narrascope.corpus.dedup import DedupIndex, DuplicateLink, minhash_signature, shingles
from narrascope.document import text_hash

SEEDS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "seeds"


def seeds() -> dict[str, str]:
    if not SEEDS.is_dir():
        pytest.skip("../shared/data/seeds not available")
    return {p.name[:3]: p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))}


def entry(text: str) -> tuple[str, numpy.ndarray]:
    return text_hash(text), minhash_signature(text)


def true_jaccard(a: str, b: str) -> float:
    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / len(sa | sb)


def lightly_edited(text: str) -> str:
    """A few words changed, as a republisher would."""
    for old, new in [("top priority", "key priority"), ("Tuesday evening", "Tuesday night"), ("cautious", "timid")]:
        assert old in text
        text = text.replace(old, new, 1)
    return text


def test_signature_is_deterministic_uint64_and_storable():
    text = seeds()["002"]
    sig = minhash_signature(text)
    assert sig.dtype == numpy.uint64 and sig.shape == (128,)
    assert numpy.array_equal(sig, minhash_signature(text))
    restored = numpy.frombuffer(sig.tobytes(), dtype=numpy.uint64)
    assert numpy.array_equal(restored, sig)
    assert minhash_signature(text, num_perm=64).shape == (64,)


def test_republished_copy_with_edits_and_an_added_paragraph_is_a_near_duplicate():
    original = seeds()["002"]
    added = "This article first appeared in the Washington Examiner and is republished with permission of the author."
    copy = lightly_edited(original) + "\n" + added
    index = DedupIndex()
    index.add("orig", *entry(original))
    link = index.find("copy", *entry(copy))
    assert link is not None and link.kind == "near" and link.duplicate_of == "orig"
    assert 0.8 <= link.similarity < 1.0
    # The estimate tracks the real shingle Jaccard.
    assert abs(link.similarity - true_jaccard(original, copy)) < 0.1


def test_copy_differing_in_whitespace_quotes_and_case_is_exact():
    original = seeds()["002"]
    copy = re.sub(r"\s+", "  ", original.upper()).replace("“", '"').replace("”", '"').replace("’", "'")
    index = DedupIndex()
    index.add("orig", *entry(original))
    assert index.find("copy", *entry(copy)) == DuplicateLink("copy", "orig", "exact", 1.0)


def test_seeds_are_pairwise_not_duplicates():
    index = DedupIndex()
    for name, text in seeds().items():
        assert index.check_and_add(name, *entry(text)) is None
    assert len(index) == 5
    # Nor at a far lower threshold.
    loose = DedupIndex(threshold=0.3)
    for name, text in seeds().items():
        assert loose.check_and_add(name, *entry(text)) is None


def test_edited_paragraph_inside_a_long_different_article_is_not_flagged():
    texts = seeds()
    paragraph = lightly_edited(texts["002"]).split("\n")[-3]  # the longest paragraph, edited
    assert len(paragraph.split()) > 60
    article = texts["001"].replace("\n\n", "\n\n" + paragraph + "\n\n", 1)
    index = DedupIndex()
    index.add("002", *entry(texts["002"]))
    index.add("paragraph", *entry(paragraph))
    assert index.find("article", *entry(article)) is None


def test_short_texts_are_only_exact_duplicates():
    index = DedupIndex()
    index.add("a", *entry("Latest news"))
    assert index.find("b", *entry("Latest stories")) is None
    assert index.find("c", *entry("LATEST   news")).kind == "exact"
    assert index.find("d", *entry("")) is None


def test_exact_beats_near_and_self_is_excluded():
    original = seeds()["002"]
    index = DedupIndex()
    index.add("near", *entry(lightly_edited(original)))
    index.add("orig", *entry(original))
    assert index.find("orig", *entry(original)).duplicate_of == "near"  # itself excluded
    assert index.find("again", *entry(original)) == DuplicateLink("again", "orig", "exact", 1.0)


def test_check_and_add_links_copies_to_the_first_seen_and_index_rebuilds_from_bytes():
    original = seeds()["002"]
    index = DedupIndex()
    assert index.check_and_add("first", *entry(original)) is None
    link = index.check_and_add("second", *entry(lightly_edited(original)))
    assert link.duplicate_of == "first" and link.kind == "near"
    assert len(index) == 1  # duplicates are linked, not indexed

    # As after reading (id, text_hash, signature BLOB) rows back from the store.
    rows = [("first", text_hash(original), minhash_signature(original).tobytes())]
    rebuilt = DedupIndex()
    for doc_id, hash_, blob in rows:
        rebuilt.add(doc_id, hash_, numpy.frombuffer(blob, dtype=numpy.uint64))
    assert rebuilt.find("second", *entry(lightly_edited(original))) == link


def test_signature_of_wrong_length_is_rejected():
    with pytest.raises(ValueError):
        DedupIndex().add("x", "h", numpy.zeros(64, dtype=numpy.uint64))
