"""SemEval formats (2020 Task 11, 2023 Task 3) and their metrics, written out so anyone can score us.

Formats (tab-separated, one row per line):
- 2023 subtask 3 paragraphs: ``id, line, tech,tech,...`` (1-based lines, blank lines counted);
- 2023 spans and 2020 TC: ``id, technique, start, end``; 2020 SI: ``id, start, end``.
Offsets are characters of the article file's own text, end exclusive.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

from .errors import InputError

_ARTICLE_NAME = re.compile(r"^article(\w+?)(?:-labels.*)?\.txt$")


@dataclass(frozen=True, order=True)
class TechniqueSpan:
    """A labelled (or, for 2020 SI, unlabelled) span of one article."""

    article_id: str
    start: int
    end: int
    technique: str | None = None


ParagraphLabels = dict[tuple[str, int], frozenset[str]]


# -- articles -----------------------------------------------------------------
def article_id(path: str | Path) -> str:
    """``.../article111111111.txt`` -> ``"111111111"``."""
    m = _ARTICLE_NAME.match(Path(path).name)
    if not m:
        raise InputError(str(path), "not a SemEval article file name (article{id}.txt)")
    return m.group(1)


def read_article(path: str | Path) -> str:
    """The file's exact text (no newline translation, so offsets match the file)."""
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            return fh.read()
    except OSError as e:
        raise InputError(str(path), f"cannot read: {e.strerror or e}") from None
    except UnicodeDecodeError as e:
        raise InputError(str(path), f"not UTF-8 text: {e}") from None


def article_paths(directory: str | Path) -> list[Path]:
    d = Path(directory)
    if not d.is_dir():
        raise InputError(str(d), "not a directory")
    paths = sorted(p for p in d.iterdir() if p.is_file() and _ARTICLE_NAME.match(p.name))
    if not paths:
        raise InputError(str(d), "no article{id}.txt files")
    return paths


def read_articles(directory: str | Path) -> dict[str, str]:
    """``{article id: text}`` for every ``article{id}.txt`` in a directory."""
    return {article_id(p): read_article(p) for p in article_paths(directory)}


def line_spans(text: str) -> list[tuple[int, int, int]]:
    """``(line number, start, end)`` of every non-blank line; 1-based, blank lines counted."""
    out, pos = [], 0
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.rstrip("\r")
        if stripped.strip():
            out.append((number, pos, pos + len(stripped)))
        pos += len(line) + 1
    return out


# -- label files --------------------------------------------------------------
def read_paragraph_labels(path: str | Path) -> ParagraphLabels:
    """``{(id, line): {technique, ...}}`` from a 2023 subtask-3 file."""
    out: ParagraphLabels = {}
    for n, row in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not row.strip():
            continue
        cols = row.split("\t")
        if len(cols) < 2:
            raise InputError(str(path), f"line {n}: expected id<TAB>line<TAB>techniques")
        techs = cols[2] if len(cols) > 2 else ""
        out[(cols[0], int(cols[1]))] = frozenset(t.strip() for t in techs.split(",") if t.strip())
    return out


def write_paragraph_labels(rows: Iterable[tuple[str, int, Iterable[str]]], path: str | Path) -> int:
    n = 0
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for aid, line, techs in rows:
            fh.write(f"{aid}\t{line}\t{','.join(techs)}\n")
            n += 1
    return n


