"""Web archives (WARC, plain or gzipped): one Document per successful HTML response."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from ..document import Document
from ..errors import InputError
from .encoding import DecodeError, decode_bytes
from .metadata import iso_date
from .options import ReadOptions, size_problem
from .urls import parse_content_type

_HTML_TYPES = {"text/html", "application/xhtml+xml"}


def read_warc(path: Path, options: ReadOptions) -> Iterator[Document | InputError]:
    """HTML ``response`` records with a 2xx status; ``source`` is ``path#N`` (N counts all records)."""
    source = str(path)
    html_responses = 0
    try:
        with open(path, "rb") as fh:
            for number, record in enumerate(ArchiveIterator(fh), start=1):
                if record.rec_type != "response" or record.http_headers is None:
                    continue  # requests, metadata, revisits, DNS records: not pages
                status = record.http_headers.get_statuscode() or ""
                if not (status.isdigit() and 200 <= int(status) < 300):
                    continue  # redirects and error pages are not articles
                media_type, charset = parse_content_type(record.http_headers.get_header("Content-Type") or "")
                if media_type not in _HTML_TYPES:
                    continue
                html_responses += 1
                item = f"{source}#{number}"
                body = record.content_stream().read(options.max_bytes + 1)
                if len(body) > options.max_bytes:
                    yield InputError(item, size_problem("response", None, options.max_bytes))
                    continue
                if not body.strip():
                    yield InputError(item, "empty HTML response")
                    continue
                try:
                    text, encoding = decode_bytes(body, charset)
                except DecodeError as exc:
                    yield InputError(item, str(exc))
                    continue
                yield Document(
                    source=item,
                    url=record.rec_headers.get_header("WARC-Target-URI"),
                    fetched_at=iso_date(record.rec_headers.get_header("WARC-Date")),
                    raw=text,
                    raw_format="html",
                    meta={"encoding": encoding},
                )
        if not html_responses:
            yield InputError(source, "no successful HTML responses in this WARC file")
    except ArchiveLoadFailed as exc:
        yield InputError(source, f"not a valid WARC file: {exc}")
    except (OSError, EOFError) as exc:
        yield InputError(source, f"could not read WARC file: {exc}")

