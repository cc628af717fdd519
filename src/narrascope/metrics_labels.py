"""Article-label files of SemEval-2023 Task 3 subtasks 1 and 2, and their metrics.

- subtask 1 (genre): ``id<TAB>genre`` per article, scored by macro-F1 over the
  genres seen in gold or predictions (as ``sklearn.metrics.f1_score(average="macro")``);
- subtask 2 (frames): ``id<TAB>frame,frame,...`` per article, scored by micro-F1
  over (article, frame) pairs.

Only articles in the gold file are scored; a gold article with no prediction
counts as a miss.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Mapping

from .errors import InputError


def read_genre_labels(path: str | Path) -> dict[str, str]:
    """``{article id: genre}`` from an ``id<TAB>genre`` file."""
    out = {}
    for n, row in enumerate(_rows(path), start=1):
        cols = row.split("\t")
        if len(cols) != 2 or not cols[1].strip():
            raise InputError(str(path), f"line {n}: expected id<TAB>genre")
        out[cols[0].strip()] = cols[1].strip()
    return out


def read_frame_labels(path: str | Path) -> dict[str, frozenset[str]]:
    """``{article id: {frame, ...}}`` from an ``id<TAB>frame,frame,...`` file (no frames: empty set)."""
    out = {}
    for n, row in enumerate(_rows(path), start=1):
        cols = row.split("\t")
        if len(cols) > 2:
            raise InputError(str(path), f"line {n}: expected id<TAB>frame,frame,...")
        frames = cols[1] if len(cols) == 2 else ""
        out[cols[0].strip()] = frozenset(f.strip() for f in frames.split(",") if f.strip())
    return out


def _rows(path: str | Path) -> list[str]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise InputError(str(path), f"cannot read: {e.strerror or e}") from None
    return [r.rstrip("\r") for r in text.split("\n") if r.strip()]


def write_genre_labels(rows: Iterable[tuple[str, str]], path: str | Path) -> int:
    n = 0
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for aid, genre in rows:
            fh.write(f"{aid}\t{genre}\n")
            n += 1
    return n


def write_frame_labels(rows: Iterable[tuple[str, Iterable[str]]], path: str | Path) -> int:
    n = 0
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for aid, frames in rows:
            fh.write(f"{aid}\t{','.join(frames)}\n")
            n += 1
    return n


def _prf(tp: int, n_pred: int, n_gold: int) -> tuple[float, float, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _per_label(pairs_gold: set[tuple[str, str]], pairs_pred: set[tuple[str, str]], labels: list[str]) -> dict[str, dict]:
    per = {}
    for lab in labels:
        g = {a for a, l in pairs_gold if l == lab}
        q = {a for a, l in pairs_pred if l == lab}
        p, r, f = _prf(len(g & q), len(q), len(g))
        per[lab] = {"precision": p, "recall": r, "f1": f, "support": len(g), "predicted": len(q)}
    return per


def genre_scores(gold: Mapping[str, str], pred: Mapping[str, str]) -> dict:
    """Macro-F1 (the official subtask-1 score), accuracy and per-genre P/R/F1 over the gold articles."""
    g = {(a, l) for a, l in gold.items()}
    q = {(a, pred[a]) for a in gold if a in pred}
    labels = sorted({l for _, l in g | q})
    per = _per_label(g, q, labels)
    macro = sum(v["f1"] for v in per.values()) / len(per) if per else 0.0
    accuracy = len(g & q) / len(g) if g else 0.0
    return {"macro_f1": macro, "accuracy": accuracy, "articles": len(gold), "per_label": per}


def frame_scores(gold: Mapping[str, Iterable[str]], pred: Mapping[str, Iterable[str]]) -> dict:
    """Micro-F1 over (article, frame) pairs (the official subtask-2 score), macro-F1 and per-frame P/R/F1."""
    g = {(a, f) for a, fs in gold.items() for f in fs}
    q = {(a, f) for a in gold for f in pred.get(a, ())}
    p, r, f1 = _prf(len(g & q), len(q), len(g))
    labels = sorted({l for _, l in g | q})
    per = _per_label(g, q, labels)
    macro = sum(v["f1"] for v in per.values()) / len(per) if per else 0.0
    return {"micro_precision": p, "micro_recall": r, "micro_f1": f1, "macro_f1": macro, "articles": len(gold), "per_label": per}


def format_label_scores(task: str, scores: dict) -> str:
    """A plain-text table of :func:`genre_scores` / :func:`frame_scores` output."""
    lines = [f"task {task}"]
    for k, v in scores.items():
        if k != "per_label":
            lines.append(f"{k:>16}: {v:.4f}" if isinstance(v, float) else f"{k:>16}: {v}")
    lines.append(f"{'label':<46} {'P':>6} {'R':>6} {'F1':>6} {'gold':>5} {'pred':>5}")
    for lab, s in sorted(scores["per_label"].items(), key=lambda kv: (-kv[1]["support"], kv[0])):
        lines.append(f"{lab:<46} {s['precision']:6.3f} {s['recall']:6.3f} {s['f1']:6.3f} {s['support']:5d} {s['predicted']:5d}")
    return "\n".join(lines)
