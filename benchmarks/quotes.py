"""Quotes and reported speech on PolNeAR dev: our metric for the shipped model, the rules alone and a baseline; speed.

    python benchmarks/quotes.py [--json results.json]

Scores (see ``narrascope.nlp.quotes.score_quotes`` and docs/models/quotes.md):
content overlap P/R/F1, exact-match F1, cue F1 and source accuracy on matched
quotes, for
- the tagger (the default of the ``quotes`` stage: a BiLSTM over the shared MiniLM
  pass that reads the rule frames too, ``models/quotes/tagger.*``);
- the rule model (rules + learned cue words + scorer, ``models/quotes/model.json``;
  the fast profile's method);
- the rules alone (hand lexicon, no learned layer);
- a TF-IDF + logistic-regression baseline: every sentence classified as
  "holds an attribution" or not (trained on PolNeAR train), content = the whole
  sentence, no cue or source;
and the same figures restricted to gold attributions whose content holds a
quotation mark (direct and mixed quotes). Speed: articles/s and words/s of
the rule model (``extract_quotes``), of the tagger given the encoder pass, and of
the encoder pass itself (which the full profile runs once for every head).
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

from narrascope.nlp.encoder import get_encoder
from narrascope.nlp.quotes import QuoteModel, extract_quotes, find_quotes, get_model, polnear_documents, score_quotes
from narrascope.nlp.sentences import split_sentences

POLNEAR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "polnear"
_QUOTE_MARK = re.compile(r"[“”\"«»]")


def tfidf_baseline(train, dev):
    """Sentence classifier baseline: predicted content = every sentence the classifier flags."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    texts, labels = [], []
    for _, text, gold in train:
        golds = [(g.content[0], g.content[1]) for g in gold]
        for s, e in split_sentences(text, "en"):
            texts.append(text[s:e])
            labels.append(int(any(s < ge and gs < e for gs, ge in golds)))
    vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    clf = LogisticRegression(C=4.0, max_iter=2000).fit(vec.fit_transform(texts), labels)
    from narrascope.nlp.quotes import Attribution

    out = []
    for _, text, gold in dev:
        sents = split_sentences(text, "en")
        flags = clf.predict(vec.transform([text[s:e] for s, e in sents])) if sents else []
        out.append((text, gold, [Attribution((s, e)) for (s, e), f in zip(sents, flags) if f]))
    return out


def quoted_only(triples):
    """Gold and predictions restricted to contents that hold a quotation mark."""
    return [(text, [g for g in gold if _QUOTE_MARK.search(text[g.content[0]:g.content[1]])],
             [p for p in pred if _QUOTE_MARK.search(text[p.content[0]:p.content[1]])]) for text, gold, pred in triples]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polnear", type=Path, default=POLNEAR)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    dev = polnear_documents(args.polnear / "dev")
    train = polnear_documents(args.polnear / "train")
    results: dict[str, dict] = {"articles": {"train": len(train), "dev": len(dev)}}

    model = get_model()
    t0 = time.perf_counter()
    ours = [(text, gold, extract_quotes(text, None, None, model)) for _, text, gold in dev]
    elapsed = time.perf_counter() - t0
    words = sum(len(text.split()) for _, text, _ in dev)
    rules = [(text, gold, extract_quotes(text, None, None, QuoteModel.rules_only())) for _, text, gold in dev]
    encoder = get_encoder()
    encoder.encode_texts([dev[0][1]])  # warm-up
    t0 = time.perf_counter()
    encoded = [encoder.encode_texts([text])[0] for _, text, _ in dev]
    encode_s = time.perf_counter() - t0
    find_quotes(dev[0][1], None, None, encoded[0])  # loads the tagger
    t0 = time.perf_counter()
    tagged = [(text, gold, find_quotes(text, None, None, enc)) for (_, text, gold), enc in zip(dev, encoded)]
    tagger_s = time.perf_counter() - t0
    baseline = tfidf_baseline(train, dev)
    for name, triples in (("tagger", tagged), ("model", ours), ("rules_only", rules), ("tfidf_lr_sentences", baseline)):
        results[name] = score_quotes(triples).as_dict()
        results[name + "_quoted"] = score_quotes(quoted_only(triples)).as_dict()
    results["speed"] = {"articles_per_s": round(len(dev) / elapsed, 1), "words_per_s": round(words / elapsed),
                        "ms_per_1000_words": round(1000 * elapsed / words * 1000, 1)}
    results["speed_tagger"] = {"articles_per_s": round(len(dev) / tagger_s, 1),
                               "ms_per_1000_words": round(1000 * tagger_s / words * 1000, 1),
                               "note": "rules + tagger, given the encoder pass"}
    results["speed_encoder"] = {"articles_per_s": round(len(dev) / encode_s, 1),
                                "ms_per_1000_words": round(1000 * encode_s / words * 1000, 1)}
    print(json.dumps(results, indent=1))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
