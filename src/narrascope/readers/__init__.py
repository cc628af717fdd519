"""Readers: turn the user's SOURCES (files, folders, URLs) into Documents carrying raw input.

Each Document has ``source`` (a path, a URL, or ``path#N`` for the N-th record
of a container), ``raw`` (decoded text), ``raw_format`` ("html" or "text") and
whatever metadata the container gave. A bad item is yielded as an
:class:`~narrascope.errors.InputError` (``FetchError`` for downloads) and
reading goes on with the next one.

The size cap applies to whole files, to downloads, and, for formats read
record by record (JSON Lines, CSV/TSV, WARC), to each record.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from ..document import Document
from ..errors import FetchError, InputError
from . import feeds, files, pdf, tabular, warc
from .encoding import DecodeError, decode_bytes
from .options import ReadOptions
from .sniff import markup_kind, url_lines
from .urls import FetchedPage, check_address, fetch_url, is_url, page_format

__all__ = ["ReadOptions", "iter_inputs", "decode_bytes", "fetch_url", "check_address", "FetchedPage", "is_url"]


def iter_inputs(sources: list[str], options: ReadOptions | None = None) -> Iterator[Document | InputError]:
    """Documents (or the InputError of each bad item) from files, folders and http(s) URLs, in order."""
    options = options or ReadOptions()
    tabular.check_field_map(options.field_map)
    for source in sources:
        yield from _read_source(str(source), options)


def _read_source(source: str, options: ReadOptions) -> Iterator[Document | InputError]:
    if is_url(source):
        yield from _read_url(source, source, options)
        return
    path = Path(source).expanduser()
    if path.is_dir():
        for file in files.walk_folder(path):
            yield from _read_file(file, options)
    elif path.is_file():
        yield from _read_file(path, options)
    elif path.exists():
        yield InputError(source, "not a regular file or folder")
    elif "://" in source:
        yield InputError(source, "only http:// and https:// URLs can be fetched")
    else:
        yield InputError(source, "no such file or folder")


def _read_file(path: Path, options: ReadOptions) -> Iterator[Document | InputError]:
    """The documents of one file; a file that is one article gets its row of the metadata table, if any."""
    for item in _read_file_items(path, options):
        if options.metadata is not None and isinstance(item, Document) and item.source == str(path):
            options.metadata.apply(item, path)
        yield item


def _read_file_items(path: Path, options: ReadOptions) -> Iterator[Document | InputError]:
    source = str(path)
    try:
        kind = files.kind_from_name(path)
        if kind not in files.STREAMED_KINDS and kind != "unknown":
            files.check_size(path, source, options.max_bytes)  # before reading anything
        head = files.read_head(path, source)
        if kind == "warc" or (kind == "unknown" and head.startswith(b"WARC/")):  # payloads may be binary
            yield from warc.read_warc(path, options)
            return
        if kind == "parquet" or (kind == "unknown" and head.startswith(b"PAR1")):
            yield from _fetch_pending(tabular.read_parquet(path, options), options)
            return
        if kind == "pdf" or head.startswith(b"%PDF-"):  # by its first bytes too: a renamed PDF is still one
            if not head.startswith(b"%PDF-"):
                raise InputError(source, "not a PDF (it does not start with %PDF-)")
            yield pdf.read_pdf(files.read_capped(path, source, options.max_bytes), source)
            return
        files.refuse_binary(head, source)
        if kind == "unknown":
            kind = files.sniff_kind(head)
        if kind == "jsonl":
            yield from _fetch_pending(tabular.read_jsonl(path, options), options)
        elif kind in ("csv", "tsv"):
            yield from _fetch_pending(tabular.read_csv(path, options, "\t" if kind == "tsv" else None), options)
        elif kind == "json":
            yield from _fetch_pending(tabular.read_json(path, options), options)
        elif kind in ("feed", "xml"):
            data = files.read_capped(path, source, options.max_bytes)
            if kind == "xml" and markup_kind(data[:8192].decode("latin-1")) == "html":
                yield _text_document(data, source, "html")
            else:
                yield from _fetch_pending(feeds.read_feed(data, source), options)
        elif kind == "urls":
            yield from _read_url_list(files.read_capped(path, source, options.max_bytes), source, options, strict=True)
        else:  # text or html
            data = files.read_capped(path, source, options.max_bytes)
            yield from _read_text_file(data, source, kind, options)
    except InputError as exc:
        yield exc
    except Exception as exc:  # noqa: BLE001 - a parser choking on one hostile file must not end the run
        yield InputError(source, f"could not read ({type(exc).__name__}: {exc})")


def _read_text_file(data: bytes, source: str, kind: str, options: ReadOptions) -> Iterator[Document | InputError]:
    try:
        text, encoding = decode_bytes(data)
    except DecodeError as exc:
        yield InputError(source, str(exc))
        return
    if kind == "text":
        if url_lines(text):  # a .txt that is nothing but URLs is a URL list
            yield from _read_url_list(data, source, options, strict=False)
            return
        sniffed = markup_kind(text)
        if sniffed == "feed":
            yield from _fetch_pending(feeds.read_feed(data, source), options)
            return
        kind = sniffed or "text"
    yield Document(source=source, raw=text, raw_format=kind, meta={"encoding": encoding})


def _text_document(data: bytes, source: str, raw_format: str) -> Document | InputError:
    try:
        text, encoding = decode_bytes(data)
    except DecodeError as exc:
        return InputError(source, str(exc))
    return Document(source=source, raw=text, raw_format=raw_format, meta={"encoding": encoding})


def _read_url_list(data: bytes, source: str, options: ReadOptions, strict: bool) -> Iterator[Document | InputError]:
    """Fetch every URL of a list file; in a ``.urls`` file (``strict``) other lines are reported."""
    try:
        text, _ = decode_bytes(data)
    except DecodeError as exc:
        yield InputError(source, str(exc))
        return
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if is_url(line) and not any(c.isspace() for c in line):
            yield from _read_url(line, line, options)
        elif strict:
            yield InputError(f"{source}#{number}", f"not an http(s) URL: {line[:200]}")


def _read_url(url: str, source: str, options: ReadOptions) -> Iterator[Document | InputError]:
    """Fetch ``url``: a page gives one Document, a feed one per entry (teasers fetched in turn)."""
    try:
        page = fetch_url(url, options)
        if is_pdf(page):
            yield _pdf_page_document(page, source)
            return
        fmt = page_format(page)
        if fmt == "feed":
            yield from _fetch_pending(feeds.read_feed(page.body, source, page.charset, page.final_url), options)
        else:
            yield _page_document(page, source, fmt)
    except FetchError as exc:
        yield FetchError(source, exc.problem) if source != url else exc
    except Exception as exc:  # noqa: BLE001 - as for files: report, go on with the next source
        yield FetchError(source, f"could not read ({type(exc).__name__}: {exc})")


def _page_document(page: FetchedPage, source: str, fmt: str, doc: Document | None = None) -> Document | InputError:
    try:
        text, encoding = decode_bytes(page.body, page.charset)
    except DecodeError as exc:
        return FetchError(source, f"{page.url}: {exc}")
    doc = doc or Document(source=source)
    doc.url = page.final_url
    doc.raw, doc.raw_format, doc.fetched_at = text, fmt, page.fetched_at
    doc.meta["encoding"] = encoding
    return doc


def is_pdf(page: FetchedPage) -> bool:
    return page.body.startswith(b"%PDF-") or page.content_type == "application/pdf"


def _pdf_page_document(page: FetchedPage, source: str, doc: Document | None = None) -> Document | InputError:
    """A downloaded PDF read as a PDF file is, with the page's URL and fetch time."""
    found = pdf.read_pdf(page.body, source)
    if isinstance(found, InputError):
        return FetchError(source, f"{page.url}: {found.problem}")
    if doc is not None:  # a record that named only this URL keeps its own fields
        found.title, found.authors = doc.title or found.title, doc.authors or found.authors
        found.published, found.outlet = doc.published or found.published, doc.outlet or found.outlet
        found.meta = {**doc.meta, **found.meta}
    found.url, found.fetched_at = page.final_url, page.fetched_at
    return found


def _fetch_pending(items: Iterator[Document | InputError], options: ReadOptions) -> Iterator[Document | InputError]:
    """Pass items through, fetching the article of each Document that has only a URL."""
    for item in items:
        if isinstance(item, InputError) or item.raw is not None:
            yield item
            continue
        url = item.url or ""
        try:
            page = fetch_url(url, options)
            if is_pdf(page):
                yield _pdf_page_document(page, item.source, item)
                continue
            fmt = page_format(page)
        except FetchError as exc:
            yield FetchError(item.source, f"{url}: {exc.problem}")
            continue
        if fmt == "feed":  # no feeds within feeds: one level of expansion only
            yield FetchError(item.source, f"{url}: link leads to a feed, not an article")
            continue
        yield _page_document(page, item.source, fmt, item)
