"""The word n-gram TF-IDF layer of the technique model: vocabulary, sentence classifiers, span-classifier block.

Trained with scikit-learn, exported as a term list (``tfidf.json``) and float16
coefficients (``span.npz``); inference is :class:`narrascope.detect.techniques.TfidfVocabulary`.
"""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from narrascope.nlp.sentences import split_sentences

from techniques_data import Article

MAX_TERMS = 12000  # keeps the shipped coefficients near 1.5 MB


def sentence_rows(articles: list[Article], names: list[str]) -> tuple[list[str], np.ndarray]:
    """Every sentence of the articles with its technique set (a span counts where it covers non-space text)."""
    col = {n: j for j, n in enumerate(names)}
    texts, ys = [], []
    for a in articles:
        for s, e in split_sentences(a.text):
            y = np.zeros(len(names), dtype=bool)
            for sp in a.spans:
                if sp.start < e and sp.end > s and a.text[max(s, sp.start) : min(e, sp.end)].strip():
                    y[col[sp.technique]] = True
            texts.append(a.text[s:e])
            ys.append(y)
    return texts, np.array(ys).reshape(-1, len(names))


def fit_vocabulary(train: list[Article], max_terms: int = MAX_TERMS) -> TfidfVectorizer:
    texts = [a.text[s:e] for a in train for s, e in split_sentences(a.text)]
    return TfidfVectorizer(ngram_range=(1, 2), min_df=3, sublinear_tf=True, max_features=max_terms, dtype=np.float32).fit(texts)


def terms_of(vec: TfidfVectorizer) -> list[str]:
    terms = [""] * len(vec.vocabulary_)
    for t, i in vec.vocabulary_.items():
        terms[i] = t
    return terms


def train_sentence_classifiers(vec: TfidfVectorizer, train: list[Article], names: list[str], C: float = 2.0):
    """One logistic regression per technique over a sentence's TF-IDF; (coef [k, V], intercept [k])."""
    texts, Y = sentence_rows(train, names)
    X = vec.transform(texts)
    coef = np.zeros((len(names), X.shape[1]), dtype=np.float32)
    intercept = np.full(len(names), -8.0, dtype=np.float32)  # never fires for techniques without examples
    for j in range(len(names)):
        if Y[:, j].sum() >= 3:
            clf = LogisticRegression(C=C, max_iter=2000).fit(X, Y[:, j])
            coef[j], intercept[j] = clf.coef_[0], clf.intercept_[0]
    return coef, intercept
