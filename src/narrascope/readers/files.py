"""Files on disk: walking folders, telling formats apart, reading bytes within the size cap.

Gzip is recognised by its magic bytes, so ``page.html.gz`` and a gzipped file
without the suffix both read as what is inside.
"""

from __future__ import annotations

import gzip
import json
import os
import zlib
from pathlib import Path
from typing import BinaryIO

from ..errors import InputError
from .options import size_problem
from .sniff import GZIP_MAGIC, binary_kind, markup_kind

_KIND_BY_SUFFIX = {
    ".txt": "text", ".md": "text", ".text": "text",
    ".html": "html", ".htm": "html", ".xhtml": "html",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json",
    ".csv": "csv", ".tsv": "tsv",
    ".xml": "xml", ".rss": "feed", ".atom": "feed",
    ".warc": "warc",
    ".parquet": "parquet",
    ".pdf": "pdf",
    ".urls": "urls",
}
STREAMED_KINDS = {"jsonl", "csv", "tsv", "warc", "parquet"}  # read record by record; the size cap applies per record
HEAD_BYTES = 65536


def walk_folder(folder: Path) -> list[Path]:
    """Every file under ``folder``, recursively, sorted by path; hidden files and folders skipped."""
    found = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found.extend(Path(root) / name for name in names if not name.startswith("."))
    return sorted(found, key=lambda p: p.relative_to(folder).parts)


def kind_from_name(path: Path) -> str:
    """The format the file name promises: text, html, jsonl, json, csv, tsv, xml, feed, warc, parquet, pdf, urls,
    or "unknown"."""
    name = path.name.lower()
    if name.endswith(".warc.gz"):
        return "warc"
    if name.endswith(".gz"):
        name = name[:-3]
    return _KIND_BY_SUFFIX.get(os.path.splitext(name)[1], "unknown")


def open_binary(path: Path) -> BinaryIO:
    """Open ``path`` for reading bytes, transparently gunzipping gzip files."""
    fh = open(path, "rb")
    if fh.read(2) == GZIP_MAGIC:
        fh.seek(0)
        return gzip.GzipFile(fileobj=fh, mode="rb")  # type: ignore[return-value]
    fh.seek(0)
    return fh


def read_head(path: Path, source: str, size: int = HEAD_BYTES) -> bytes:
    """The first ``size`` bytes (decompressed); InputError when unreadable or empty."""
    try:
        with open_binary(path) as fh:
            head = fh.read(size)
    except PermissionError:
        raise InputError(source, "permission denied") from None
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(source, f"could not read file: {_reason(exc)}") from None
    if not head.strip():
        raise InputError(source, "empty file")
    return head


def check_size(path: Path, source: str, max_bytes: int) -> None:
    """InputError like "file is 25.3 MB, over the 20 MB limit (...)" for a file too large to read whole."""
    try:
        on_disk = path.stat().st_size
    except OSError as exc:
        raise InputError(source, f"could not read file: {_reason(exc)}") from None
    if on_disk > max_bytes:
        raise InputError(source, size_problem("file", on_disk, max_bytes))


def read_capped(path: Path, source: str, max_bytes: int) -> bytes:
    """The whole file (decompressed), refused when over ``max_bytes``."""
    check_size(path, source, max_bytes)
    try:
        with open_binary(path) as fh:
            data = fh.read(max_bytes + 1)
    except PermissionError:
        raise InputError(source, "permission denied") from None
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(source, f"could not read file: {_reason(exc)}") from None
    if len(data) > max_bytes:  # a small gzip file can unpack to far more
        raise InputError(source, size_problem("file (uncompressed)", None, max_bytes))
    if not data.strip():
        raise InputError(source, "empty file")
    return data


def refuse_binary(head: bytes, source: str) -> None:
    """InputError like "binary file (PDF), not text or HTML" when ``head`` is not text."""
    kind = binary_kind(head)
    if kind == "binary":
        raise InputError(source, "binary file, not text or HTML")
    if kind:
        raise InputError(source, f"binary file ({kind}), not text or HTML")


def sniff_kind(head: bytes) -> str:
    """The format of a file whose name says nothing (and is not a WARC): feed, html, jsonl or text."""
    sample = head.decode("latin-1")  # markup and JSON punctuation are ASCII
    markup = markup_kind(sample)
    if markup:
        return markup
    first_line = sample.lstrip().split("\n", 1)[0].strip()
    if first_line.startswith("{"):
        try:
            if isinstance(json.loads(first_line), dict):
                return "jsonl"
        except ValueError:
            pass
    return "text"


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
