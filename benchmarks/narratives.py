"""Narratives on the held-out test documents (SemEval-2025 T10 subtask 2, English), user taxonomies' fit time, speed.

    python benchmarks/narratives.py [--json results.json]
    python benchmarks/narratives.py --seeds ../shared/data/seeds   # the Belarus–Russia taxonomy on the seed pages

Predicts the "test" split of training/narratives.py with the shipped model through
the same code as ``narrascope semeval 2025-st2`` and prints the official scores
(F1-samples coarse and fine, macro-F1 coarse) beside the TF-IDF + logistic
regression baseline recorded at training time; then the speed of the head alone
(encoder pass cached) and with the encoder, and the fit and match time of the
built-in Belarus–Russia taxonomy.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "training"))

from narratives import gold_rows, load_docs  # noqa: E402

from narrascope.detect.narratives import document_sentences, get_model, narrative_scores, read_taxonomy_classes  # noqa: E402
from narrascope.document import Document  # noqa: E402
from narrascope.nlp.encoder import encode_documents  # noqa: E402


def seeds_demo(seeds_dir: str, taxonomy: str = "builtin:belarus_russia") -> None:
    """Prepare each seed page with the default prepare stages, match the taxonomy, print matches and evidence."""
    import narrascope.taxonomy  # noqa: F401 - registers the stage
    from narrascope.pipeline import Pipeline

    pipeline = Pipeline.from_names(["extract", "segment", "language", "sentences", "taxonomy"],
                                   {"stages": {"taxonomy": {"files": [taxonomy]}}})
    for path in sorted(Path(seeds_dir).glob("*.txt")):
        doc = Document(source=str(path), raw=path.read_text(encoding="utf-8"), raw_format="text")
        pipeline([doc])
        print(f"\n## {path.name}  ({doc.title or ''})")
        for lab in sorted(doc.labels_of("user_narrative"), key=lambda l: -l.score):
            via = f" (via {lab.attrs['via']})" if "via" in lab.attrs else ""
            print(f"- {lab.label} {lab.score:.2f}{via}")
            for s, e in lab.evidence:
                print(f"    “{' '.join(doc.text[s:e].split())[:200]}”")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", help="also write the results here")
    ap.add_argument("--seeds", help="instead: match the built-in taxonomy against the pages in this folder")
    args = ap.parse_args()
    if args.seeds:
        seeds_demo(args.seeds)
        return
    from narratives import DATA

    docs = [d for d in load_docs("EN") if d.split == "test"]
    model = get_model()
    batch = [Document(source=d.id, text=d.text, id=d.id, language="en") for d in docs]
    t0 = time.perf_counter()
    encoded = encode_documents(batch)
    t_enc = time.perf_counter() - t0
    t0 = time.perf_counter()
    preds = {doc.id: model.predict(enc, document_sentences(doc), doc.text) for doc, enc in zip(batch, encoded)}
    t_head = time.perf_counter() - t0
    rows = {k: (p.narrative_labels(), p.subnarrative_labels()) for k, p in preds.items()}
    coarse = read_taxonomy_classes(DATA / "subtask2_narratives.txt")
    fine = read_taxonomy_classes(DATA / "subtask2_subnarratives.txt")
    scores = narrative_scores(gold_rows(docs), rows, coarse, fine)
    n_tokens = sum(len(e.offsets) for e in encoded)
    results = {
        "test_documents": len(docs),
        "ours": scores,
        "baseline_tfidf_lr": (model.config.get("baseline") or {}).get("test"),
        "speed": {"head_docs_per_s": len(docs) / t_head, "encoder_tokens_per_s": n_tokens / t_enc,
                  "end_to_end_docs_per_s": len(docs) / (t_enc + t_head)},
    }

    from narrascope.taxonomy import fit_taxonomy, load_taxonomy, match_document

    tax = load_taxonomy("builtin:belarus_russia")
    fit_taxonomy(tax)  # warm the encoder
    t0 = time.perf_counter()
    fit_taxonomy(tax)
    results["taxonomy_fit_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    for doc in batch:
        match_document(doc, tax)
    results["taxonomy_match_docs_per_s"] = len(batch) / (time.perf_counter() - t0)

    base = results["baseline_tfidf_lr"] or {}
    print(f"test documents: {len(docs)}")
    print(f"{'':24}{'F1@coarse':>10}{'F1@fine':>10}{'macro-F1':>10}")
    print(f"{'ours':24}{scores['f1_samples_coarse']:10.3f}{scores['f1_samples_fine']:10.3f}{scores['macro_f1_coarse']:10.3f}")
    if base:
        print(f"{'TF-IDF + LR baseline':24}{base['f1_samples_coarse']:10.3f}{base['f1_samples_fine']:10.3f}{base['macro_f1_coarse']:10.3f}")
    sp = results["speed"]
    print(f"head: {sp['head_docs_per_s']:.0f} docs/s; encoder: {sp['encoder_tokens_per_s']:.0f} tokens/s; end to end {sp['end_to_end_docs_per_s']:.2f} docs/s")
    print(f"taxonomy: fit {results['taxonomy_fit_s'] * 1000:.0f} ms, match {results['taxonomy_match_docs_per_s']:.0f} docs/s (encoder pass cached)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
