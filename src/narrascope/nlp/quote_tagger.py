"""The learned quote tagger: a small BiLSTM over the shared encoder pass that marks
quote contents, cues and sources token by token, with the rule frames as extra inputs.

Per encoder token it reads the token's MiniLM states (after layer 4 and after layer 6,
both from the shared pass every head uses) and ten rule features: whether the rules put
the token in a direct / reported / mixed content, the rule frame's score, where the
rule content starts, the rule cue and source, whether the token is inside quote marks,
whether it opens a line and whether a space precedes it. It outputs, per token,
P(outside / inside / first token of a content), P(cue) and P(source).

Decoding (:func:`decode`): a content is a run of tokens with P(inside) + P(first) over
``content_threshold``, split where P(first) wins; runs shorter than ``min_tokens`` are
dropped. Its cue is the nearest cue run outside it, its source the source run nearest
that cue. Where a rule attribution covers about the same words (word-overlap F1 >= 0.5),
its cue, source and speaker are taken instead (the rules know subject phrases and
resolve pronouns). Trained on PolNeAR by ``training/quotes_tagger.py``; see
docs/models/quotes.md.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from ..errors import ModelError
from .encoder import EncodedText, tokens_overlapping
from .quotes import MODEL_PACKAGE, OPEN_CLOSE, Attribution, _resolve_speakers, quoted_spans, word_set

N_RULE_FEATURES = 10
MIN_QUOTED_WORDS = 5  # fewer words, all in quote marks, with no frame: scare quotes (as in the rules)
_WORD = re.compile(r"\w+")
_KINDS = {"direct": 0, "reported": 1, "mixed": 2}
WEIGHTS_FILE = "tagger.npz"
CONFIG_FILE = "tagger.json"


def rule_features(text: str, offsets: np.ndarray, frames: list[Attribution], quoted: list[tuple[int, int]]) -> np.ndarray:
    """The ten rule and layout features of each token (``offsets``: [n, 2] char spans) given every rule
    frame and the quoted stretches of the text (:func:`quotes.quoted_spans`)."""
    f = np.zeros((len(offsets), N_RULE_FEATURES), dtype=np.float32)
    if not len(offsets):
        return f
    for a in frames:
        idx = tokens_overlapping(offsets, *a.content)
        f[idx, _KINDS.get(a.kind, 1)] = 1
        f[idx, 3] = np.maximum(f[idx, 3], a.score)
        if len(idx):
            f[idx[0], 4] = 1
        if a.cue:
            f[tokens_overlapping(offsets, *a.cue), 5] = 1
        if a.source:
            f[tokens_overlapping(offsets, *a.source), 6] = 1
    for rs, re_ in quoted:
        f[tokens_overlapping(offsets, rs, re_), 7] = 1
    prev_end = np.concatenate([[0], offsets[:-1, 1]])
    gaps = [text[int(p):int(s)] for p, s in zip(prev_end, offsets[:, 0])]
    f[:, 8] = [1.0 if i == 0 or "\n" in g else 0.0 for i, g in enumerate(gaps)]
    f[:, 9] = [1.0 if g else 0.0 for g in gaps]
    return f


def middle_states(encoded: EncodedText) -> np.ndarray:
    """Each token's hidden state after the encoder's BRANCH_LAYER layers, from the kept window inputs."""
    if encoded.windows is None or encoded.branch_input is None:
        raise ModelError("the quote tagger needs the encoder's middle states: encode with the shared Encoder")
    out = np.zeros_like(encoded.token_embeddings)
    for (start, _, lo, hi), states in zip(encoded.windows, encoded.branch_input):
        out[start + lo : start + hi] = states[1 + lo : 1 + hi]
    return out


def tagger_inputs(encoded: EncodedText, features: np.ndarray, inputs: list[str]) -> np.ndarray:
    parts = {"mid": lambda: middle_states(encoded), "emb": lambda: encoded.token_embeddings, "rules": lambda: features}
    return np.concatenate([np.asarray(parts[name](), dtype=np.float32) for name in inputs], axis=1)


CHUNK = 256  # the tagger reads a text in windows of at most this many tokens, as it was trained


def chunks(line_starts: np.ndarray, size: int = CHUNK) -> list[tuple[int, int]]:
    """Token windows [a, b) of at most ``size`` tokens covering a text, each cut at the last line start
    after its first quarter where there is one (``line_starts``: 1 where a token opens a line)."""
    out = []
    total, a = len(line_starts), 0
    while a < total:
        b = min(total, a + size)
        if b < total:
            cuts = np.nonzero(line_starts[a + size // 4 : b])[0]
            if len(cuts):
                b = a + size // 4 + int(cuts[-1])
        out.append((a, b))
        a = b
    return out


def build_lstm(d_in: int, hidden: int):
    import torch.nn as nn

    class Tagger(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.drop = nn.Dropout(0.2)
            self.lstm = nn.LSTM(d_in, hidden, bidirectional=True, batch_first=True)
            self.out = nn.Linear(2 * hidden, 5)

        def forward(self, x, lengths):
            x = self.drop(x)
            packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            h, _ = self.lstm(packed)
            h, _ = nn.utils.rnn.pad_packed_sequence(h, batch_first=True, total_length=x.shape[1])
            return self.out(self.drop(h))

    return Tagger()


class QuoteTagger:
    """The shipped tagger (``models/quotes/tagger.npz`` + ``tagger.json``)."""

    def __init__(self, state: dict[str, np.ndarray], config: dict[str, Any]):
        import torch

        self.config = config
        self.inputs = list(config["inputs"])
        if self.inputs[-1] != "rules":  # the windows are cut where the rule features say a line starts
            raise ModelError(f"quote tagger inputs {self.inputs}: the rule features must come last")
        self.net = build_lstm(int(config["d_in"]), int(config["hidden"]))
        self.net.load_state_dict({k: torch.from_numpy(np.asarray(v, dtype=np.float32)) for k, v in state.items()})
        self.net.eval()
        self.decode_options = dict(config["decode"])

    @classmethod
    def load(cls) -> "QuoteTagger":
        try:
            folder = resources.files(MODEL_PACKAGE)
            config = json.loads(folder.joinpath(CONFIG_FILE).read_text(encoding="utf-8"))
            with folder.joinpath(WEIGHTS_FILE).open("rb") as fh:
                state = dict(np.load(fh))
        except (FileNotFoundError, ModuleNotFoundError) as e:
            raise ModelError(f"quote tagger not found in {MODEL_PACKAGE}: {e}") from e
        return cls(state, config)

    def probabilities(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """P(outside, inside, first) [n, 3], P(cue) [n], P(source) [n] for one text's token inputs [n, d_in]."""
        return window_probabilities(self.net, x)

    def tag(self, text: str, encoded: EncodedText, frames: list[Attribution], kept: list[Attribution],
            entity_spans: list[Any] | None = None) -> list[Attribution]:
        """Attributions of ``text`` from the tagger; ``frames``: every rule frame (scored, speakers resolved),
        ``kept``: the ones over the rule scorer's threshold (they lend cue, source, speaker and kind)."""
        quoted = quoted_spans(text)
        features = rule_features(text, encoded.offsets, frames, quoted)
        probs = self.probabilities(tagger_inputs(encoded, features, self.inputs))
        return attributions(text, encoded.offsets, probs, features, quoted, kept, entity_spans, **self.decode_options)


