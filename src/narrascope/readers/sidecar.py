"""A metadata table for a folder of files: ``narrascope analyze texts/ --metadata metadata.tsv``.

Corpora often come as one file per article plus a table of outlet, date, title and
author per file (PolNeAR's ``metadata.tsv``, a scraper's CSV). The table is CSV, TSV
or JSON Lines; one column names the file (``file``, ``filename``, ``path`` or
``--field-map file=COLUMN``), as a path, a file name, or a file name without its
extension; the others are matched to narrascope's fields as in JSONL/CSV inputs
(``title``, ``published``, ``outlet``, ``authors``, ``url``: the usual aliases, such as
``publisher`` or ``publication_date``, or ``--field-map``). A file's row fills those
fields before extraction, so they win over what the page itself says.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from ..document import Document
from ..errors import ConfigError
from .encoding import DecodeError, decode_bytes
from .metadata import author_list, iso_date
from .tabular import ALIASES, _guess_delimiter, _lookup

APPLIED = ("title", "published", "outlet", "authors", "url")
_EMPTY = (None, "", "None")  # "None": how some exports (PolNeAR's metadata.tsv) write a missing value
MAX_TABLE_BYTES = 200_000_000


@dataclass
class Sidecar:
    """The rows of a metadata table by file key, and what matched during a run."""

    path: str
    folder: Path  # the table's folder, resolved: file paths in the table may be relative to it
    rows: dict[str, dict] = field(default_factory=dict)  # key -> {field: value}
    ambiguous: set[str] = field(default_factory=set)  # keys more than one row gives (file names in two folders)
    matched: int = 0
    unmatched: int = 0
    unmatched_examples: list[str] = field(default_factory=list)  # the first few files with no row

    def row_for(self, path: Path) -> dict | None:
        """The row of a file: by its path as given, its path relative to the table's folder, its name, or its
        name without the extension (the first that a single row gives)."""
        candidates = [_norm(str(path))]
        try:
            candidates.append(_norm(str(path.resolve().relative_to(self.folder))))
        except ValueError:
            pass
        candidates += [path.name.lower(), _stem(path.name)]
        for key in candidates:
            if key in self.rows and key not in self.ambiguous:
                return self.rows[key]
        return None

    def apply(self, doc: Document, path: Path) -> None:
        """Fill ``doc``'s fields from its row (the row wins); remember whether the file had one."""
        row = self.row_for(path)
        if row is None:
            self.unmatched += 1
            if len(self.unmatched_examples) < 5:
                self.unmatched_examples.append(str(path))
            return
        self.matched += 1
        for name, value in row.items():
            if name in APPLIED:
                setattr(doc, name, value)
        doc.meta["metadata_from"] = self.path
        for name, raw in row.get("_unparsed", {}).items():
            doc.meta.setdefault("warnings", []).append(f"unrecognised {name} {raw!r} in {self.path}")

    def summary(self) -> str:
        """E.g. "metadata.tsv: rows for 838 of 840 files (none for: a.txt, b.txt)"."""
        total = self.matched + self.unmatched
        text = f"{self.path}: rows for {self.matched} of {total} file{'s' if total != 1 else ''}"
        if self.unmatched:
            names = ", ".join(Path(p).name for p in self.unmatched_examples)
            text += f" (none for: {names}{' …' if self.unmatched > len(self.unmatched_examples) else ''})"
        return text


def load_sidecar(path: str, field_map: dict[str, str] | None = None) -> Sidecar:
    """Read a metadata table; ConfigError naming the file and the problem when it cannot serve."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise ConfigError(f"{path}: no such metadata table")
    data = file.read_bytes()
    if len(data) > MAX_TABLE_BYTES:
        raise ConfigError(f"{path}: metadata table over {MAX_TABLE_BYTES // 1_000_000} MB")
    try:
        text, _ = decode_bytes(data)
    except DecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    records = _records(text.lstrip("\ufeff"), str(file))
    if not records:
        raise ConfigError(f"{path}: the metadata table has no rows")
    columns = list(records[0])
    key_column = (field_map or {}).get("file") or next(
        (c for c in columns if c.strip().lower() in ALIASES["file"]), None)
    if key_column is None or key_column not in columns:
        raise ConfigError(f"{path}: no column names the files (looked for {', '.join(ALIASES['file'])}"
                          f"{' and ' + repr(key_column) if key_column else ''}; columns: {', '.join(columns[:15])}); "
                          "name it with --field-map file=COLUMN")
    sidecar = Sidecar(str(path), file.resolve().parent)
    for record in records:
        key = str(record.get(key_column) or "").strip()
        if not key:
            continue
        lowered = {str(k).lower(): v for k, v in record.items()}
        row: dict = {}
        unparsed: dict[str, str] = {}
        for name in APPLIED:
            value = _lookup(record, lowered, name, field_map, _EMPTY)
            if value in _EMPTY:
                continue
            if name == "published":
                parsed = iso_date(value)
                if parsed is None:
                    unparsed[name] = str(value)
                    continue
                value = parsed
            elif name == "authors":
                value = author_list(value)
            else:
                value = str(value).strip()
            row[name] = value
        if unparsed:
            row["_unparsed"] = unparsed
        for k in {_norm(key), Path(key).name.lower(), _stem(Path(key).name)}:
            if k in sidecar.rows and sidecar.rows[k] != row:
                sidecar.ambiguous.add(k)
            sidecar.rows[k] = row
    return sidecar


def _records(text: str, source: str) -> list[dict]:
    first = text.strip().split("\n", 1)[0] if text.strip() else ""
    if first.startswith("{"):
        records = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ConfigError(f"{source}#{number}: invalid JSON: {exc.msg}") from None
                if isinstance(record, dict):
                    records.append(record)
        return records
    delimiter = "\t" if source.lower().endswith(".tsv") else _guess_delimiter(first)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return [{k.strip(): v for k, v in row.items() if k is not None} for row in reader]
    except csv.Error as exc:
        raise ConfigError(f"{source}: invalid CSV: {exc}") from None


def _norm(path: str) -> str:
    return path.replace("\\", "/").lstrip("./").lower()


def _stem(name: str) -> str:
    name = name.lower().removesuffix(".gz")
    return name.rsplit(".", 1)[0] if "." in name else name
