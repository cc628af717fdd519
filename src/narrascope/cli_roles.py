"""SemEval-2025 Task 10 subtask 1 (entity framing): file formats, offsets, metrics and CLI commands.

Annotation rows are ``doc<TAB>entity<TAB>start<TAB>end<TAB>main_role<TAB>fine_role...``;
mention rows stop after ``end``. The official offsets differ from ours in two ways,
both checked against the released training files:

* ``end`` is inclusive (``Chinese 791 797`` is 7 characters);
* offsets count UTF-16 code units (an emoji is two), and for most Russian documents
  they were taken on a copy with CRLF line ends although the released files have LF
  (109 of 133 annotated RU documents; every EN, BG, PT, HI document counts LF as one).

:func:`locate_mentions` turns official offsets into ``Document.text`` spans (end
exclusive), choosing per document the reading under which the entity strings match.
Outputs repeat the input's offsets unchanged, so a prediction file lines up with its
mentions file whatever convention produced it.

``semeval_2025_st1`` and ``evaluate_2025_st1`` are the click commands for the
``semeval`` and ``evaluate`` groups.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import click
import numpy as np

from .errors import InputError, NarrascopeError

MAIN_ROLES = ("Protagonist", "Antagonist", "Innocent")


@dataclass
class RoleRow:
    """One row of a mentions, annotation or prediction file (offsets as written in the file)."""

    doc: str
    entity: str
    start: int
    end: int  # inclusive, as in the official files
    main_role: str | None = None
    fine_roles: list[str] = field(default_factory=list)
    line: int = 0  # 1-based line in its file, for error messages

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.doc, self.start, self.end)


# -- reading and writing ------------------------------------------------------------
def read_role_rows(path: str | Path, labelled: bool) -> list[RoleRow]:
    """Rows of a mentions file (``labelled=False``) or an annotation / prediction file."""
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8").split("\n")
    except OSError as e:
        raise InputError(str(p), f"cannot read: {e.strerror or e}") from None
    except UnicodeDecodeError as e:
        raise InputError(str(p), f"not UTF-8 text: {e}") from None
    rows = []
    for number, line in enumerate(lines, start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        cols = line.split("\t")
        where = f"{p}:{number}"
        need = 6 if labelled else 4
        if len(cols) < need:
            want = "doc, entity, start, end, main role, fine role(s)" if labelled else "doc, entity, start, end"
            raise InputError(where, f"expected {need} tab-separated columns ({want}), got {len(cols)}")
        try:
            start, end = int(cols[2]), int(cols[3])
        except ValueError:
            raise InputError(where, f"start and end must be integers, got {cols[2]!r} and {cols[3]!r}") from None
        if start < 0 or end < start:
            raise InputError(where, f"bad offsets {start}..{end}")
        row = RoleRow(cols[0], cols[1], start, end, line=number)
        if labelled:
            if cols[4] not in MAIN_ROLES:
                raise InputError(where, f"unknown main role {cols[4]!r} (expected one of {', '.join(MAIN_ROLES)})")
            row.main_role = cols[4]
            row.fine_roles = [c.strip() for c in cols[5:] if c.strip()]
            if not row.fine_roles:
                raise InputError(where, "no fine-grained role")
        rows.append(row)
    return rows


def write_role_rows(rows: list[RoleRow], path: str | Path) -> int:
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for r in rows:
            fh.write("\t".join([r.doc, r.entity, str(r.start), str(r.end), r.main_role or "", *r.fine_roles]) + "\n")
    return len(rows)


def read_documents(docs_dir: str | Path) -> dict[str, str]:
    """``{file name: exact text}`` of every ``*.txt`` in a folder (ids are file names, as in the official files)."""
    from .semeval import read_article

    d = Path(docs_dir)
    if not d.is_dir():
        raise InputError(str(d), "not a folder")
    return {p.name: read_article(p) for p in sorted(d.glob("*.txt"))}


# -- offsets ------------------------------------------------------------------------
def _unit_offsets(text: str, crlf: bool) -> np.ndarray:
    """Official offset of each character of ``text`` (and of its end), under one counting convention."""
    widths = np.fromiter((2 if ord(c) > 0xFFFF or (crlf and c == "\n") else 1 for c in text), dtype=np.int64, count=len(text))
    out = np.zeros(len(text) + 1, dtype=np.int64)
    np.cumsum(widths, out=out[1:])
    if crlf:  # the "\r" of a CRLF comes before the "\n": the "\n" itself sits one unit later
        is_nl = np.fromiter((c == "\n" for c in text), dtype=bool, count=len(text))
        out[:-1][is_nl] += 1
    return out


def official_to_span(units: np.ndarray, start: int, end: int) -> tuple[int, int] | None:
    """Character span ``[s, e)`` of official offsets ``start..end`` (inclusive), or None if outside the text."""
    s = int(np.searchsorted(units[:-1], start))
    e = int(np.searchsorted(units[:-1], end, side="right"))
    if end > units[-1] - 1 or e <= s:
        return None
    return s, e


def locate_mentions(rows: list[RoleRow], texts: dict[str, str], source: str = "mentions") -> list[tuple[int, int]]:
    """Character spans (end exclusive) into ``texts[row.doc]`` for every row.

    Per document, the counting convention (LF or CRLF) is the one under which the most
    entity strings match the text. Unknown documents and offsets outside the text are
    errors naming the file and line.
    """
    by_doc: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        if r.doc not in texts:
            raise InputError(f"{source}:{r.line}", f"unknown document {r.doc!r} (not in the documents folder)")
        by_doc.setdefault(r.doc, []).append(i)
    spans: list[tuple[int, int] | None] = [None] * len(rows)
    for doc, idx in by_doc.items():
        text = texts[doc]
        best: tuple[int, list] | None = None
        for crlf in (False, True):
            if crlf and "\n" not in text:
                continue
            units = _unit_offsets(text, crlf)
            found = [official_to_span(units, rows[i].start, rows[i].end) for i in idx]
            hits = sum(1 for i, sp in zip(idx, found) if sp and _same_entity(text[sp[0] : sp[1]], rows[i].entity))
            if best is None or hits > best[0]:
                best = (hits, found)
        assert best is not None
        for i, sp in zip(idx, best[1]):
            if sp is None:
                r = rows[i]
                raise InputError(f"{source}:{r.line}", f"offsets {r.start}..{r.end} outside document {r.doc!r} ({len(text)} characters)")
            spans[i] = sp
    return spans  # type: ignore[return-value]


def _same_entity(found: str, entity: str) -> bool:
    return " ".join(found.split()) == " ".join(entity.split())


# -- metrics ------------------------------------------------------------------------
def role_scores(gold: list[RoleRow], pred: list[RoleRow]) -> dict:
    """Main-role accuracy, fine-role exact-match ratio, micro P/R/F1 and macro-F1 over fine roles.

    Rows are matched by (doc, start, end); a gold mention without a prediction counts as
    wrong (empty fine-role set). Exact match is the task's official ranking metric.
    """
    predicted = {r.key: r for r in pred}
    n = len(gold)
    if n == 0:
        return {"mentions": 0, "main_accuracy": 0.0, "exact_match": 0.0, "fine_precision": 0.0, "fine_recall": 0.0,
                "fine_micro_f1": 0.0, "fine_macro_f1": 0.0, "missing": 0}
    main_ok = exact = tp = n_pred = n_gold = missing = 0
    per: dict[str, list[int]] = {}  # role -> [tp, predicted, gold]
    for g in gold:
        p = predicted.get(g.key)
        if p is None:
            missing += 1
        gs, ps = set(g.fine_roles), set(p.fine_roles) if p else set()
        main_ok += int(p is not None and p.main_role == g.main_role)
        exact += int(gs == ps)
        tp += len(gs & ps)
        n_pred += len(ps)
        n_gold += len(gs)
        for role in gs | ps:
            c = per.setdefault(role, [0, 0, 0])
            c[0] += int(role in gs and role in ps)
            c[1] += int(role in ps)
            c[2] += int(role in gs)
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_gold if n_gold else 0.0
    f1s = {role: _f1(c[0], c[1], c[2]) for role, c in per.items() if c[2]}  # macro over roles present in gold
    return {
        "mentions": n,
        "main_accuracy": main_ok / n,
        "exact_match": exact / n,
        "fine_precision": precision,
        "fine_recall": recall,
        "fine_micro_f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "fine_macro_f1": float(np.mean(list(f1s.values()))) if f1s else 0.0,
        "missing": missing,
    }


def _f1(tp: int, n_pred: int, n_gold: int) -> float:
    return 2 * tp / (n_pred + n_gold) if n_pred + n_gold else 0.0


# -- predicting ---------------------------------------------------------------------
ROLE_LANGUAGES = ("en", "bg", "pt", "ru", "hi")
# the task's file names carry the language: EN_CC_100000.txt, A9_BG_2566.txt, RU-URW-1001.txt, HI_1.txt
_NAME_LANGUAGE = re.compile(r"(?:^|[_\-])(EN|BG|PT|RU|HI)(?=[_\-])")


def document_language(name: str, text: str) -> str | None:
    """Language of a task document: the code in its file name, else detected from the text (None if neither says)."""
    m = _NAME_LANGUAGE.search(name)
    if m:
        return m.group(1).lower()
    from .nlp.language import detect_language

    code, _ = detect_language(text)
    return code if code in ROLE_LANGUAGES else None


def predict_rows(texts: dict[str, str], rows: list[RoleRow], source: str = "mentions", language: str | None = None) -> list[RoleRow]:
    """Each mention row with its predicted main and fine roles (offsets kept as given).

    ``language`` None: each document's language from :func:`document_language`.
    """
    from .detect.roles import predict_roles, tfidf_languages
    from .document import Document
    from .nlp.encoder import encode_documents

    spans = locate_mentions(rows, texts, source)
    by_doc: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        by_doc.setdefault(r.doc, []).append(i)
    out: list[RoleRow | None] = [None] * len(rows)
    names = list(by_doc)
    for b in range(0, len(names), 8):
        docs = [Document(source=name, text=texts[name], id=name, language=language or document_language(name, texts[name]))
                for name in names[b : b + 8]]
        encode_documents([d for d in docs if d.language not in tfidf_languages()])
        for doc in docs:
            idx = by_doc[doc.id]
            for i, p in zip(idx, predict_roles(doc, [spans[i] for i in idx])):
                r = rows[i]
                out[i] = RoleRow(r.doc, r.entity, r.start, r.end, p.main_role, list(p.fine_roles), r.line)
    return out  # type: ignore[return-value]


# -- click --------------------------------------------------------------------------
def _run(fn):
    try:
        return fn()
    except NarrascopeError as e:
        raise click.ClickException(str(e)) from None


@click.command("2025-st1")
@click.argument("docs_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--mentions", required=True, type=click.Path(exists=True, dir_okay=False),
              help="doc<TAB>entity<TAB>start<TAB>end rows (official offsets: end inclusive).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="File to write.")
@click.option("--language", type=click.Choice(ROLE_LANGUAGES), default=None,
              help="Language of the documents (default: per document, from the file name's code or the text).")
def semeval_2025_st1(docs_dir: str, mentions: str, output: str, language: str | None) -> None:
    """SemEval-2025 Task 10 subtask 1: the main and fine-grained role of each entity mention."""

    def go() -> int:
        rows = read_role_rows(mentions, labelled=False)
        return write_role_rows(predict_rows(read_documents(docs_dir), rows, mentions, language), output)

    n = _run(go)
    click.echo(f"wrote {n} mentions to {output}", err=True)


def score_role_files(gold: str, pred: str) -> dict:
    return role_scores(read_role_rows(gold, labelled=True), read_role_rows(pred, labelled=True))


@click.command("2025-st1")
@click.argument("gold", type=click.Path(exists=True, dir_okay=False))
@click.argument("pred", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
def evaluate_2025_st1(gold: str, pred: str, as_json: bool) -> None:
    """Entity roles: exact-match ratio on fine roles (official), main-role accuracy, fine-role micro/macro F1."""
    scores = _run(lambda: score_role_files(gold, pred))
    if as_json:
        click.echo(json.dumps(scores, indent=1))
    else:
        click.echo("task 2025-st1\n" + "\n".join(f"{k:>16}: {v:.4f}" if isinstance(v, float) else f"{k:>16}: {v}" for k, v in scores.items()))
