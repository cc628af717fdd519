"""Exact and near-duplicate detection across a corpus.

Exact: the same ``text_hash`` of the main text (normalised case, whitespace,
quotes). Near: MinHash signatures over word 5-gram shingles, candidates from
LSH bands, confirmed by the signatures' estimated Jaccard.

Signature scheme (``SIGNATURE_SCHEME``), all in vectorised numpy and fixed
across processes, runs and numpy versions:

1. words: runs of ``\\w`` characters of the NFKC, case-folded text;
2. word hash: polynomial hash of the word's code points mod 2**64 (from
   prefix sums, so all words of a text are hashed in a few array operations);
3. shingle hash: polynomial hash, in another base, of five consecutive word
   hashes, MurmurHash3-finalised; its high 32 bits are the key;
4. ``num_perm`` permutations ``a_k * key + b_k mod 2**32`` (``a_k`` odd, so each
   is a bijection; parameters derived from blake2b of fixed labels), minimum
   over the shingles. This is datasketch's "affine32" construction; 32-bit
   lanes make it ~2.5x faster than 64-bit ones, and key collisions only matter
   for sets of ~10**8 shingles, not for articles.

Signatures are uint64 arrays (values below 2**32; a text without shingles gets
all ``2**64 - 1``, a value no shingle can produce) so the store can keep them as
BLOBs (``sig.tobytes()`` / ``numpy.frombuffer(blob, dtype=numpy.uint64)``).
They compare only with signatures of the same ``SIGNATURE_SCHEME``.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Union

import numpy

from ..document import text_hash

SHINGLE_WORDS = 5
# Stored signatures compare only within one scheme; change the name with the scheme.
SIGNATURE_SCHEME = "narrascope-minhash-affine32-v1"
# LSH bands are as long as possible while still catching this share of pairs
# whose Jaccard equals the threshold (verification drops the false candidates).
LSH_RECALL_AT_THRESHOLD = 0.99

_U64 = numpy.uint64
_MAX_HASH = numpy.iinfo(numpy.uint64).max
# Shingles are hashed in blocks to bound memory on very long texts.
_BLOCK = 2048
_POWER_CACHE_LIMIT = 1 << 20
_BMP = 0x10000
# Compatibility characters common in news and what NFKC turns them into.
_COMMON_COMPATIBILITY = (("\xa0", " "), ("\u2026", "..."), ("\u202f", " "), ("\u2009", " "))
# Empty documents are extraction failures, not copies of each other.
_EMPTY_TEXT_HASH = text_hash("")

Signature = Union[numpy.ndarray, bytes, bytearray, memoryview]


def _fixed_u64(label: str) -> int:
    return int.from_bytes(hashlib.blake2b(label.encode("ascii"), digest_size=8).digest(), "little")


# Odd bases of the polynomial hashes of a word (over code points) and of a shingle
# (over word hashes); odd, so that they are invertible mod 2**64.
_WORD_BASE = _fixed_u64(f"{SIGNATURE_SCHEME}:word-base") | 1
_SHINGLE_BASE = _fixed_u64(f"{SIGNATURE_SCHEME}:shingle-base") | 1


@lru_cache(maxsize=4)
def _permutations(num_perm: int) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Columns of the odd multipliers and the offsets of ``num_perm`` affine maps mod 2**32."""
    a = [_fixed_u64(f"{SIGNATURE_SCHEME}:a:{k}") & 0xFFFFFFFF | 1 for k in range(num_perm)]
    b = [_fixed_u64(f"{SIGNATURE_SCHEME}:b:{k}") & 0xFFFFFFFF for k in range(num_perm)]
    return numpy.array(a, dtype=numpy.uint32)[:, None], numpy.array(b, dtype=numpy.uint32)[:, None]


@lru_cache(maxsize=1)
def _word_char_table() -> numpy.ndarray:
    # re's \w on str: alphanumeric (str.isalnum) or underscore. Built once per process (~25 ms).
    table = numpy.fromiter((chr(c).isalnum() for c in range(_BMP)), dtype=bool, count=_BMP)
    table[ord("_")] = True
    return table


_powers_cache: dict[int, tuple[numpy.ndarray, numpy.ndarray]] = {}


