"""JSON Lines, JSON, CSV/TSV and Parquet exports: one record per article, columns mapped to our fields.

A record that carries only a URL comes back as a Document with ``raw=None``
and ``url`` set; the caller fetches it.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any, Iterator

from ..document import Document
from ..errors import ConfigError, InputError
from .encoding import DecodeError, decode_bytes
from .files import HEAD_BYTES, open_binary, read_capped
from .metadata import author_list, iso_date
from .options import ReadOptions, size_problem
from .sniff import looks_like_html_fragment
from .urls import is_url

FIELDS = ("text", "html", "url", "title", "published", "outlet", "authors", "id")
MAPPABLE = (*FIELDS, "file")  # "file": the column of a metadata table naming the files (readers/sidecar.py)

# Column names tried, in order, when the field map does not name one.
ALIASES: dict[str, tuple[str, ...]] = {
    "text": ("text", "content", "body"),
    "html": ("html",),
    "url": ("url", "link"),
    "title": ("title", "headline"),
    "published": ("published", "date", "pubdate", "published_at", "publication_date", "date_published"),
    "outlet": ("outlet", "source", "site", "domain", "publisher"),
    "authors": ("authors", "author"),
    "id": ("id",),
    "file": ("file", "filename", "file_name", "path", "filepath", "file_path"),
}

# Keys under which JSON exports commonly wrap their list of records.
_WRAPPER_KEYS = ("articles", "items", "records", "documents", "data", "results", "entries", "posts")


def check_field_map(field_map: dict[str, str] | None) -> None:
    """ConfigError for a field map that names a field we do not have."""
    for field in field_map or {}:
        if field not in MAPPABLE:
            raise ConfigError(f"unknown field {field!r} in the field map; fields: {', '.join(MAPPABLE)}")


def read_jsonl(path: Path, options: ReadOptions) -> Iterator[Document | InputError]:
    """One Document per line; a bad line yields an InputError named ``path#line``."""
    source = str(path)
    with open_binary(path) as fh:
        number = 0
        while True:
            line = fh.readline(options.max_bytes + 1)
            if not line:
                break
            number += 1
            item = f"{source}#{number}"
            if len(line) > options.max_bytes:
                while line and not line.endswith(b"\n"):  # skip the rest of the oversized line
                    line = fh.readline(1 << 20)
                yield InputError(item, size_problem("record", None, options.max_bytes))
                continue
            if not line.strip():
                continue
            try:
                text = line.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError:
                try:  # JSON must be UTF-8, but exports from old tools sometimes are not
                    text, _ = decode_bytes(line)
                except DecodeError as exc:
                    yield InputError(item, str(exc))
                    continue
            try:
                record = json.loads(text)
            except json.JSONDecodeError as exc:
                yield InputError(item, f"invalid JSON: {exc.msg} (column {exc.colno})")
                continue
            yield record_to_document(record, item, options)


def read_parquet(path: Path, options: ReadOptions, chunk: int = 256) -> Iterator[Document | InputError]:
    """One Document per row of a Parquet file (read with DuckDB, ``chunk`` rows at a time); rows named ``path#row``."""
    import duckdb

    source = str(path)
    con = duckdb.connect()
    try:
        try:
            cursor = con.execute("SELECT * FROM read_parquet(?)", [source])
        except duckdb.Error as exc:
            yield InputError(source, f"invalid Parquet file: {str(exc).splitlines()[0]}")
            return
        columns = [d[0] for d in cursor.description]
        number = 0
        while True:
            try:
                rows = cursor.fetchmany(chunk)
            except duckdb.Error as exc:
                yield InputError(f"{source}#{number + 1}", f"invalid Parquet data: {str(exc).splitlines()[0]}")
                return
            if not rows:
                break
            for row in rows:
                number += 1
                record = {c: v for c, v in zip(columns, row) if v is not None}
                yield record_to_document(record, f"{source}#{number}", options)
    finally:
        con.close()