def read_span_labels(path: str | Path, ptc_labels: bool = False) -> list[TechniqueSpan]:
    """Spans from a 2023 span file (or a folder of them), a 2020 TC file or a 2020 SI file.

    2020 technique names contain commas ("Name_Calling,Labeling"), so columns are
    read by position: ``id, technique, start, end`` or ``id, start, end``.
    """
    p = Path(path)
    files = sorted(p.iterdir()) if p.is_dir() else [p]
    out = []
    for f in files:
        for n, row in enumerate(f.read_text(encoding="utf-8").splitlines(), start=1):
            if not row.strip():
                continue
            cols = row.rstrip("\n").split("\t")
            try:
                if len(cols) == 4:
                    tech = cols[1] if cols[1] not in ("", "?") else None
                    out.append(TechniqueSpan(cols[0], int(cols[2]), int(cols[3]), tech))
                elif len(cols) == 3:
                    out.append(TechniqueSpan(cols[0], int(cols[1]), int(cols[2]), None))
                else:
                    raise ValueError(f"{len(cols)} columns")
            except ValueError as e:
                raise InputError(str(f), f"line {n}: {e}") from None
    return out


def write_span_labels(spans: Iterable[TechniqueSpan], path: str | Path, with_technique: bool = True) -> int:
    n = 0
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for s in spans:
            if with_technique:
                fh.write(f"{s.article_id}\t{s.technique or ''}\t{s.start}\t{s.end}\n")
            else:
                fh.write(f"{s.article_id}\t{s.start}\t{s.end}\n")
            n += 1
    return n


# -- metrics ------------------------------------------------------------------
def _prf(tp: float, n_pred: float, n_gold: float) -> tuple[float, float, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def paragraph_scores(gold: ParagraphLabels, pred: ParagraphLabels, techniques: Iterable[str] | None = None) -> dict:
    """Micro and macro P/R/F1 over (article, line, technique) triples (2023 subtask 3).

    Macro-F1 averages over ``techniques`` (default: every technique in gold or pred).
    """
    gold_t = {(a, l, t) for (a, l), ts in gold.items() for t in ts}
    pred_t = {(a, l, t) for (a, l), ts in pred.items() for t in ts}
    names = sorted(set(techniques) if techniques is not None else {t for *_, t in gold_t | pred_t})
    tp = len(gold_t & pred_t)
    p, r, f = _prf(tp, len(pred_t), len(gold_t))
    per = {}
    for t in names:
        g = {x for x in gold_t if x[2] == t}
        q = {x for x in pred_t if x[2] == t}
        tp_t = len(g & q)
        per[t] = dict(zip(("precision", "recall", "f1"), _prf(tp_t, len(q), len(g))), support=len(g), predicted=len(q))
    macro = sum(v["f1"] for v in per.values()) / len(per) if per else 0.0
    return {"micro_precision": p, "micro_recall": r, "micro_f1": f, "macro_f1": macro, "per_technique": per}


def merge_overlapping(spans: Iterable[TechniqueSpan]) -> list[TechniqueSpan]:
    """Union of overlapping spans of the same article and technique (as the SI scorer sees them)."""
    groups: dict[tuple[str, str | None], list[TechniqueSpan]] = defaultdict(list)
    for s in spans:
        if s.end > s.start:
            groups[(s.article_id, s.technique)].append(s)
    out = []
    for (aid, tech), group in groups.items():
        group.sort()
        cur_s, cur_e = group[0].start, group[0].end
        for s in group[1:]:
            if s.start < cur_e:
                cur_e = max(cur_e, s.end)
            else:
                out.append(TechniqueSpan(aid, cur_s, cur_e, tech))
                cur_s, cur_e = s.start, s.end
        out.append(TechniqueSpan(aid, cur_s, cur_e, tech))
    return sorted(out)


def _overlap_credit(gold: list[TechniqueSpan], pred: list[TechniqueSpan]) -> tuple[float, float]:
    """(sum over pred of covered fraction, sum over gold of covered fraction), same article and technique."""
    by_key: dict[tuple[str, str | None], list[TechniqueSpan]] = defaultdict(list)
    for g in gold:
        by_key[(g.article_id, g.technique)].append(g)
    p_credit = 0.0
    r_credit: Counter = Counter()
    for s in pred:
        for g in by_key.get((s.article_id, s.technique), ()):
            inter = min(s.end, g.end) - max(s.start, g.start)
            if inter > 0:
                p_credit += inter / (s.end - s.start)
                r_credit[g] += inter / (g.end - g.start)
    return p_credit, sum(r_credit.values())


def span_scores(gold: Iterable[TechniqueSpan], pred: Iterable[TechniqueSpan], use_techniques: bool = False) -> dict:
    """Span P/R/F1 with partial-overlap credit (SemEval-2020 Task 11 SI formula).

    P = sum_s sum_t |s ∩ t| / |s| over predicted spans s, divided by |S|;
    R = sum_s sum_t |s ∩ t| / |t| over gold spans t, divided by |T|.
    Overlapping spans are merged first (per technique when ``use_techniques``).
    """
    strip = (lambda s: s) if use_techniques else (lambda s: TechniqueSpan(s.article_id, s.start, s.end, None))
    g = merge_overlapping(strip(s) for s in gold)
    q = merge_overlapping(strip(s) for s in pred)
    p_credit, r_credit = _overlap_credit(g, q)
    p = p_credit / len(q) if q else 0.0
    r = r_credit / len(g) if g else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0, "gold": len(g), "predicted": len(q)}


