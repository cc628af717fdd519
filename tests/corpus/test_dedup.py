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


# -- signature scheme: accuracy, determinism, normalisation ------------------

POLNEAR = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "polnear" / "train" / "text"


def polnear_articles() -> list[Path]:
    if not POLNEAR.is_dir():
        pytest.skip("../shared/data/polnear/train/text not available")
    return sorted(POLNEAR.glob("*.txt"))


def polnear_paragraphs(count: int, min_words: int = 80) -> list[str]:
    """The first long paragraph of every 4th PolNeAR article, ``count`` of them."""
    found = []
    for path in polnear_articles()[::4]:
        long = [p for p in path.read_text(encoding="utf-8").split("\n\n") if len(p.split()) >= min_words]
        if long:
            found.append(long[0])
        if len(found) == count:
            return found
    pytest.skip("too few long PolNeAR paragraphs")


def edited(text: str, rate: float, rng) -> str:
    """Each word replaced, dropped or followed by an inserted word with probability ``rate``."""
    out = []
    for word in text.split(" "):
        roll = rng.random()
        if roll < rate / 3:
            out.append(f"edit{rng.randrange(10**6)}")
        elif roll < 2 * rate / 3:
            continue
        else:
            out.append(word)
            if roll < rate:
                out.append(f"added{rng.randrange(10**6)}")
    return " ".join(out)


def estimated_jaccard(a: str, b: str, num_perm: int = 128) -> float:
    return float(numpy.mean(minhash_signature(a, num_perm) == minhash_signature(b, num_perm)))


def test_estimated_jaccard_is_unbiased_on_edited_real_paragraphs():
    import random

    rng = random.Random(20240607)
    paragraphs = polnear_paragraphs(50)
    exact, estimate = [], []
    for i, paragraph in enumerate(paragraphs):
        copy = edited(paragraph, rate=[0.01, 0.03, 0.06, 0.1, 0.2][i % 5], rng=rng)
        exact.append(true_jaccard(paragraph, copy))
        estimate.append(estimated_jaccard(paragraph, copy))
    exact_a, estimate_a = numpy.array(exact), numpy.array(estimate)
    assert exact_a.min() < 0.4 and exact_a.max() > 0.85  # the edits span the interesting range
    errors = estimate_a - exact_a
    # The standard error of one estimate is sqrt(J(1 - J) / 128); over 50 pairs the
    # mean error of an unbiased estimator is within ~0.01 of zero.
    sigma = numpy.sqrt(exact_a * (1 - exact_a) / 128)
    assert abs(errors.mean()) < 0.015
    assert numpy.sqrt(numpy.mean(errors**2)) < 1.5 * numpy.sqrt(numpy.mean(sigma**2))
    assert numpy.all(numpy.abs(errors) < 4 * sigma + 0.02)


def test_signature_is_the_same_in_another_process_with_another_hash_seed():
    import json
    import os
    import subprocess
    import sys

    text = seeds()["003"]
    code = (
        "import json, sys; from narrascope.corpus.dedup import minhash_signature; "
        "print(json.dumps(minhash_signature(sys.stdin.read()).tolist()))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], input=text, capture_output=True, text=True, env=env, check=True)
    assert json.loads(out.stdout) == minhash_signature(text).tolist()


def test_prepended_paragraph_shifts_no_shingle():
    original = seeds()["002"]
    copy = "Republished from our partners at the Examiner, with their permission.\n\n" + original
    index = DedupIndex()
    index.add("orig", *entry(original))
    link = index.find("copy", *entry(copy))
    assert link is not None and link.kind == "near"
    assert abs(link.similarity - true_jaccard(original, copy)) < 0.05


def test_compatibility_characters_and_case_do_not_change_the_signature():
    original = seeds()["002"]
    assert "significant" in original and "Lukashenko" in original and "Aug. 9" in original
    # No-break spaces, an ellipsis, a ligature and full-width letters, as another scrape might have them.
    variant = original.replace(" ", "\u00a0", 40).replace("significant", "signiﬁcant").replace("Aug. 9", "Aug\u2026 9")
    variant = variant.replace("Lukashenko", "Ｌｕｋａｓｈｅｎｋｏ").upper()
    original = original.replace("Aug. 9", "Aug... 9")
    assert variant != original
    assert numpy.array_equal(minhash_signature(variant), minhash_signature(original))
    assert shingles(variant) == shingles(original)


def test_words_split_like_regex_word_runs_in_any_script():
    text = "Лукашенко заявил: «Беларусь — не часть России»; naïve café_bar 2020-08-09 𝐁𝐨𝐥𝐝 x"
    words = re.findall(r"\w+", __import__("unicodedata").normalize("NFKC", text).casefold())
    expected = {" ".join(words[i : i + 5]) for i in range(len(words) - 4)}
    assert shingles(text) == expected


def test_long_text_signature_is_the_minimum_of_its_parts():
    # Over 2,048 shingles, so the blocked and de-duplicated path runs.
    texts = [path.read_text(encoding="utf-8") for path in polnear_articles()[:12]]
    first, second = "\n\n".join(texts[:6]), "\n\n".join(texts[6:])
    assert len(shingles(first + "\n\n" + second)) > 2048
    whole = minhash_signature(first + "\n\n" + second)
    parts_min = numpy.minimum(minhash_signature(first), minhash_signature(second))
    # Only the four shingles across the join are new, so nearly every value is kept.
    assert numpy.all(whole <= parts_min)
    assert numpy.count_nonzero(whole == parts_min) >= 124


def test_lsh_bands_catch_pairs_at_the_threshold():
    from narrascope.corpus.dedup import lsh_bands

    for threshold in (0.5, 0.8, 0.9):
        bands, rows = lsh_bands(threshold, 128)
        assert bands * rows <= 128
        assert 1 - (1 - threshold**rows) ** bands >= 0.99
    # Unrelated articles share ~0.0-0.1 of their shingles: they rarely become candidates.
    bands, rows = lsh_bands(0.8, 128)
    assert 1 - (1 - 0.3**rows) ** bands < 0.05


def test_removed_entry_is_no_longer_found():
    original = seeds()["002"]
    index = DedupIndex()
    index.add("orig", *entry(original))
    index.add("orig", *entry(seeds()["001"]))  # re-adding an id replaces its entry
    assert len(index) == 1
    assert index.find("copy", *entry(lightly_edited(original))) is None
    assert index.find("copy", *entry(seeds()["001"])).duplicate_of == "orig"
