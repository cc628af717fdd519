"""Exact and near-duplicate detection across a corpus.

Exact: the same ``text_hash`` of the main text (normalised case, whitespace,
quotes). Near: MinHash signatures over word 5-gram shingles of the normalised
text, candidates from LSH buckets, confirmed by the signatures' estimated Jaccard.
Signatures are plain uint64 arrays so the store can keep them as BLOBs
(``sig.tobytes()`` / ``numpy.frombuffer(blob, dtype=numpy.uint64)``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Union

import numpy
from datasketch import MinHash, MinHashLSH

from ..document import normalise_text, text_hash

SHINGLE_WORDS = 5
# Fixed so that signatures computed in different runs and processes compare.
MINHASH_SEED = 1
# 64-bit permutations (datasketch >= 2.0); signatures are stored as uint64.
MINHASH_SCHEME = "affine64"

# How far below the threshold LSH buckets look for candidates (recall near it).
LSH_MARGIN = 0.2

_WORD = re.compile(r"\w+")
# Empty documents are extraction failures, not copies of each other.
_EMPTY_TEXT_HASH = text_hash("")

Signature = Union[numpy.ndarray, bytes, bytearray, memoryview]


@lru_cache(maxsize=4)
def _template(num_perm: int) -> MinHash:
    # Generating the permutations is the slow part of building a MinHash; do it once.
    return MinHash(num_perm=num_perm, seed=MINHASH_SEED, scheme=MINHASH_SCHEME)


def _minhash(num_perm: int, hashvalues: numpy.ndarray | None = None) -> MinHash:
    template = _template(num_perm)
    values = template.hashvalues.copy() if hashvalues is None else hashvalues
    return MinHash(seed=MINHASH_SEED, hashvalues=values, permutations=template.permutations, scheme=MINHASH_SCHEME)


def shingles(text: str) -> set[str]:
    """Word 5-grams of the normalised text (none for texts under five words)."""
    words = _WORD.findall(normalise_text(text))
    return {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)}


def minhash_signature(text: str, num_perm: int = 128) -> numpy.ndarray:
    """Deterministic MinHash signature (uint64 array of ``num_perm`` values) of ``text``."""
    m = _minhash(num_perm)
    grams = shingles(text)
    if grams:
        m.update_batch([g.encode("utf-8") for g in grams])
    return numpy.asarray(m.hashvalues, dtype=numpy.uint64)


def _as_signature(signature: Signature, num_perm: int) -> numpy.ndarray:
    if isinstance(signature, (bytes, bytearray, memoryview)):
        signature = numpy.frombuffer(signature, dtype=numpy.uint64)
    sig = numpy.asarray(signature, dtype=numpy.uint64)
    if sig.shape != (num_perm,):
        raise ValueError(f"signature has shape {sig.shape}, expected ({num_perm},)")
    return sig


@dataclass
class DuplicateLink:
    """``doc_id`` repeats ``duplicate_of``: exactly, or nearly with estimated Jaccard ``similarity``."""

    doc_id: str
    duplicate_of: str
    kind: str  # "exact" | "near"
    similarity: float


class DedupIndex:
    """Documents seen so far, to link each new one to an earlier copy."""

    def __init__(self, threshold: float = 0.8, num_perm: int = 128):
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold}")
        self.threshold = threshold
        self.num_perm = num_perm
        # Buckets tuned to the threshold itself catch only ~40% of pairs at it;
        # a lower bucket threshold catches ~99% and verification drops the rest.
        self._lsh = MinHashLSH(threshold=max(0.1, threshold - LSH_MARGIN), num_perm=num_perm)
        self._signatures: dict[str, numpy.ndarray] = {}
        self._by_hash: dict[str, list[str]] = {}
        self._hash_of: dict[str, str] = {}
        self._added_at: dict[str, int] = {}
        self._added = 0
        # A text with no shingles (under five words) has this signature.
        self._no_shingles = _template(num_perm).hashvalues.astype(numpy.uint64)

    def __len__(self) -> int:
        return len(self._hash_of)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._hash_of

    def add(self, doc_id: str, text_hash: str, signature: Signature) -> None:
        """Index a document (re-adding an id replaces its entry)."""
        sig = _as_signature(signature, self.num_perm)
        if doc_id in self._hash_of:
            self._remove(doc_id)
        self._hash_of[doc_id] = text_hash
        self._added_at[doc_id] = self._added
        self._added += 1
        self._by_hash.setdefault(text_hash, []).append(doc_id)
        if self._has_shingles(sig):
            self._signatures[doc_id] = sig
            self._lsh.insert(doc_id, _minhash(self.num_perm, sig))

    def find(self, doc_id: str, text_hash: str, signature: Signature) -> DuplicateLink | None:
        """The best earlier copy of this document, other than ``doc_id`` itself; exact beats near."""
        sig = _as_signature(signature, self.num_perm)
        if text_hash != _EMPTY_TEXT_HASH:
            for other in self._by_hash.get(text_hash, ()):
                if other != doc_id:
                    return DuplicateLink(doc_id, other, "exact", 1.0)
        if not self._has_shingles(sig):
            return None
        best: tuple[float, str] | None = None
        # Earliest-added first, so a tie links to the first-seen copy.
        for other in sorted(self._lsh.query(_minhash(self.num_perm, sig)), key=self._added_at.__getitem__):
            if other == doc_id:
                continue
            similarity = float(numpy.count_nonzero(sig == self._signatures[other])) / self.num_perm
            if similarity >= self.threshold and (best is None or similarity > best[0]):
                best = (similarity, other)
        if best is None:
            return None
        return DuplicateLink(doc_id, best[1], "near", best[0])

    def check_and_add(self, doc_id: str, text_hash: str, signature: Signature) -> DuplicateLink | None:
        """``find``, then ``add`` the document when it is not a duplicate."""
        link = self.find(doc_id, text_hash, signature)
        if link is None:
            self.add(doc_id, text_hash, signature)
        return link

    def _has_shingles(self, sig: numpy.ndarray) -> bool:
        return not numpy.array_equal(sig, self._no_shingles)

    def _remove(self, doc_id: str) -> None:
        old_hash = self._hash_of.pop(doc_id)
        del self._added_at[doc_id]
        self._by_hash[old_hash].remove(doc_id)
        if not self._by_hash[old_hash]:
            del self._by_hash[old_hash]
        if self._signatures.pop(doc_id, None) is not None:
            self._lsh.remove(doc_id)
