"""LoRA adapters of MiniLM's top layers for the techniques head, branching off the shared pass.

    python training/techniques_branch.py [--epochs 6] [--lr 2e-3] [--rank 16] [--out DIR]

Called by ``training/techniques.py`` (step 2); standalone it is the experiment
command (writes adapters.npz, head.npz and branch.json to ``--out``, default
``.cache/techniques/branch/``), starting from the head that techniques.py trained
on the shared pass (``.cache/techniques/frozen_head.npz``).

Every other head reads the frozen shared pass. The techniques head gets its own
copy of the encoder's layers above ``LAYER`` (layers 5-6 of 6), adapted with
low-rank (LoRA, rank 16, on all six linear maps of each layer) updates plus
retrained layer norms, run on the shared pass's hidden state after layer 4:
the extra cost at inference is two layers, not a second pass. ``--layer 2``
adapts layers 3-6 instead (the shared pass must keep layer 2: ``KEPT_LAYERS``
in ``nlp/encoder.py``); measured and not kept, see docs/models/techniques.md. Adapters and
head train together on the "train" split (AdamW, warm-up then linear decay);
the epoch with the best validation paragraph micro-F1 (cuts tuned on
validation, both line layouts) is kept. Never reads "test".
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from techniques_data import CACHE, load_corpus  # noqa: E402
from techniques import HEAD, SEED, base_config, labels, sentence_targets, token_targets  # noqa: E402

from narrascope.nlp.encoder import KEPT_LAYERS, EncodedText, get_encoder, run_layers  # noqa: E402

OUT = CACHE / "branch"
LAYER = 4  # the adapted layers start above this one (one of the shared pass's KEPT_LAYERS)


def shared_pass(texts: list[str], layer: int = LAYER, chunk: int = 32) -> list[EncodedText]:
    """The shared pass over ``texts`` as the stage computes it; each window's hidden state after
    ``layer`` layers (the adapted layers' input) is kept as float16, and the final embeddings are dropped."""
    enc = get_encoder()
    out: list[EncodedText] = []
    t0 = time.perf_counter()
    for b in range(0, len(texts), chunk):
        for e in enc.encode_texts(texts[b : b + chunk]):
            e.kept = {layer: [x.astype(np.float16) for x in e.kept[layer]]}
            e.token_embeddings = np.zeros((0, 0), dtype=np.float32)  # not needed here: memory
            out.append(e)
        print(f"shared pass: {len(out)}/{len(texts)} texts, {time.perf_counter() - t0:.0f}s", flush=True)
    return out


def make_branch(rank: int, alpha: float, layer: int = LAYER):
    """A copy of the encoder's top layers with LoRA adapters on every linear map."""
    import torch
    from torch import nn

    class LoRA(nn.Module):
        def __init__(self, base: nn.Linear):
            super().__init__()
            self.base = base
            for p in base.parameters():
                p.requires_grad_(False)
            self.A = nn.Parameter(torch.randn(rank, base.in_features) / np.sqrt(base.in_features))
            self.B = nn.Parameter(torch.zeros(base.out_features, rank))
            self.scale = alpha / rank

        def forward(self, x):
            return self.base(x) + (x @ self.A.t() @ self.B.t()) * self.scale

    layers = copy.deepcopy(get_encoder().model.encoder.layer[layer:])
    for layer in layers:
        att = layer.attention
        att.self.query, att.self.key, att.self.value = LoRA(att.self.query), LoRA(att.self.key), LoRA(att.self.value)
        att.output.dense = LoRA(att.output.dense)
        layer.intermediate.dense = LoRA(layer.intermediate.dense)
        layer.output.dense = LoRA(layer.output.dense)
    return layers


def examples(encoded: list[EncodedText], texts, spans_of, names, layer: int = LAYER):
    """Windows as training examples: hidden state, targets of the kept tokens, sentences inside."""
    out = []
    for enc, text, spans in zip(encoded, texts, spans_of):
        y = token_targets(enc, spans, names)
        ranges, ys = sentence_targets(enc, text, spans, names)
        for (s, n, lo, hi), hidden in zip(enc.windows, enc.kept[layer]):
            sents = [(a - s, b - s, ys[j]) for j, (a, b) in enumerate(ranges) if a >= s + lo and b <= s + hi]
            keep = np.zeros(n, dtype=np.float32)
            keep[lo:hi] = 1
            out.append((hidden, y[s : s + n], keep, sents))
    return out


def batch_loss(layers, head, batch, n_out):
    import torch
    import torch.nn.functional as F

    longest = max(len(h) for h, _, _, _ in batch)
    H = torch.zeros(len(batch), longest, 384)
    A = torch.zeros(len(batch), longest)
    Y = torch.zeros(len(batch), longest - 2, n_out)
    M = torch.zeros(len(batch), longest - 2, 1)
    ranges, ys = [], []
    for r, (h, y, keep, sents) in enumerate(batch):
        H[r, : len(h)] = torch.from_numpy(h.astype(np.float32))
        A[r, : len(h)] = 1
        Y[r, : len(y)] = torch.from_numpy(y)
        M[r, : len(keep), 0] = torch.from_numpy(keep)
        for a, b, yy in sents:
            ranges.append((r, a, b))
            ys.append(yy)
    out = run_layers(layers, H, A)[:, 1:-1]  # drop [CLS]; the last column is [SEP] or padding
    logits, h = head(out)
    token_loss = (F.binary_cross_entropy_with_logits(logits, Y, reduction="none") * M).sum() / (M.sum() * n_out)
    if not ranges:
        return token_loss
    return token_loss + F.binary_cross_entropy_with_logits(head.sentence_logits(h, ranges), torch.from_numpy(np.stack(ys)))


def val_f1(layers, head, va_encoded, val, names, layer: int = LAYER) -> tuple[float, float]:
    """Validation paragraph micro-F1 (sentence lines, paragraph lines) with cuts tuned on validation, head alone."""
    from techniques import tune_line_decisions

    from narrascope.detect.techniques import TechniqueModel

    layers.eval()
    head.eval()
    adapted = get_encoder().run_top_layers(layers, va_encoded, layer)  # the adapted encoding, as the stage computes it
    enc = {a.id: EncodedText(emb, e.offsets, e.text_length) for a, e, emb in zip(val, va_encoded, adapted)}
    weights = {k: v.detach().numpy().astype(np.float32) for k, v in head.state_dict().items()}
    model = TechniqueModel(weights, base_config(names))
    res = tune_line_decisions(model, val, enc, log=lambda *_: None, weight_on_halves=False)["val_micro_f1"]
    return res["sentence_lines"], res["paragraph_lines"]


def train_branch(train, val, names, init_head: dict[str, np.ndarray], epochs: int = 6, lr: float = 2e-3, rank: int = 16, batch: int = 16,
                 layer: int = LAYER, log=print):
    """LoRA adapters of the top layers and the head, trained together on ``train``; the epoch with
    the best validation paragraph micro-F1 (both layouts) is kept. Returns (adapters, head weights, info)."""
    import torch

    from narrascope.detect.techniques import build_head

    torch.set_num_threads(os.cpu_count() or 1)  # the backward pass through the top layers wants every core
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    t0 = time.perf_counter()
    if layer not in KEPT_LAYERS:
        raise SystemExit(f"the shared pass keeps layers {KEPT_LAYERS}, not {layer}")
    tr_items = shared_pass([a.text for a in train], layer)
    va_items = shared_pass([a.text for a in val], layer)
    log(f"shared pass (kept after {layer} layers) over {len(train)} + {len(val)} articles: {time.perf_counter() - t0:.0f}s")
    tr = examples(tr_items, [a.text for a in train], [a.spans for a in train], names, layer)
    alpha = 2.0 * rank
    layers = make_branch(rank, alpha, layer)
    head = build_head(len(names), **HEAD)
    head.load_state_dict({k: torch.from_numpy(np.asarray(v, dtype=np.float32)) for k, v in init_head.items()})
    params = [p for p in layers.parameters() if p.requires_grad]
    log(f"adapter parameters: {sum(p.numel() for p in params)}")
    opt = torch.optim.AdamW([*params, *head.parameters()], lr=lr, weight_decay=1e-4)
    total_steps = epochs * ((len(tr) + batch - 1) // batch)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: min(1.0, (step + 1) / 50) * max(0.0, 1 - step / total_steps))
    f = val_f1(layers, head, va_items, val, names, layer)
    log(f"epoch 0 (shared pass, initial head): val paragraph micro-F1 {f[0]:.3f} sentence lines / {f[1]:.3f} paragraph lines")
    best, best_state = f[0] + f[1], None
    for epoch in range(epochs):
        layers.train()
        head.train()
        order = sorted(range(len(tr)), key=lambda k: len(tr[k][0]) + rng.integers(0, 40))
        batches = [order[b : b + batch] for b in range(0, len(order), batch)]
        rng.shuffle(batches)
        t1, total = time.perf_counter(), 0.0
        for bidx in batches:
            loss = batch_loss(layers, head, [tr[k] for k in bidx], len(names))
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_([*params, *head.parameters()], 1.0)
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(bidx)
        f = val_f1(layers, head, va_items, val, names, layer)
        log(f"epoch {epoch + 1}: train loss {total / len(tr):.4f}  val paragraph micro-F1 {f[0]:.3f} / {f[1]:.3f}  ({time.perf_counter() - t1:.0f}s)")
        if f[0] + f[1] > best:
            best = f[0] + f[1]
            best_state = ({k: t.detach().clone() for k, t in layers.state_dict().items()}, {k: t.detach().clone() for k, t in head.state_dict().items()})
    if best_state is None:
        raise SystemExit("no epoch beat the shared pass on validation: keep the head without adapters (--no-branch)")
    layers.load_state_dict(best_state[0])
    head.load_state_dict(best_state[1])
    # The low-rank factors and the layer norms (which train with them); the frozen weights stay in the base package.
    trained = {n for n, p in layers.named_parameters() if p.requires_grad}
    adapters = {k: v.numpy().astype(np.float32 if "LayerNorm" in k else np.float16) for k, v in layers.state_dict().items() if k in trained}
    head_weights = {k: v.numpy().astype(np.float16) for k, v in head.state_dict().items()}
    info = {"layer": layer, "rank": rank, "alpha": alpha, "epochs": epochs, "lr": lr,
            "val_micro_f1_sum": round(best, 4), "seconds": round(time.perf_counter() - t0)}
    return adapters, head_weights, info


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--init-head", type=Path, default=CACHE / "frozen_head.npz", help="head trained on the shared pass (training/techniques.py writes it)")
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--rank", type=int, default=16)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--layer", type=int, default=LAYER, choices=KEPT_LAYERS, help="adapt the layers above this one (default: %(default)s)")
    ap.add_argument("--out", type=Path, default=OUT, help="where to write adapters.npz, head.npz, branch.json")
    args = ap.parse_args()
    names = labels()
    articles = [a for a in load_corpus() if a.split != "test"]
    train = [a for a in articles if a.split == "train"]
    val = [a for a in articles if a.split == "val"]
    adapters, head, info = train_branch(train, val, names, dict(np.load(args.init_head)), args.epochs, args.lr, args.rank, layer=args.layer)
    args.out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out / "adapters.npz", **adapters)
    np.savez_compressed(args.out / "head.npz", **head)
    (args.out / "branch.json").write_text(json.dumps(info) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
