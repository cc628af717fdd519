"""``narrascope semeval ...`` (predictions in the official SemEval formats) and ``narrascope evaluate ...``.

A thin shell over :mod:`narrascope.semeval` and :mod:`narrascope.detect.techniques`;
the main CLI adds both with ``cli.add_command(semeval)`` and ``cli.add_command(evaluate)``.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from .document import Document
from .errors import NarrascopeError
from .semeval import (
    TechniqueSpan,
    article_id,
    article_paths,
    line_spans,
    paragraph_scores,
    read_article,
    read_paragraph_labels,
    read_span_labels,
    span_scores,
    span_scores_per_technique,
    tc_scores,
    write_paragraph_labels,
    write_span_labels,
)


@dataclass
class AnalysedArticle:
    id: str
    doc: Document

    @property
    def prediction(self):
        return self.doc.cache["techniques"]

    @property
    def encoded(self):
        return self.doc.cache["techniques_encoded"]


def analyse_texts(texts: dict[str, str], sources: dict[str, str] | None = None, batch_size: int = 8) -> list[AnalysedArticle]:
    """Run the techniques stage over raw article texts (the file is the document; offsets are the file's)."""
    from .detect.techniques import TechniquesStage
    from .nlp.sentences import split_paragraphs, split_sentences

    stage = TechniquesStage()
    out = []
    items = list(texts.items())
    for b in range(0, len(items), batch_size):
        docs = []
        for aid, text in items[b : b + batch_size]:
            doc = Document(source=(sources or {}).get(aid, aid), text=text, id=aid, language="en")
            for s, e in split_paragraphs(text):
                doc.add_span(s, e, "paragraph")
            for s, e in split_sentences(text, "en"):
                doc.add_span(s, e, "sentence")
            docs.append(doc)
        stage.process(docs)
        out.extend(AnalysedArticle(d.id, d) for d in docs)
    return out


def analyse_directory(articles_dir: str | Path) -> list[AnalysedArticle]:
    paths = article_paths(articles_dir)
    texts = {article_id(p): read_article(p) for p in paths}
    return analyse_texts(texts, {article_id(p): str(p) for p in paths})


def paragraph_rows(articles: list[AnalysedArticle]) -> list[tuple[str, int, list[str]]]:
    """2023 subtask 3: one row per non-empty line with its techniques."""
    from .detect.techniques import get_model

    model = get_model()
    rows = []
    for a in articles:
        lines = line_spans(a.doc.text)
        found = model.line_techniques(a.prediction, [(s, e) for _, s, e in lines], a.encoded, a.doc.text)
        for (number, _, _), techs in zip(lines, found):
            rows.append((a.id, number, sorted(techs)))
    return rows


def technique_span_rows(articles: list[AnalysedArticle]) -> list[TechniqueSpan]:
    return [TechniqueSpan(a.id, s.start, s.end, s.label) for a in articles for s in a.doc.spans_of("technique")]


def propaganda_span_rows(articles: list[AnalysedArticle]) -> list[TechniqueSpan]:
    from .detect.techniques import get_model

    model = get_model()
    return [TechniqueSpan(a.id, s, e) for a in articles for s, e, _ in model.propaganda_spans(a.prediction, a.doc.text)]


def classified_span_rows(articles: list[AnalysedArticle], template: list[TechniqueSpan]) -> list[TechniqueSpan]:
    """2020 TC: the template's spans, in order, each with a technique; k rows of one span get the k best."""
    from .detect.techniques import get_model

    model = get_model()
    by_id = {a.id: a for a in articles}
    ranked: dict[tuple[str, int, int], list[tuple[str, float]]] = {}
    used: dict[tuple[str, int, int], int] = {}
    out = []
    for row in template:
        key = (row.article_id, row.start, row.end)
        if key not in ranked:
            a = by_id.get(row.article_id)
            if a is None:
                raise click.ClickException(f"template names article {row.article_id}, which is not in the articles folder")
            ranked[key] = model.classify_spans(a.encoded, a.doc.text, [(row.start, row.end)], scheme="2020")[0]
        k = used.get(key, 0)
        used[key] = k + 1
        out.append(TechniqueSpan(row.article_id, row.start, row.end, ranked[key][min(k, len(ranked[key]) - 1)][0]))
    return out


# -- click ----------------------------------------------------------------------
def _run(fn):
    try:
        return fn()
    except NarrascopeError as e:
        raise click.ClickException(str(e)) from None


@click.group()
def semeval() -> None:
    """Predict for a folder of shared-task articles, writing the official formats.

    \b
    Persuasion techniques: 2023-st3, 2023-st3-spans, 2020-si, 2020-tc
    Genre and frames:      2023-st1, 2023-st2
    Entity roles:          2025-st1 (with --mentions)
    Narratives:            2025-st2
    Score the output with `narrascope evaluate ...`.
    """


_dir = click.argument("articles_dir", type=click.Path(exists=True, file_okay=False))
_out = click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False), help="File to write.")


