"""SemEval-2023 Task 3 subtasks 1 (genre) and 2 (frames): predictions in the official formats, and scoring.

Commands for the ``semeval`` group: ``2023-st1`` and ``2023-st2``; for the
``evaluate`` group: ``2023-st1`` and ``2023-st2`` (GOLD PRED).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from .document import Document
from .errors import NarrascopeError
from .metrics_labels import (
    format_label_scores,
    frame_scores,
    genre_scores,
    read_frame_labels,
    read_genre_labels,
    write_frame_labels,
    write_genre_labels,
)
from .semeval import article_id, article_paths, read_article

BATCH = 8


def read_directory(articles_dir: str | Path) -> list[Document]:
    """Every ``article{id}.txt`` as a Document (the file's text; line 1 is also the title)."""
    from .detect.genre_frames import semeval_document

    return [semeval_document(article_id(p), read_article(p)) for p in article_paths(articles_dir)]


def genre_rows(docs: list[Document]) -> list[tuple[str, str]]:
    """``(id, genre)``: the most likely genre of each article."""
    from .detect.genre_frames import article_inputs, genre_model

    model = genre_model()
    rows = []
    for b in range(0, len(docs), BATCH):
        chunk = docs[b : b + BATCH]
        probs = model.probabilities([items[0][1] for items in article_inputs(chunk)])
        rows.extend((d.id, model.decide(p)[0][0]) for d, p in zip(chunk, probs))
        for d in chunk:
            d.cache.clear()  # one batch of token embeddings in memory at a time
    return rows


def frame_rows(docs: list[Document]) -> list[tuple[str, list[str]]]:
    """``(id, [frame, ...])``: the frames over their thresholds, at least one, most likely first."""
    from .detect.genre_frames import article_inputs, frames_model

    model = frames_model()
    rows = []
    for b in range(0, len(docs), BATCH):
        chunk = docs[b : b + BATCH]
        probs = model.probabilities([items[0][1] for items in article_inputs(chunk)])
        rows.extend((d.id, [name for name, _ in model.decide(p)]) for d, p in zip(chunk, probs))
        for d in chunk:
            d.cache.clear()
    return rows


def _run(fn):
    try:
        return fn()
    except NarrascopeError as e:
        raise click.ClickException(str(e)) from None


_dir = click.argument("articles_dir", type=click.Path(exists=True, file_okay=False))
_out = click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False), help="File to write.")


@click.command("2023-st1")
@_dir
@_out
def semeval_2023_st1(articles_dir: str, output: str) -> None:
    """SemEval-2023 Task 3 subtask 1 (genre): id<TAB>opinion|reporting|satire per article."""
    n = _run(lambda: write_genre_labels(genre_rows(read_directory(articles_dir)), output))
    click.echo(f"wrote {n} articles to {output}", err=True)


@click.command("2023-st2")
@_dir
@_out
def semeval_2023_st2(articles_dir: str, output: str) -> None:
    """SemEval-2023 Task 3 subtask 2 (frames): id<TAB>frame,frame,... per article."""
    n = _run(lambda: write_frame_labels(frame_rows(read_directory(articles_dir)), output))
    click.echo(f"wrote {n} articles to {output}", err=True)


_gold = click.argument("gold", type=click.Path(exists=True, dir_okay=False))
_pred = click.argument("pred", type=click.Path(exists=True, dir_okay=False))
_json = click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")


@click.command("2023-st1")
@_gold
@_pred
@_json
def evaluate_2023_st1(gold: str, pred: str, as_json: bool) -> None:
    """Genre (subtask 1): macro-F1, accuracy and per-genre P/R/F1 over the gold articles."""
    scores = _run(lambda: genre_scores(read_genre_labels(gold), read_genre_labels(pred)))
    click.echo(json.dumps(scores, indent=1) if as_json else format_label_scores("2023-st1", scores))


@click.command("2023-st2")
@_gold
@_pred
@_json
def evaluate_2023_st2(gold: str, pred: str, as_json: bool) -> None:
    """Frames (subtask 2): micro-F1 over (article, frame) pairs, macro-F1 and per-frame P/R/F1."""
    scores = _run(lambda: frame_scores(read_frame_labels(gold), read_frame_labels(pred)))
    click.echo(json.dumps(scores, indent=1) if as_json else format_label_scores("2023-st2", scores))