def _powers(base: int, n: int) -> tuple[numpy.ndarray, numpy.ndarray]:
    """``base**i`` and ``base**-i`` mod 2**64 for i < n (uint64 arithmetic wraps)."""
    cached = _powers_cache.get(base)
    if cached is not None and len(cached[0]) >= n:
        return cached[0][:n], cached[1][:n]
    size = max(n, 4096)
    if size <= _POWER_CACHE_LIMIT:
        size = 1 << (size - 1).bit_length()
    tables = []
    for factor in (base, pow(base, -1, 1 << 64)):
        powers = numpy.full(size, factor, dtype=_U64)
        powers[0] = 1
        tables.append(numpy.cumprod(powers))
    if size <= _POWER_CACHE_LIMIT:
        _powers_cache[base] = (tables[0], tables[1])
    return tables[0][:n], tables[1][:n]


def _prefix_sums(values: numpy.ndarray, up: numpy.ndarray) -> numpy.ndarray:
    """``prefix[i]`` = sum of ``values[j] * up[j]`` for j < i, mod 2**64."""
    prefix = numpy.empty(values.size + 1, dtype=_U64)
    prefix[0] = 0
    numpy.cumsum(numpy.multiply(values, up), out=prefix[1:])
    return prefix


_FMIX_SHIFT = _U64(33)
_KEY_SHIFT = _U64(32)
_FMIX_MULTIPLIERS = (_U64(0xFF51AFD7ED558CCD), _U64(0xC4CEB9FE1A85EC53))


def _fmix64(h: numpy.ndarray) -> numpy.ndarray:
    """MurmurHash3's 64-bit finaliser, in place (a bijection that spreads every input bit)."""
    for multiplier in _FMIX_MULTIPLIERS:
        h ^= h >> _FMIX_SHIFT
        h *= multiplier
    h ^= h >> _FMIX_SHIFT
    return h


def _normalised(text: str) -> str:
    # NFKC makes ligatures, full-width and decomposed letters compare equal. News text
    # is mostly NFKC already but for no-break spaces and ellipses; rewriting those first,
    # exactly as NFKC would, lets its quick check skip the full (slow) pass.
    if not text.isascii():
        for compatibility, plain in _COMMON_COMPATIBILITY:
            if compatibility in text:
                text = text.replace(compatibility, plain)
        text = unicodedata.normalize("NFKC", text)
    return text.casefold()


def _code_points(text: str) -> numpy.ndarray:
    return numpy.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=numpy.uint32)