@semeval.command("2023-st3")
@_dir
@_out
def semeval_2023_st3(articles_dir: str, output: str) -> None:
    """SemEval-2023 Task 3 subtask 3: id<TAB>line<TAB>tech,tech,... for every non-empty line."""
    n = _run(lambda: write_paragraph_labels(paragraph_rows(analyse_directory(articles_dir)), output))
    click.echo(f"wrote {n} lines to {output}", err=True)


@semeval.command("2023-st3-spans")
@_dir
@_out
def semeval_2023_st3_spans(articles_dir: str, output: str) -> None:
    """SemEval-2023 Task 3 spans: id<TAB>technique<TAB>start<TAB>end."""
    n = _run(lambda: write_span_labels(technique_span_rows(analyse_directory(articles_dir)), output))
    click.echo(f"wrote {n} spans to {output}", err=True)


@semeval.command("2020-si")
@_dir
@_out
def semeval_2020_si(articles_dir: str, output: str) -> None:
    """SemEval-2020 Task 11 span identification: id<TAB>start<TAB>end."""
    n = _run(lambda: write_span_labels(propaganda_span_rows(analyse_directory(articles_dir)), output, with_technique=False))
    click.echo(f"wrote {n} spans to {output}", err=True)


@semeval.command("2020-tc")
@_dir
@click.option("--spans", "template", required=True, type=click.Path(exists=True, dir_okay=False), help="id<TAB>?<TAB>start<TAB>end rows to label.")
@_out
def semeval_2020_tc(articles_dir: str, template: str, output: str) -> None:
    """SemEval-2020 Task 11 technique classification: fills the technique of each given span."""

    def go() -> int:
        rows = read_span_labels(template)
        ids = {r.article_id for r in rows}
        paths = [p for p in article_paths(articles_dir) if article_id(p) in ids]
        articles = analyse_texts({article_id(p): read_article(p) for p in paths}, {article_id(p): str(p) for p in paths})
        return write_span_labels(classified_span_rows(articles, rows), output)

    n = _run(go)
    click.echo(f"wrote {n} spans to {output}", err=True)


TASKS = ("2023-st3", "2023-st3-spans", "2020-si", "2020-tc")


def score_files(task: str, gold: str, pred: str) -> dict:
    """Official-style scores of a prediction file against a gold file of one task."""
    if task == "2023-st3":
        g, p = read_paragraph_labels(gold), read_paragraph_labels(pred)
        return paragraph_scores(g, {k: v for k, v in p.items() if k[0] in {a for a, _ in g}})
    g_spans, p_spans = read_span_labels(gold), read_span_labels(pred)
    ids = {s.article_id for s in g_spans}
    p_spans = [s for s in p_spans if s.article_id in ids]
    if task == "2020-si":
        return span_scores(g_spans, p_spans)
    if task == "2020-tc":
        return tc_scores(g_spans, p_spans)
    return {**span_scores(g_spans, p_spans), "per_technique": span_scores_per_technique(g_spans, p_spans)}


def format_scores(task: str, scores: dict) -> str:
    lines = [f"task {task}"]
    for k, v in scores.items():
        if k != "per_technique":
            lines.append(f"{k:>16}: {v:.4f}" if isinstance(v, float) else f"{k:>16}: {v}")
    per = scores.get("per_technique") or {}
    if per:
        lines.append(f"{'technique':<36} {'P':>6} {'R':>6} {'F1':>6} {'gold':>6} {'pred':>6}")
        for t, s in sorted(per.items(), key=lambda kv: -kv[1].get("support", kv[1].get("gold", 0))):
            lines.append(f"{t:<36} {s['precision']:6.3f} {s['recall']:6.3f} {s['f1']:6.3f} {s.get('support', s.get('gold', 0)):6d} {s['predicted']:6d}")
    return "\n".join(lines)


@click.group()
def evaluate() -> None:
    """Score prediction files against gold files (official metrics)."""


@evaluate.command("techniques")
@click.option("--task", type=click.Choice(TASKS), required=True, help="Which SemEval task the files are for.")
@click.option("--gold", required=True, type=click.Path(exists=True), help="Gold labels (a file, or a folder of 2023 span files).")
@click.option("--pred", required=True, type=click.Path(exists=True, dir_okay=False), help="Predictions in the same format.")
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
def evaluate_techniques(task: str, gold: str, pred: str, as_json: bool) -> None:
    """Persuasion techniques: paragraph micro/macro-F1, SI P/R/F1 with partial overlap, TC micro-F1."""
    scores = _run(lambda: score_files(task, gold, pred))
    click.echo(json.dumps(scores, indent=1) if as_json else format_scores(task, scores))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(semeval())
