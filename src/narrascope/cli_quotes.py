"""CLI for quotes: ``narrascope quotes TEXT_DIR -o FILE.jsonl`` and ``narrascope evaluate quotes GOLD_DIR PRED.jsonl``.

A thin shell over ``nlp/quotes.py``: each text file is one document whose text
is the file's text, so every offset written is an offset into the file.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .nlp.quotes import METHODS, Attribution, find_quotes, polnear_documents, score_quotes


def quotes_of_text(text: str, encoded=None) -> list[dict]:
    """The export records of one text: content, source, cue, speaker (offsets into ``text``).
    With ``encoded`` (the text's shared encoder pass) the tagger finds them, else the rules."""
    return [
        {"content": list(a.content), "source": list(a.source) if a.source else None,
         "cue": list(a.cue) if a.cue else None, "speaker": a.speaker, "kind": a.kind, "score": round(a.score, 4)}
        for a in find_quotes(text, None, None, encoded)
    ]


@click.command("quotes")
@click.argument("text_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="JSONL file to write: one line per text file.")
@click.option("--glob", "pattern", default="*.txt", show_default=True, help="Which files of TEXT_DIR to read.")
@click.option("--method", type=click.Choice(METHODS), default="tagger", show_default=True,
              help="tagger: the learned tagger over the MiniLM pass (about 0.1 s a file); "
                   "rules: the cue lexicon and subject rules alone, no transformer (fast).")
def quotes_command(text_dir: Path, output: Path, pattern: str, method: str) -> None:
    """Quotes and reported speech of every text file in TEXT_DIR, with speakers.

    \b
    Example:
      narrascope quotes ../shared/data/polnear/dev/text -o quotes.jsonl
      narrascope evaluate quotes ../shared/data/polnear/dev quotes.jsonl
    """
    from rich.progress import Progress

    files = sorted(p for p in text_dir.glob(pattern) if p.is_file())
    if not files:
        raise click.ClickException(f"{text_dir}: no files match {pattern!r}")
    encoder = None
    if method == "tagger":
        from .nlp.encoder import get_encoder

        encoder = get_encoder()
    n_quotes = 0
    with output.open("w", encoding="utf-8") as fh, Progress(transient=True, disable=not sys.stderr.isatty()) as progress:
        task = progress.add_task("quotes", total=len(files))
        for path in files:
            text = path.read_text(encoding="utf-8", errors="replace")
            encoded = encoder.encode_texts([text])[0] if encoder is not None else None
            records = quotes_of_text(text, encoded)
            n_quotes += len(records)
            fh.write(json.dumps({"doc": path.name, "quotes": records}, ensure_ascii=False) + "\n")
            progress.advance(task)
    click.echo(f"{len(files)} files, {n_quotes} quotes -> {output}")


@click.command("quotes")
@click.argument("gold_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("pred", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def evaluate_quotes_command(gold_dir: Path, pred: Path) -> None:
    """Score PRED.jsonl (from `narrascope quotes`) against a PolNeAR split (GOLD_DIR with text/ and attributions/)."""
    predicted: dict[str, list[Attribution]] = {}
    for line in pred.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        predicted[Path(rec["doc"]).stem] = [
            Attribution(tuple(q["content"]), tuple(q["cue"]) if q.get("cue") else None,
                        tuple(q["source"]) if q.get("source") else None, q.get("speaker"))
            for q in rec.get("quotes", [])
        ]
    gold = polnear_documents(gold_dir)
    if not gold:
        raise click.ClickException(f"{gold_dir}: no text/*.txt with attributions/*.ann found")
    missing = [name for name, _, _ in gold if name not in predicted]
    if missing:
        click.echo(f"warning: {len(missing)} gold documents have no prediction line (scored as empty)", err=True)
    scores = score_quotes((text, g, predicted.get(name, [])) for name, text, g in gold)
    click.echo(json.dumps({"documents": len(gold), **scores.as_dict()}, indent=1))