def _word_bounds(points: numpy.ndarray) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Start and end (exclusive) indices of the ``\\w+`` runs in ``points``."""
    table = _word_char_table()
    is_word = numpy.zeros(points.size + 2, dtype=bool)  # padded, so runs start and end inside
    if points.size and int(points.max()) >= _BMP:
        is_word[1:-1] = table[numpy.minimum(points, _BMP - 1)]
        for i in numpy.flatnonzero(points >= _BMP).tolist():  # rare: letters outside the BMP
            is_word[i + 1] = chr(int(points[i])).isalnum()
    else:
        is_word[1:-1] = table[points]
    edges = numpy.flatnonzero(is_word[1:] != is_word[:-1])  # alternately a start and an end
    return edges[0::2], edges[1::2]


def _word_hashes(text: str) -> numpy.ndarray:
    """Polynomial hash of each word of the normalised text, independent of where it stands."""
    points = _code_points(_normalised(text))
    starts, ends = _word_bounds(points)
    if not starts.size:
        return numpy.empty(0, dtype=_U64)
    up, down = _powers(_WORD_BASE, points.size)
    prefix = _prefix_sums(points, up)
    return (prefix[ends] - prefix[starts]) * down[starts]


def _shingle_hashes(words: numpy.ndarray) -> numpy.ndarray:
    """Polynomial hash (another base) of each run of five word hashes, finalised."""
    n = words.size - SHINGLE_WORDS + 1
    if n <= 0:
        return numpy.empty(0, dtype=_U64)
    up, down = _powers(_SHINGLE_BASE, words.size)
    prefix = _prefix_sums(words, up)
    return _fmix64((prefix[SHINGLE_WORDS:] - prefix[:n]) * down[:n])


def shingles(text: str) -> set[str]:
    """Word 5-grams of the normalised text (none for texts under five words)."""
    normal = _normalised(text)
    points = _code_points(normal)
    starts, ends = _word_bounds(points)
    words = [normal[s:e] for s, e in zip(starts.tolist(), ends.tolist())]
    return {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)}


def minhash_signature(text: str, num_perm: int = 128) -> numpy.ndarray:
    """Deterministic MinHash signature (uint64 array of ``num_perm`` values) of ``text``."""
    a, b = _permutations(num_perm)
    keys = (_shingle_hashes(_word_hashes(text)) >> _KEY_SHIFT).astype(numpy.uint32)
    if not keys.size:
        return numpy.full(num_perm, _MAX_HASH, dtype=_U64)
    if keys.size > _BLOCK:
        keys = numpy.unique(keys)  # long texts repeat shingles; the minimum ignores repeats
    signature = numpy.full(num_perm, numpy.iinfo(numpy.uint32).max, dtype=numpy.uint32)
    for i in range(0, keys.size, _BLOCK):
        permuted = a * keys[None, i : i + _BLOCK]
        permuted += b
        numpy.minimum(signature, permuted.min(axis=1), out=signature)
    return signature.astype(_U64)


def _as_signature(signature: Signature, num_perm: int) -> numpy.ndarray:
    if isinstance(signature, (bytes, bytearray, memoryview)):
        signature = numpy.frombuffer(signature, dtype=numpy.uint64)
    sig = numpy.asarray(signature, dtype=numpy.uint64)
    if sig.shape != (num_perm,):
        raise ValueError(f"signature has shape {sig.shape}, expected ({num_perm},)")
    return sig


def lsh_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows): the longest bands that still make ``LSH_RECALL_AT_THRESHOLD`` of
    pairs at ``threshold`` share at least one band."""
    for rows in range(num_perm, 0, -1):
        bands = num_perm // rows
        if 1.0 - (1.0 - threshold**rows) ** bands >= LSH_RECALL_AT_THRESHOLD:
            return bands, rows
    return num_perm, 1


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
        self.bands, self.rows = lsh_bands(threshold, num_perm)
        # One dict per band: the band's bytes -> ids of documents having them.
        self._buckets: list[dict[bytes, list[str]]] = [{} for _ in range(self.bands)]
        self._signatures: dict[str, numpy.ndarray] = {}
        self._by_hash: dict[str, list[str]] = {}
        self._hash_of: dict[str, str] = {}
        self._added_at: dict[str, int] = {}
        self._added = 0

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
        if _has_shingles(sig):
            self._signatures[doc_id] = sig
            for bucket, key in zip(self._buckets, self._band_keys(sig)):
                bucket.setdefault(key, []).append(doc_id)

    def find(self, doc_id: str, text_hash: str, signature: Signature) -> DuplicateLink | None:
        """The best earlier copy of this document, other than ``doc_id`` itself; exact beats near."""
        sig = _as_signature(signature, self.num_perm)
        if text_hash != _EMPTY_TEXT_HASH:
            for other in self._by_hash.get(text_hash, ()):
                if other != doc_id:
                    return DuplicateLink(doc_id, other, "exact", 1.0)
        if not _has_shingles(sig):
            return None
        candidates: set[str] = set()
        for bucket, key in zip(self._buckets, self._band_keys(sig)):
            candidates.update(bucket.get(key, ()))
        candidates.discard(doc_id)
        best: tuple[float, str] | None = None
        # Earliest-added first, so a tie links to the first-seen copy.
        for other in sorted(candidates, key=self._added_at.__getitem__):
            similarity = float(numpy.count_nonzero(sig == self._signatures[other])) / self.num_perm
            if similarity >= self.threshold and (best is None or similarity > best[0]):
                best = (similarity, other)
        if best is None:
            return None
        return DuplicateLink(doc_id, best[1], "near", best[0])

    def discard(self, doc_id: str) -> None:
        """Forget ``doc_id`` (a document being replaced by a new version of its input); unknown ids are ignored."""
        if doc_id in self._hash_of:
            self._remove(doc_id)

    def check_and_add(self, doc_id: str, text_hash: str, signature: Signature) -> DuplicateLink | None:
        """``find``, then ``add`` the document when it is not a duplicate."""
        link = self.find(doc_id, text_hash, signature)
        if link is None:
            self.add(doc_id, text_hash, signature)
        return link

    def _band_keys(self, sig: numpy.ndarray) -> list[bytes]:
        data = sig.tobytes()
        width = self.rows * sig.itemsize
        return [data[i * width : (i + 1) * width] for i in range(self.bands)]

    def _remove(self, doc_id: str) -> None:
        old_hash = self._hash_of.pop(doc_id)
        del self._added_at[doc_id]
        self._by_hash[old_hash].remove(doc_id)
        if not self._by_hash[old_hash]:
            del self._by_hash[old_hash]
        sig = self._signatures.pop(doc_id, None)
        if sig is not None:
            for bucket, key in zip(self._buckets, self._band_keys(sig)):
                ids = bucket[key]
                ids.remove(doc_id)
                if not ids:
                    del bucket[key]


def _has_shingles(sig: numpy.ndarray) -> bool:
    # A text with no shingles (under five words) has every value at the maximum.
    return bool((sig != _MAX_HASH).any())