def span_scores_per_technique(gold: Iterable[TechniqueSpan], pred: Iterable[TechniqueSpan]) -> dict[str, dict]:
    """:func:`span_scores` restricted to each technique in turn."""
    gold, pred = list(gold), list(pred)
    names = sorted({s.technique for s in gold + pred if s.technique})
    return {
        t: span_scores([s for s in gold if s.technique == t], [s for s in pred if s.technique == t], use_techniques=True)
        for t in names
    }


def tc_scores(gold: Iterable[TechniqueSpan], pred: Iterable[TechniqueSpan]) -> dict:
    """Technique classification on given spans (2020 TC): micro P/R/F1 over labelled positions.

    Rows are matched by (article, start, end); a span annotated with k techniques
    counts k times, and a prediction earns one hit per technique it shares with gold.
    """
    gold_at: dict[tuple, Counter] = defaultdict(Counter)
    pred_at: dict[tuple, Counter] = defaultdict(Counter)
    for s in gold:
        gold_at[(s.article_id, s.start, s.end)][s.technique] += 1
    for s in pred:
        pred_at[(s.article_id, s.start, s.end)][s.technique] += 1
    tp = sum(sum((gold_at[k] & pred_at.get(k, Counter())).values()) for k in gold_at)
    n_gold = sum(sum(c.values()) for c in gold_at.values())
    n_pred = sum(sum(c.values()) for c in pred_at.values())
    p, r, f = _prf(tp, n_pred, n_gold)
    per = {}
    for t in sorted({t for c in gold_at.values() for t in c} | {t for c in pred_at.values() for t in c} - {None}):
        tp_t = sum(min(gold_at[k][t], pred_at.get(k, Counter())[t]) for k in gold_at)
        g_t = sum(c[t] for c in gold_at.values())
        q_t = sum(c[t] for c in pred_at.values())
        per[t] = dict(zip(("precision", "recall", "f1"), _prf(tp_t, q_t, g_t)), support=g_t, predicted=q_t)
    return {"micro_precision": p, "micro_recall": r, "micro_f1": f, "per_technique": per}


def paragraph_labels_from_spans(texts: Mapping[str, str], spans: Iterable[TechniqueSpan]) -> ParagraphLabels:
    """Line labels implied by spans: a line carries every technique whose span overlaps it."""
    by_article: dict[str, list[TechniqueSpan]] = defaultdict(list)
    for s in spans:
        by_article[s.article_id].append(s)
    out: ParagraphLabels = {}
    for aid, text in texts.items():
        for number, start, end in line_spans(text):
            techs = {s.technique for s in by_article.get(aid, ()) if s.technique and s.start < end and s.end > start}
            out[(aid, number)] = frozenset(techs)
    return out
