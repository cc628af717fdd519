"""The entities stage with spaCy's NER and with the fast tagger: agreement and speed.

    python benchmarks/entities.py [--json results.json] [--limit N]

There is no gold for names in ``../shared/data``, so this measures how closely the
fast tagger (``ner = "fast"``, the fast profile's) reproduces what the stage finds with
spaCy's ``en_core_web_sm`` (``ner = "spacy"``, the full profile's), on PolNeAR dev
(84 articles the tagger was neither trained nor tuned on):
- the recognisers alone: mentions with the same start, end and type (typed), or the
  same start and end (untyped), as spaCy's; per type;
- the whole stage (gazetteer, tidying, resolution): entity spans, and the actors
  each article names: (article, actor) pairs, and those an article names at least
  three times (its main actors);
- speed: milliseconds per article of each recogniser and of the whole stage, on
  one process, models loaded.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

from narrascope.document import Document
from narrascope.nlp.entities import EntitiesStage, fast_mentions, gazetteer_mentions, ner_mentions
from narrascope.nlp.gazetteer import ENTITY_TYPES
from narrascope.pipeline import Pipeline

DEV = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "polnear" / "dev" / "text"


def prf(tp: int, n_pred: int, n_gold: int) -> dict[str, float]:
    p, r = tp / max(n_pred, 1), tp / max(n_gold, 1)
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / max(p + r, 1e-9), 4),
            "predicted": n_pred, "reference": n_gold}


def compare(pred: list[set], gold: list[set]) -> dict[str, float]:
    return prf(sum(len(p & g) for p, g in zip(pred, gold)), sum(map(len, pred)), sum(map(len, gold)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", type=Path, default=DEV, help="folder of plain-text English articles")
    parser.add_argument("--limit", type=int, default=0, help="only the first N articles")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    paths = sorted(args.dev.glob("*.txt"))[: args.limit or None]
    docs = [Document(source=str(p), text=p.read_text(encoding="utf-8"), language="en") for p in paths]
    Pipeline.from_names(["sentences"])(docs)
    words = sum(len(d.text.split()) for d in docs)
    results: dict = {"articles": len(docs), "words_per_article": round(words / len(docs))}

    # the recognisers alone
    from narrascope.nlp.gazetteer import load_gazetteer

    gazetteer = load_gazetteer(())
    sentences = [[(s.start, s.end) for s in d.sentences] for d in docs]
    known = [gazetteer_mentions(d.text, gazetteer) for d in docs]
    ner_mentions([docs[0].text], [sentences[0]])
    fast_mentions(docs[0].text, sentences[0], known[0])  # both models loaded
    t0 = time.perf_counter()
    spacy_found = [ner_mentions([d.text], [s])[0] for d, s in zip(docs, sentences)]
    spacy_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    fast_found = [fast_mentions(d.text, s, k) for d, s, k in zip(docs, sentences, known)]
    fast_s = time.perf_counter() - t0
    typed = lambda ms: {(m.start, m.end, m.label) for m in ms}  # noqa: E731
    results["recogniser"] = {
        "typed": compare([typed(f) for f in fast_found], [typed(s) for s in spacy_found]),
        "untyped": compare([{(m.start, m.end) for m in f} for f in fast_found],
                           [{(m.start, m.end) for m in s} for s in spacy_found]),
        "by_type": {t: compare([{x for x in typed(f) if x[2] == t} for f in fast_found],
                               [{x for x in typed(s) if x[2] == t} for s in spacy_found]) for t in ENTITY_TYPES},
    }

    # the whole stage
    found, stage_s = {}, {}
    for ner in ("spacy", "fast"):
        stage = EntitiesStage({"ner": ner})
        copies = [Document(source=d.source, text=d.text, language="en", spans=list(d.spans)) for d in docs]
        stage.process(copies[:1])
        copies[0].spans = list(docs[0].spans)
        t0 = time.perf_counter()
        stage.process(copies)
        stage_s[ner] = time.perf_counter() - t0
        found[ner] = copies
    spans = {ner: [{(s.start, s.end, s.label) for s in d.spans_of("entity")} for d in found[ner]] for ner in found}
    actors = {ner: [Counter(s.attrs["actor"] for s in d.spans_of("entity")) for d in found[ner]] for ner in found}
    results["stage"] = {
        "entity_spans": compare(spans["fast"], spans["spacy"]),
        "actors": compare([set(c) for c in actors["fast"]], [set(c) for c in actors["spacy"]]),
        "main_actors_3_mentions": compare([{a for a, n in c.items() if n >= 3} for c in actors["fast"]],
                                          [{a for a, n in c.items() if n >= 3} for c in actors["spacy"]]),
    }
    ms = lambda s: round(1000 * s / len(docs), 1)  # noqa: E731
    results["speed_ms_per_article"] = {
        "spacy_ner": ms(spacy_s), "fast_ner": ms(fast_s),
        "stage_spacy": ms(stage_s["spacy"]), "stage_fast": ms(stage_s["fast"]),
        "speed_up_ner": round(spacy_s / fast_s, 1), "speed_up_stage": round(stage_s["spacy"] / stage_s["fast"], 1),
    }
    print(json.dumps(results, indent=1))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