def window_probabilities(net: Any, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The tagger network's probabilities for one text's token inputs, read in the windows it was trained
    on (:func:`chunks`, cut where rule feature 8 says a line starts) as one padded batch."""
    import torch

    if not len(x):
        return np.zeros((0, 3), dtype=np.float32), np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.float32)
    windows = chunks(x[:, -2])
    batch = np.zeros((len(windows), max(b - a for a, b in windows), x.shape[1]), dtype=np.float32)
    for r, (a, b) in enumerate(windows):
        batch[r, : b - a] = x[a:b]
    with torch.inference_mode():
        z = net(torch.from_numpy(batch), torch.tensor([b - a for a, b in windows]))
    z = torch.cat([z[r, : b - a] for r, (a, b) in enumerate(windows)])
    return (torch.softmax(z[:, :3], -1).numpy(), torch.sigmoid(z[:, 3]).numpy(), torch.sigmoid(z[:, 4]).numpy())


def attributions(text: str, offsets: np.ndarray, probs: tuple[np.ndarray, np.ndarray, np.ndarray], features: np.ndarray,
                 quoted: list[tuple[int, int]], kept: list[Attribution], entity_spans: list[Any] | None = None,
                 **decode_options: Any) -> list[Attribution]:
    """The tagger's attributions from its token probabilities: decoded, given a kind by their quote marks,
    cue, source and speaker lent by a matching rule attribution, scare quotes dropped, speakers resolved."""
    atts = decode(text, offsets, probs, **decode_options)
    scare = set()
    for i, att in enumerate(atts):  # by its quote marks, until a rule attribution says otherwise
        in_marks = features[tokens_overlapping(offsets, *att.content), 7]
        att.kind = "direct" if in_marks.mean() >= 0.9 else "mixed" if in_marks.any() else "reported"
        if in_marks.all() and len(_WORD.findall(text, *att.content)) < MIN_QUOTED_WORDS:
            scare.add(i)
    matches = rule_matches(text, atts, kept)
    atts = borrow_from_rules(text, atts, kept, matches)
    # As in the rules, a few quoted words that no rule frame introduces are a label in scare
    # quotes (‘Western partners’), not somebody's words.
    atts = [a for i, (a, m) in enumerate(zip(atts, matches)) if i not in scare or m is not None]
    _resolve_speakers(text, atts, quoted, entity_spans)
    return atts


def _runs(mask: np.ndarray, offsets: np.ndarray) -> list[tuple[int, int]]:
    """Character spans of the runs of consecutive True tokens."""
    out: list[tuple[int, int]] = []
    idx = np.nonzero(mask)[0]
    start = prev = None
    for i in idx:
        if start is not None and i == prev + 1:
            prev = i
            continue
        if start is not None:
            out.append((int(offsets[start, 0]), int(offsets[prev, 1])))
        start = prev = i
    if start is not None:
        out.append((int(offsets[start, 0]), int(offsets[prev, 1])))
    return out


def _distance(run: tuple[int, int], s: int, e: int) -> int | None:
    """Characters between a run and [s, e), None when the run lies inside it."""
    if run[1] <= s:
        return s - run[1]
    if run[0] >= e:
        return run[0] - e
    return None


def decode(text: str, offsets: np.ndarray, probs: tuple[np.ndarray, np.ndarray, np.ndarray],
           content_threshold: float = 0.4, first_threshold: float = 0.5, min_tokens: int = 2,
           cue_threshold: float = 0.5, source_threshold: float = 0.5, max_cue_distance: int = 200,
           max_source_distance: int = 120, break_at_paragraphs: bool = True) -> list[Attribution]:
    """Attributions (content, cue, source, score) from the tagger's token probabilities.

    ``break_at_paragraphs``: a content never runs on into the next paragraph unless that paragraph
    opens with a quote mark (a quotation continued over paragraphs, as news prints it).
    """
    pc, pcue, psrc = probs
    inside = (pc[:, 1] + pc[:, 2]) >= content_threshold
    spans: list[list[int]] = []
    cur: list[int] | None = None
    for i in range(len(offsets)):
        if not inside[i]:
            cur = None
            continue
        if cur is not None and break_at_paragraphs and i > 0 and _new_paragraph(text, int(offsets[i - 1, 1]), int(offsets[i, 0])):
            cur = None
        if cur is None or (pc[i, 2] >= first_threshold and pc[i, 2] > pc[i, 1]):
            cur = [i, i]
            spans.append(cur)
        else:
            cur[1] = i
    cues = _runs(pcue >= cue_threshold, offsets)
    sources = _runs(psrc >= source_threshold, offsets)
    out = []
    for a, b in spans:
        if b - a + 1 < min_tokens:
            continue
        s, e = int(offsets[a, 0]), int(offsets[b, 1])
        near = [(d, r) for r in cues if (d := _distance(r, s, e)) is not None and d <= max_cue_distance]
        cue = min(near)[1] if near else None
        source = None
        if cue is not None:
            cands = []
            for r in sources:
                if _distance(r, s, e) is None:
                    continue
                d = cue[0] - r[1] if r[1] <= cue[0] else r[0] - cue[1]
                if 0 <= d <= max_source_distance:
                    cands.append((d, r))
            source = min(cands)[1] if cands else None
        else:
            cands = [(d, r) for r in sources if (d := _distance(r, s, e)) is not None and d <= max_cue_distance]
            source = min(cands)[1] if cands else None
        score = float(np.mean(pc[a : b + 1, 1] + pc[a : b + 1, 2]))
        out.append(Attribution((s, e), cue=cue, source=source, score=score))
    return out


_OPENING_QUOTES = "".join(OPEN_CLOSE) + "'"  # the rules' opening marks, and PolNeAR's doubled apostrophe ('')


def _new_paragraph(text: str, end_of_previous: int, start: int) -> bool:
    """Whether a blank line lies between two tokens and the second does not open a quotation."""
    return text.count("\n", end_of_previous, start) >= 2 and text[start : start + 1] not in _OPENING_QUOTES


def rule_matches(text: str, atts: list[Attribution], rules: list[Attribution]) -> list[Attribution | None]:
    """For each attribution, the rule attribution covering about the same words (best word-overlap F1, at
    least 0.5), or None."""
    rule_words = [word_set(text, [r.content]) for r in rules]
    out: list[Attribution | None] = []
    for att in atts:
        words = word_set(text, [att.content])
        best, match = 0.5, None
        for r, rw in zip(rules, rule_words):
            inter = len(words & rw)
            f1 = 2 * inter / (len(words) + len(rw)) if inter else 0.0
            if f1 >= best:
                best, match = f1, r
        out.append(match)
    return out


def borrow_from_rules(text: str, atts: list[Attribution], rules: list[Attribution],
                      matches: list[Attribution | None] | None = None) -> list[Attribution]:
    """Each attribution with the cue, source, speaker and kind of the rule attribution covering about the same
    words (:func:`rule_matches`), where there is one; the rules know subject phrases and resolve pronouns."""
    for att, match in zip(atts, matches if matches is not None else rule_matches(text, atts, rules)):
        if match is None:
            continue
        att.kind = match.kind
        att.cue_lemma, att.cue_form = match.cue_lemma, match.cue_form
        if match.cue or match.source:
            att.cue, att.source, att.speaker = match.cue or att.cue, match.source or att.source, match.speaker
    return atts


@lru_cache(maxsize=1)
def get_tagger() -> QuoteTagger:
    return QuoteTagger.load()
