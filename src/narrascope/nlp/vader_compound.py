"""VADER's compound score, computed by VADER's own rules in a third of the time.

VADER (Hutto & Gilbert 2014, ``vaderSentiment`` 3.3.2, MIT licence) scores a text word
by word: a lexicon word's valence, scaled by "no", negations, boosters before it, ALL
CAPS, idioms, "least", a later "but" and the text's "!" and "?". Its
``polarity_scores`` lowercases the whole word list again for every check of every
lexicon word (about 200 ``str.lower`` calls for a 20-word clause) and walks the text
character by character to look for emojis. :func:`compound` applies the same rules in
the same order, with the same floating-point operations, to a word list lowercased
once; text with an emoji, and the "but" rule (whose quirks are kept only by running it),
go to VADER's own code. ``tests/nlp/test_vader_compound.py`` checks the result equals
``polarity_scores(text)["compound"]`` on every clause the tone stage reads in the seeds
and PolNeAR articles, and on made-up texts for each rule.

The rule functions below follow vaderSentiment's, under its licence:

    The MIT License (MIT). Copyright (c) 2016 C.J. Hutto

    Permission is hereby granted, free of charge, to any person obtaining a copy of this
    software and associated documentation files (the "Software"), to deal in the Software
    without restriction, including without limitation the rights to use, copy, modify,
    merge, publish, distribute, sublicense, and/or sell copies of the Software, and to
    permit persons to whom the Software is furnished to do so, subject to the following
    conditions: The above copyright notice and this permission notice shall be included in
    all copies or substantial portions of the Software.

    THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED,
    INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A
    PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT
    HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF
    CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE
    OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
"""

from __future__ import annotations

from typing import Any

from vaderSentiment.vaderSentiment import (
    BOOSTER_DICT,
    C_INCR,
    N_SCALAR,
    NEGATE,
    SPECIAL_CASES,
    SentiText,
    allcap_differential,
    normalize,
    scalar_inc_dec,
)

_NEGATE = frozenset(NEGATE)
_strip = SentiText._strip_punc_if_word


def compound(analyser: Any, text: str) -> float:
    """``analyser.polarity_scores(text)["compound"]`` (a ``SentimentIntensityAnalyzer``, any lexicon)."""
    if not analyser.emojis.keys().isdisjoint(text):
        return analyser.polarity_scores(text)["compound"]  # VADER swaps emojis for words first
    text = text.strip()
    words = list(map(_strip, text.split()))
    lower = [w.lower() for w in words]
    lexicon = analyser.lexicon
    if not any(map(lexicon.__contains__, lower)):
        return 0.0  # every word scores 0: so does the text
    is_cap_diff = allcap_differential(words)
    n = len(words)
    sentiments: list[float] = []
    for i, item in enumerate(words):
        word = lower[i]
        if word in BOOSTER_DICT or (i < n - 1 and word == "kind" and lower[i + 1] == "of") or word not in lexicon:
            sentiments.append(0)  # a modifier, or no valence of its own
            continue
        valence = lexicon[word]
        if word == "no" and i != n - 1 and lower[i + 1] in lexicon:
            valence = 0.0  # "no" negates the next word instead
        if (i > 0 and lower[i - 1] == "no") or (i > 1 and lower[i - 2] == "no") \
                or (i > 2 and lower[i - 3] == "no" and lower[i - 1] in ("or", "nor")):
            valence = lexicon[word] * N_SCALAR
        if item.isupper() and is_cap_diff:
            if valence > 0:
                valence += C_INCR
            else:
                valence -= C_INCR
        for start_i in range(0, 3):
            if i > start_i and lower[i - (start_i + 1)] not in lexicon:
                s = scalar_inc_dec(words[i - (start_i + 1)], valence, is_cap_diff)
                if start_i == 1 and s != 0:
                    s = s * 0.95
                if start_i == 2 and s != 0:
                    s = s * 0.9
                valence = valence + s
                valence = _negation_check(valence, lower, start_i, i)
                if start_i == 2:
                    valence = _special_idioms_check(valence, lower, i)
        sentiments.append(_least_check(valence, lower, i, lexicon))
    if "but" in lower:
        sentiments = analyser._but_check(words, sentiments)
    sum_s = float(sum(sentiments))
    emphasis = analyser._punctuation_emphasis(text)
    if sum_s > 0:
        sum_s += emphasis
    elif sum_s < 0:
        sum_s -= emphasis
    return round(normalize(sum_s), 4)


def _negated(word: str) -> bool:
    return word in _NEGATE or "n't" in word


def _negation_check(valence: float, lower: list[str], start_i: int, i: int) -> float:
    if start_i == 0:
        if _negated(lower[i - 1]):
            valence = valence * N_SCALAR
    if start_i == 1:
        if lower[i - 2] == "never" and (lower[i - 1] == "so" or lower[i - 1] == "this"):
            valence = valence * 1.25
        elif lower[i - 2] == "without" and lower[i - 1] == "doubt":
            pass
        elif _negated(lower[i - 2]):
            valence = valence * N_SCALAR
    if start_i == 2:
        # VADER's precedence: (never and (so or this)) or (so or this right before the word)
        if lower[i - 3] == "never" and (lower[i - 2] == "so" or lower[i - 2] == "this") \
                or (lower[i - 1] == "so" or lower[i - 1] == "this"):
            valence = valence * 1.25
        elif lower[i - 3] == "without" and (lower[i - 2] == "doubt" or lower[i - 1] == "doubt"):
            pass
        elif _negated(lower[i - 3]):
            valence = valence * N_SCALAR
    return valence


def _special_idioms_check(valence: float, lower: list[str], i: int) -> float:
    onezero = f"{lower[i - 1]} {lower[i]}"
    twoonezero = f"{lower[i - 2]} {lower[i - 1]} {lower[i]}"
    twoone = f"{lower[i - 2]} {lower[i - 1]}"
    threetwoone = f"{lower[i - 3]} {lower[i - 2]} {lower[i - 1]}"
    threetwo = f"{lower[i - 3]} {lower[i - 2]}"
    for seq in (onezero, twoonezero, twoone, threetwoone, threetwo):
        if seq in SPECIAL_CASES:
            valence = SPECIAL_CASES[seq]
            break
    if len(lower) - 1 > i:
        zeroone = f"{lower[i]} {lower[i + 1]}"
        if zeroone in SPECIAL_CASES:
            valence = SPECIAL_CASES[zeroone]
    if len(lower) - 1 > i + 1:
        zeroonetwo = f"{lower[i]} {lower[i + 1]} {lower[i + 2]}"
        if zeroonetwo in SPECIAL_CASES:
            valence = SPECIAL_CASES[zeroonetwo]
    for n_gram in (threetwoone, threetwo, twoone):  # booster bigrams such as "sort of"
        if n_gram in BOOSTER_DICT:
            valence = valence + BOOSTER_DICT[n_gram]
    return valence


def _least_check(valence: float, lower: list[str], i: int, lexicon: dict[str, float]) -> float:
    if i > 1 and lower[i - 1] not in lexicon and lower[i - 1] == "least":
        if lower[i - 2] != "at" and lower[i - 2] != "very":
            valence = valence * N_SCALAR
    elif i > 0 and lower[i - 1] not in lexicon and lower[i - 1] == "least":
        valence = valence * N_SCALAR
    return valence
