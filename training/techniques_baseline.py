"""The TF-IDF + logistic-regression baseline, trained on the same split, to show what the head adds.

- paragraphs: one classifier per technique over the TF-IDF of a line (trained on
  paragraph lines and sentence lines, global threshold tuned on validation);
- SI: a sentence classifier ("uses some technique"); predicted spans are whole sentences;
- TC: a multinomial classifier over the TF-IDF of the span text.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from narrascope.nlp.sentences import split_sentences
from narrascope.semeval import TechniqueSpan, line_spans, paragraph_labels_from_spans

from techniques_data import Article, ptc_spans_on_2023_text, sentence_per_line


def _lines(articles: list[Article], per_line: bool):
    texts, labels, keys = [], [], []
    for a in articles:
        text = sentence_per_line(a.text) if per_line else a.text
        gold = paragraph_labels_from_spans({a.id: text}, a.spans)
        for number, s, e in line_spans(text):
            texts.append(text[s:e])
            labels.append(gold[(a.id, number)])
            keys.append((a.id, number))
    return texts, labels, keys


@dataclass
class Baseline:
    vectorizer: TfidfVectorizer
    line_models: dict[str, LogisticRegression]
    line_threshold: float
    si_model: LogisticRegression
    si_threshold: float
    tc_vectorizer: TfidfVectorizer
    tc_model: LogisticRegression

    def line_labels(self, texts: list[str]) -> list[frozenset[str]]:
        X = self.vectorizer.transform(texts)
        probs = {t: m.predict_proba(X)[:, 1] for t, m in self.line_models.items()}
        return [frozenset(t for t, p in probs.items() if p[i] >= self.line_threshold) for i in range(len(texts))]

    def si_spans(self, article_id: str, text: str) -> list[TechniqueSpan]:
        sents = split_sentences(text)
        if not sents:
            return []
        p = self.si_model.predict_proba(self.vectorizer.transform([text[s:e] for s, e in sents]))[:, 1]
        return [TechniqueSpan(article_id, s, e) for (s, e), q in zip(sents, p) if q >= self.si_threshold]

    def tc_labels(self, span_texts: list[str]) -> list[str]:
        return list(self.tc_model.predict(self.tc_vectorizer.transform(span_texts)))


def _best_global_threshold(probs: np.ndarray, gold: np.ndarray) -> float:
    best = (-1.0, 0.5)
    for t in np.arange(0.05, 0.9, 0.025):
        pred = probs >= t
        tp = float((pred & gold).sum())
        f = 2 * tp / (pred.sum() + gold.sum()) if pred.sum() + gold.sum() else 0.0
        best = max(best, (f, float(t)))
    return best[1]


def train_baseline(train: list[Article], val: list[Article]) -> Baseline:
    t1, l1, _ = _lines(train, False)
    t2, l2, _ = _lines(train, True)
    texts, labels = t1 + t2, l1 + l2
    vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=50000).fit(texts)
    X = vec.transform(texts)
    names = sorted({t for ls in labels for t in ls})
    models = {}
    for t in names:
        y = np.array([t in ls for ls in labels])
        if y.sum() >= 2:
            models[t] = LogisticRegression(C=4.0, max_iter=1000, class_weight="balanced").fit(X, y)
    vt, vl, _ = _lines(val, True)
    Xv = vec.transform(vt)
    P = np.stack([models[t].predict_proba(Xv)[:, 1] for t in models], axis=1)
    G = np.array([[t in ls for t in models] for ls in vl])
    line_t = _best_global_threshold(P, G)

    st, sy = [], []
    for a in train:
        for s, e in split_sentences(a.text):
            st.append(a.text[s:e])
            sy.append(any(sp.start < e and sp.end > s for sp in a.spans))
    si = LogisticRegression(C=4.0, max_iter=1000, class_weight="balanced").fit(vec.transform(st), np.array(sy))
    vs, vy = [], []
    for a in val:
        for s, e in split_sentences(a.text):
            vs.append(a.text[s:e])
            vy.append(any(sp.start < e and sp.end > s for sp in a.spans))
    si_t = _best_global_threshold(si.predict_proba(vec.transform(vs))[:, 1], np.array(vy))

    tc_texts, tc_y = [], []
    for a in train:
        for s in ptc_spans_on_2023_text(a):
            tc_texts.append(a.text[s.start : s.end])
            tc_y.append(s.technique)
    tc_vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit(tc_texts)
    tc = LogisticRegression(C=10.0, max_iter=2000).fit(tc_vec.transform(tc_texts), tc_y)
    return Baseline(vec, models, line_t, si, si_t, tc_vec, tc)
