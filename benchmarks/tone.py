"""Tone toward actors, checked against entity roles (there is no tone gold in ../shared/data).

    python benchmarks/tone.py            # every variant on the validation half; prints the choice
    python benchmarks/tone.py --test     # plain VADER and the shipped variant on the test half (report once)
    python benchmarks/tone.py --json out.json

Proxy: the English SemEval-2025 Task 10 subtask 1 annotations
(``../shared/data/semeval2025t10/train/EN``). A mention the annotators cast as
Antagonist should sit in more negative text than a Protagonist or an Innocent.
Reported: the AUC of (-tone) for Antagonist against the other main roles (0.5 =
tone says nothing about the role), and the mean tone per main and per fine role.
Two levels: *mention* (the tone of the one annotated mention's context) and *actor*
(the stage's label for the canonical actor the mention resolves to, i.e. the mean
over all the actor's contexts in the article; gold mentions that no entity span
overlaps are not scored at this level). Articles are split in halves by a salted
hash of the file name: variants are compared on ``val``, ``test`` is printed once.

The documents go through the sentences, entities and quotes stages once; the
result is cached in ``.cache/tone_semeval_en.jsonl`` (gitignored).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / ".." / "shared" / "data" / "semeval2025t10" / "train" / "EN"
CACHE = REPO / ".cache" / "tone_semeval_en.jsonl"

from narrascope.cli_roles import MAIN_ROLES, locate_mentions, read_documents, read_role_rows  # noqa: E402
from narrascope.document import Document, read_jsonl, write_jsonl  # noqa: E402
from narrascope.nlp.tone import ToneOptions, actor_tones, mention_tones  # noqa: E402
from narrascope.pipeline import Pipeline  # noqa: E402

PLAIN = ToneOptions(context="sentence", exclude_own_quotes=False, mask_names=False, domain_lexicon=False)


def half_of(doc: str) -> str:
    """Fixed split by article: half validation, half test."""
    return "val" if int(hashlib.sha1(f"narrascope-tone:{doc}".encode()).hexdigest(), 16) % 2 == 0 else "test"


def analysed_documents() -> dict[str, Document]:
    """The EN articles through sentences + entities + quotes (cached: spaCy over 200 articles takes a minute or two)."""
    texts = read_documents(DATA / "raw-documents")
    if CACHE.exists():
        docs = {d.source: d for d in read_jsonl(str(CACHE))}
        if set(docs) == set(texts):
            return docs
    docs = {name: Document(source=name, text=text, language="en") for name, text in texts.items()}
    t0 = time.perf_counter()
    Pipeline.from_names(["sentences", "entities", "quotes"])(list(docs.values()))
    print(f"analysed {len(docs)} articles in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    CACHE.parent.mkdir(exist_ok=True)
    write_jsonl(docs.values(), str(CACHE))
    return docs


def gold_rows(docs: dict[str, Document]) -> list[dict]:
    """One row per annotated mention: document, span, main and fine roles, the canonical actor it resolves to."""
    path = DATA / "subtask-1-annotations.txt"
    rows = read_role_rows(path, labelled=True)
    spans = locate_mentions(rows, {k: d.text for k, d in docs.items()}, str(path))
    out = []
    for r, (s, e) in zip(rows, spans):
        doc = docs[r.doc]
        ent = next((x for x in doc.spans_of("entity") if x.start < e and s < x.end and x.attrs.get("actor")), None)
        out.append({"doc": r.doc, "start": s, "end": e, "main": r.main_role, "fine": list(r.fine_roles),
                    "actor": ent.attrs["actor"] if ent else None, "entity": r.entity, "half": half_of(r.doc)})
    return out


def score_rows(docs: dict[str, Document], rows: list[dict], options: ToneOptions) -> list[dict]:
    """Each row with its mention tone and its actor tone (None when unscored) under ``options``."""
    by_doc: dict[str, list[dict]] = {}
    for r in rows:
        by_doc.setdefault(r["doc"], []).append(r)
    out = []
    for name, doc_rows in by_doc.items():
        doc = docs[name]
        tones = mention_tones(doc, [(r["start"], r["end"], r["actor"] or r["entity"]) for r in doc_rows], options)
        per_actor = {t.actor: t.score for t in actor_tones(doc, options)}
        for r, t in zip(doc_rows, tones):
            out.append({**r, "mention_tone": t, "actor_tone": per_actor.get(r["actor"]) if r["actor"] else None})
    return out


def auc(positives: list[float], negatives: list[float]) -> float:
    """P(a positive scores above a negative), ties half (Mann-Whitney)."""
    if not positives or not negatives:
        return float("nan")
    values = sorted((v, k) for k, vs in enumerate((negatives, positives)) for v in vs)
    i = 0
    rank_sum = 0.0
    while i < len(values):
        j = i
        while j < len(values) and values[j][0] == values[i][0]:
            j += 1
        mid = (i + j + 1) / 2
        rank_sum += sum(mid for _, k in values[i:j] if k == 1)
        i = j
    n1, n0 = len(positives), len(negatives)
    return (rank_sum - n1 * (n1 + 1) / 2) / (n1 * n0)


def summarise(scored: list[dict], level: str) -> dict:
    key = f"{level}_tone"
    rows = [r for r in scored if r[key] is not None]
    anta = [-r[key] for r in rows if r["main"] == "Antagonist"]
    other = [-r[key] for r in rows if r["main"] != "Antagonist"]
    by_main = {m: [r[key] for r in rows if r["main"] == m] for m in MAIN_ROLES}
    by_fine: dict[str, list[float]] = {}
    for r in rows:
        for f in r["fine"]:
            by_fine.setdefault(f, []).append(r[key])
    mean = lambda v: round(statistics.fmean(v), 4) if v else None  # noqa: E731
    return {
        "scored": len(rows), "of": len(scored), "auc_antagonist": round(auc(anta, other), 4),
        "auc_antagonist_vs_protagonist": round(auc(anta, [-r[key] for r in rows if r["main"] == "Protagonist"]), 4),
        "mean_by_main": {m: {"n": len(v), "mean": mean(v)} for m, v in by_main.items()},
        "mean_by_fine": {f: {"n": len(v), "mean": mean(v)} for f, v in sorted(by_fine.items(), key=lambda kv: mean(kv[1]))},
    }


def variants() -> dict[str, ToneOptions]:
    out = {}
    for context, own, names, lex in itertools.product(("sentence", "clause"), (False, True), (False, True), (False, True)):
        label = context + "".join(f"+{n}" for n, on in (("own-quotes", own), ("mask-names", names), ("domain", lex)) if on)
        out[label] = ToneOptions(context, own, names, lex)
    return out


def name_of(options: ToneOptions) -> str:
    return next(k for k, v in variants().items() if v == options)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--test", action="store_true", help="score plain VADER and the shipped variant on the test half")
    parser.add_argument("--json", dest="json_out", help="write the numbers here")
    args = parser.parse_args()
    if not DATA.exists():
        sys.exit(f"{DATA} is not present")
    docs = analysed_documents()
    rows = gold_rows(docs)
    half = "test" if args.test else "val"
    subset = [r for r in rows if r["half"] == half]
    print(f"{half}: {len({r['doc'] for r in subset})} articles, {len(subset)} mentions "
          f"({sum(r['main'] == 'Antagonist' for r in subset)} Antagonist); "
          f"{sum(r['actor'] is not None for r in subset)} resolve to an entity span")
    chosen = {"plain sentence VADER": PLAIN, "shipped": ToneOptions()} if args.test else variants()
    results = {}
    t0 = time.perf_counter()
    for label, options in chosen.items():
        scored = score_rows(docs, subset, options)
        results[label] = {"options": options.__dict__, "mention": summarise(scored, "mention"), "actor": summarise(scored, "actor")}
    elapsed = time.perf_counter() - t0
    print(f"{'variant':42s} {'AUC mention':>11s} {'AUC actor':>9s} {'A-vs-P actor':>12s}   mean actor tone P / A / I")
    for label, res in results.items():
        means = " / ".join(f"{res['actor']['mean_by_main'][m]['mean']:+.3f}" for m in MAIN_ROLES)
        print(f"{label:42s} {res['mention']['auc_antagonist']:11.3f} {res['actor']['auc_antagonist']:9.3f} "
              f"{res['actor']['auc_antagonist_vs_protagonist']:12.3f}   {means}")
    best = max(results, key=lambda k: (results[k]["actor"]["auc_antagonist"] + results[k]["mention"]["auc_antagonist"]))
    print(f"best on {half} (mean of the two AUCs): {best}; shipped default: {name_of(ToneOptions())}")
    shipped = results.get("shipped") or results[name_of(ToneOptions())]
    print("actor-level mean tone per fine role (shipped):")
    for f, v in shipped["actor"]["mean_by_fine"].items():
        print(f"  {f:22s} n={v['n']:4d} {v['mean']:+.3f}")
    print(f"scoring time: {elapsed / len(chosen):.2f} s per variant over {len({r['doc'] for r in subset})} articles")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({"half": half, "results": results}, indent=1))


if __name__ == "__main__":
    main()