def read_json(path: Path, options: ReadOptions) -> Iterator[Document | InputError]:
    """A JSON list of records, an object wrapping one (``{"articles": [...]}``), one record, or JSON Lines."""
    source = str(path)
    data = read_capped(path, source, options.max_bytes)
    try:
        text, _ = decode_bytes(data)
    except DecodeError as exc:
        yield InputError(source, str(exc))
        return
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        if _first_line_is_json(text):  # JSON Lines saved as .json
            yield from read_jsonl(path, options)
        else:
            yield InputError(source, f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")
        return
    if isinstance(parsed, dict):
        wrapped = next((parsed[k] for k in _WRAPPER_KEYS if isinstance(parsed.get(k), list)), None)
        if wrapped is None:
            yield record_to_document(parsed, source, options)
            return
        parsed = wrapped
    if not isinstance(parsed, list):
        yield InputError(source, f"JSON holds a {type(parsed).__name__}, not a record or a list of records")
        return
    if not parsed:
        yield InputError(source, "JSON list is empty")
    for number, record in enumerate(parsed, start=1):
        yield record_to_document(record, f"{source}#{number}", options)


def read_csv(path: Path, options: ReadOptions, delimiter: str | None = None) -> Iterator[Document | InputError]:
    """One Document per row under a header row; ``path#N`` is the row's first line in the file."""
    source = str(path)
    with open_binary(path) as fh:
        head = fh.read(HEAD_BYTES)
        try:
            _, encoding = decode_bytes(_cut_at_last_newline(head))
        except DecodeError as exc:
            yield InputError(source, str(exc))
            return
        fh.seek(0)
        text_stream = io.TextIOWrapper(fh, encoding=encoding, newline="")
        header_line = _cut_at_last_newline(head).decode(encoding, errors="replace").lstrip("\ufeff").split("\n", 1)[0]
        reader = csv.reader(text_stream, delimiter=delimiter or _guess_delimiter(header_line))
        csv.field_size_limit(max(csv.field_size_limit(), options.max_bytes))
        try:
            header = next(reader)
        except StopIteration:
            yield InputError(source, "empty file")
            return
        except (UnicodeDecodeError, csv.Error) as exc:
            yield InputError(source, f"could not read the header row: {exc}")
            return
        header = [column.strip().lstrip("\ufeff") for column in header]
        line = reader.line_num
        while True:
            start = line + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except UnicodeDecodeError:
                yield InputError(f"{source}#{start}", f"could not decode the rest of the file as {encoding}")
                break
            except csv.Error as exc:
                yield InputError(f"{source}#{start}", f"invalid CSV: {exc}")
                break
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            record = {column: value for column, value in zip(header, row) if value != ""}
            yield record_to_document(record, f"{source}#{start}", options)


def record_to_document(record: Any, source: str, options: ReadOptions) -> Document | InputError:
    """A Document from one record, or the InputError that says what is wrong with it."""
    if not isinstance(record, dict):
        return InputError(source, f"record is a JSON {type(record).__name__}, not an object")
    lowered = {str(k).lower(): v for k, v in record.items()}
    values = {field: _lookup(record, lowered, field, options.field_map) for field in FIELDS}
    html, text, url = _as_text(values["html"]), _as_text(values["text"]), _as_text(values["url"])
    doc = Document(source=source)
    if html and html.strip():
        doc.raw, doc.raw_format = html, "html"
    elif text and text.strip():
        doc.raw, doc.raw_format = text, ("html" if looks_like_html_fragment(text) else "text")
    elif not (url and is_url(url.strip())):
        return InputError(source, _missing_text_problem(record, options.field_map))
    if doc.raw is not None and len(doc.raw.encode("utf-8")) > options.max_bytes:
        return InputError(source, size_problem("record", len(doc.raw.encode("utf-8")), options.max_bytes))
    doc.url = url.strip() if url else None
    doc.title = (_as_text(values["title"]) or "").strip() or None
    doc.outlet = (_as_text(values["outlet"]) or "").strip() or None
    doc.authors = author_list(values["authors"])
    if values["published"] not in (None, ""):
        doc.published = iso_date(values["published"])
        if doc.published is None:
            doc.meta.setdefault("warnings", []).append(f"unrecognised published date {values['published']!r}")
    if values["id"] not in (None, ""):
        doc.meta["record_id"] = str(values["id"])
    return doc


def _lookup(record: dict, lowered: dict, field: str, field_map: dict[str, str] | None,
            empty: tuple = (None, "")) -> Any:
    """The mapped column's value, else the first alias column whose value is not ``empty``."""
    if field_map and field in field_map:
        return _get_path(record, field_map[field])
    for column in ALIASES[field]:
        if lowered.get(column) not in empty:
            return lowered[column]
    return None


def _get_path(record: dict, column: str) -> Any:
    """A column, or a dotted path into nested JSON (``content.rendered``)."""
    if column in record:
        return record[column]
    value: Any = record
    for part in column.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "\n\n".join(value)  # paragraphs stored as a list
    if isinstance(value, dict) and isinstance(value.get("rendered"), str):
        return value["rendered"]  # WordPress REST exports
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def _missing_text_problem(record: dict, field_map: dict[str, str] | None) -> str:
    wanted = []
    for field in ("text", "html", "url"):
        if field_map and field in field_map:
            wanted.append(repr(field_map[field]))
    columns = ", ".join(str(k) for k in list(record)[:12]) or "none"
    looked = f" (looked for {', '.join(wanted)})" if wanted else ""
    return f"record has no text, html or url{looked}; its fields: {columns}"


def _cut_at_last_newline(head: bytes) -> bytes:
    cut = head.rfind(b"\n")
    return head[: cut + 1] if cut > 0 and len(head) == HEAD_BYTES else head


def _guess_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _first_line_is_json(text: str) -> bool:
    first = text.lstrip("\ufeff").strip().split("\n", 1)[0]
    try:
        json.loads(first)
    except ValueError:
        return False
    return "\n" in text.strip()

