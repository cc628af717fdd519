"""``narrascope semeval 2025-st2`` (narratives in the SemEval-2025 Task 10 subtask 2 format) and ``narrascope evaluate 2025-st2``.

A thin shell over :mod:`narrascope.detect.narratives`; the main CLI adds
``semeval_2025_st2`` to the ``semeval`` group and ``evaluate_2025_st2`` to ``evaluate``.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from .document import Document
from .errors import InputError, NarrascopeError


def _run(fn):
    try:
        return fn()
    except NarrascopeError as e:
        raise click.ClickException(str(e)) from None


def document_paths(docs_dir: str | Path) -> list[Path]:
    d = Path(docs_dir)
    paths = sorted(p for p in d.iterdir() if p.is_file() and p.suffix == ".txt")
    if not paths:
        raise InputError(str(d), "no .txt documents")
    return paths


def predict_directory(docs_dir: str | Path, batch_size: int = 8) -> list[tuple[str, list[str], list[str]]]:
    """``(file name, narratives, subnarratives)`` for every ``.txt`` in a folder (the file name is the SemEval id)."""
    from .detect.narratives import document_sentences, get_model
    from .nlp.encoder import encode_documents
    from .semeval import read_article

    model = get_model()
    rows = []
    paths = document_paths(docs_dir)
    for b in range(0, len(paths), batch_size):
        docs = [Document(source=str(p), text=read_article(p), id=p.name, language="en") for p in paths[b : b + batch_size]]
        for doc, encoded in zip(docs, encode_documents(docs)):
            pred = model.predict(encoded, document_sentences(doc), doc.text)
            rows.append((doc.id, pred.narrative_labels(), pred.subnarrative_labels()))
    return rows


@click.command("2025-st2")
@click.argument("docs_dir", type=click.Path(exists=True, file_okay=False))
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False), help="File to write.")
def semeval_2025_st2(docs_dir: str, output: str) -> None:
    """SemEval-2025 Task 10 subtask 2: doc<TAB>narr;narr<TAB>subnarr;subnarr for every .txt in DOCS_DIR (Other where none)."""
    from .detect.narratives import write_narrative_labels

    n = _run(lambda: write_narrative_labels(predict_directory(docs_dir), output))
    click.echo(f"wrote {n} documents to {output}", err=True)


def score_narrative_files(gold: str, pred: str, narratives_file: str | None = None, subnarratives_file: str | None = None) -> dict:
    """Official subtask-2 scores of a prediction file; classes from the given files, else the shipped taxonomy."""
    from .detect.narratives import narrative_scores, read_narrative_labels, read_taxonomy_classes, shipped_classes

    coarse, fine = shipped_classes()
    if narratives_file:
        coarse = read_taxonomy_classes(narratives_file)
    if subnarratives_file:
        fine = read_taxonomy_classes(subnarratives_file)
    return narrative_scores(read_narrative_labels(gold), read_narrative_labels(pred), coarse, fine)


@click.command("2025-st2")
@click.argument("gold", type=click.Path(exists=True, dir_okay=False))
@click.argument("pred", type=click.Path(exists=True, dir_okay=False))
@click.option("--narratives", "narratives_file", type=click.Path(exists=True, dir_okay=False), help="Coarse classes file (default: the shipped taxonomy).")
@click.option("--subnarratives", "subnarratives_file", type=click.Path(exists=True, dir_okay=False), help="Fine classes file (default: the shipped taxonomy).")
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
def evaluate_2025_st2(gold: str, pred: str, narratives_file: str | None, subnarratives_file: str | None, as_json: bool) -> None:
    """Narratives: F1-samples coarse and fine (mean, sd over documents) and macro-F1 coarse."""
    scores = _run(lambda: score_narrative_files(gold, pred, narratives_file, subnarratives_file))
    if as_json:
        click.echo(json.dumps(scores, indent=1))
        return
    click.echo("task 2025-st2")
    click.echo(f"F1@coarse: {scores['f1_samples_coarse']:.3f} ({scores['sd_coarse']:.3f})")
    click.echo(f"F1@fine: {scores['f1_samples_fine']:.3f} ({scores['sd_fine']:.3f})")
    click.echo(f"macro-F1 coarse: {scores['macro_f1_coarse']:.3f}")
    click.echo(f"documents: {scores['documents']}")
