"""Train the quote tagger and write ``src/narrascope/models/quotes/tagger.npz`` + ``tagger.json``.

    python training/quotes_tagger.py                # train on PolNeAR train "fit", choose decoding on "tune"
    python training/quotes_tagger.py --report-dev   # also score PolNeAR dev once with the written files

The split is the rule scorer's (``training/quotes.py``): PolNeAR train by a salted
hash of the article name, 80 % "fit" (the tagger's training articles), 20 % "tune"
(the decoding thresholds). PolNeAR dev is never used for a choice. The rule frames
given to the tagger as inputs come from the shipped rule scorer (``model.json``),
which was fitted on the same "fit" articles. About 25 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np

from narrascope.nlp.encoder import get_encoder, tokens_overlapping
from narrascope.nlp.quote_tagger import (
    CHUNK,
    CONFIG_FILE,
    WEIGHTS_FILE,
    N_RULE_FEATURES,
    QuoteTagger,
    attributions,
    build_lstm,
    chunks,
    decode,
    rule_features,
    tagger_inputs,
    window_probabilities,
)
from narrascope.nlp.quotes import QuoteModel, extract_quotes, find_quotes, polnear_documents, quoted_spans, score_quotes

sys.path.insert(0, str(Path(__file__).resolve().parent))
from quotes import OUT, POLNEAR, split_of  # noqa: E402

INPUTS = ["mid", "emb", "rules"]
HIDDEN = 128
EPOCHS = 10  # 6 and 10 tie on tune overlap F1 (0.778); 10 has better exact, cue and source scores
GRID = {"content_threshold": [0.3, 0.35, 0.4, 0.45, 0.5], "min_tokens": [1, 2, 3]}


def token_labels(offsets: np.ndarray, gold) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per token: content 0 outside / 1 inside / 2 first token of an outermost content; cue; source."""
    content = np.zeros(len(offsets), dtype=np.int64)
    cue = np.zeros(len(offsets), dtype=np.float32)
    source = np.zeros(len(offsets), dtype=np.float32)
    for g in gold:
        for piece in g.parts or [g.content]:
            content[tokens_overlapping(offsets, *piece)] = 1
        if g.cue:
            cue[tokens_overlapping(offsets, *g.cue)] = 1
        if g.source:
            source[tokens_overlapping(offsets, *g.source)] = 1
    spans = [g.content for g in gold]
    for g in gold:
        s, e = g.content
        if any(cs <= s and e <= ce and (cs, ce) != (s, e) for cs, ce in spans):
            continue  # nested in another content: no new start
        idx = tokens_overlapping(offsets, *(g.parts or [g.content])[0])
        if len(idx):
            content[idx[0]] = 2
    return content, cue, source


def prepare(docs, rules: QuoteModel) -> dict[str, dict]:
    """Encoder pass, rule frames, inputs and labels of every article."""
    encoder = get_encoder()
    out = {}
    t0 = time.time()
    for i in range(0, len(docs), 8):
        chunk = docs[i : i + 8]
        for (name, text, gold), enc in zip(chunk, encoder.encode_texts([t for _, t, _ in chunk])):
            frames = extract_quotes(text, None, None, rules)
            quoted = quoted_spans(text)
            x = tagger_inputs(enc, rule_features(text, enc.offsets, frames, quoted), INPUTS)
            yc, ycue, ysrc = token_labels(enc.offsets, gold)
            out[name] = {"x": x, "enc": enc, "frames": frames, "quoted": quoted, "text": text, "gold": gold, "yc": yc, "ycue": ycue, "ysrc": ysrc}
        if (i // 8) % 20 == 0:
            print(f"  encoded {i + len(chunk)}/{len(docs)} ({time.time() - t0:.0f} s)", flush=True)
    return out


def chunks_of(items: dict[str, dict], names: list[str]) -> list[tuple[str, int, int]]:
    """Training windows: the windows the tagger reads at inference (``quote_tagger.chunks``)."""
    return [(n, a, b) for n in names for a, b in chunks(items[n]["x"][:, -2])]


def tune_f1(net, items: dict[str, dict], names: list[str]) -> float:
    """Content overlap F1 on ``names`` with the default decoding (progress report only)."""
    net.eval()
    triples = [(items[n]["text"], items[n]["gold"], decode(items[n]["text"], items[n]["enc"].offsets, window_probabilities(net, items[n]["x"])))
               for n in names]
    return score_quotes(triples).overlap_f1


def train(items: dict[str, dict], fit: list[str], epochs: int, seed: int = 0, tune: list[str] | None = None):
    import torch
    import torch.nn as nn

    torch.manual_seed(seed)
    d_in = items[fit[0]]["x"].shape[1]
    net = build_lstm(d_in, HIDDEN)
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda ep: 0.5 * (1 + np.cos(np.pi * ep / epochs)))
    ce, bce = nn.CrossEntropyLoss(reduction="none"), nn.BCEWithLogitsLoss(reduction="none")
    windows = chunks_of(items, fit)
    rng = np.random.default_rng(seed)
    for ep in range(epochs):
        net.train()
        t0, total = time.time(), 0.0
        order = rng.permutation(len(windows))
        for i in range(0, len(order), 32):
            batch = [windows[j] for j in order[i : i + 32]]
            lengths = torch.tensor([b - a for _, a, b in batch])
            width = int(lengths.max())
            x = torch.zeros(len(batch), width, d_in)
            m = torch.zeros(len(batch), width)
            yc = torch.zeros(len(batch), width, dtype=torch.long)
            ycue, ysrc = torch.zeros(len(batch), width), torch.zeros(len(batch), width)
            for r, (n, a, b) in enumerate(batch):
                it = items[n]
                x[r, : b - a] = torch.from_numpy(it["x"][a:b])
                m[r, : b - a] = 1
                yc[r, : b - a] = torch.from_numpy(it["yc"][a:b])
                ycue[r, : b - a] = torch.from_numpy(it["ycue"][a:b])
                ysrc[r, : b - a] = torch.from_numpy(it["ysrc"][a:b])
            z = net(x, lengths)
            loss = ce(z[..., :3].reshape(-1, 3), yc.reshape(-1)).reshape(m.shape) + bce(z[..., 3], ycue) + bce(z[..., 4], ysrc)
            loss = (loss * m).sum() / m.sum()
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
            total += float(loss.detach())
        sched.step()
        report = f", tune overlap F1 {tune_f1(net, items, tune):.4f}" if tune else ""
        print(f"  epoch {ep + 1}/{epochs}: loss {total:.2f} ({time.time() - t0:.0f} s){report}", flush=True)
    return net.eval()


def export(net, d_in: int, decode_options: dict, epochs: int = EPOCHS) -> tuple[dict[str, np.ndarray], dict]:
    state = {k: v.detach().numpy().astype(np.float16) for k, v in net.state_dict().items()}
    config = {"inputs": INPUTS, "d_in": d_in, "hidden": HIDDEN, "decode": decode_options,
              "trained_on": "PolNeAR train, fit slice (training/quotes.split_of)", "epochs": epochs, "chunk": CHUNK}
    return state, config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polnear", type=Path, default=POLNEAR)
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--report-dev", action="store_true", help="score PolNeAR dev once with the written files")
    args = parser.parse_args()
    t0 = time.time()
    rule_model = QuoteModel.load()
    frames_model = rule_model.with_threshold(0.0)
    train_docs = polnear_documents(args.polnear / "train")
    print(f"PolNeAR train: {len(train_docs)} articles; encoding", flush=True)
    items = prepare(train_docs, frames_model)
    fit = sorted(n for n in items if split_of(n) == "fit")
    tune = sorted(n for n in items if split_of(n) == "tune")
    print(f"{len(fit)} fit / {len(tune)} tune articles")
    net = train(items, fit, args.epochs, tune=tune)
    d_in = items[fit[0]]["x"].shape[1]
    state, config = export(net, d_in, {}, args.epochs)
    tagger = QuoteTagger(state, config)  # the exported float16 weights, as shipped

    probs = {n: tagger.probabilities(items[n]["x"]) for n in tune}
    kept = {n: [a for a in items[n]["frames"] if a.score >= rule_model.threshold] for n in tune}
    features = {n: items[n]["x"][:, -N_RULE_FEATURES:] for n in tune}
    best = None
    for values in itertools.product(*GRID.values()):
        options = dict(zip(GRID, values))
        scores = score_quotes((items[n]["text"], items[n]["gold"],
                               attributions(items[n]["text"], items[n]["enc"].offsets, probs[n], features[n], items[n]["quoted"], kept[n], None,
                                            **options))
                              for n in tune)
        print(f"  {options}: tune overlap F1 {scores.overlap_f1:.4f}, exact {scores.exact_f1:.3f}, cue {scores.cue_f1:.3f}, source {scores.source_accuracy:.3f}")
        if best is None or scores.overlap_f1 > best[0] + 1e-9:
            best = (scores.overlap_f1, options)
    config["decode"] = best[1]
    print("chosen decoding:", best[1])
    OUT.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT / WEIGHTS_FILE, **state)
    (OUT / CONFIG_FILE).write_text(json.dumps(config, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    tagger = QuoteTagger(state, config)
    rules_tune = score_quotes((items[n]["text"], items[n]["gold"], extract_quotes(items[n]["text"])) for n in tune)
    tagged_tune = score_quotes((items[n]["text"], items[n]["gold"], find_quotes(items[n]["text"], None, None, items[n]["enc"])) for n in tune)
    print("tune, rules:", rules_tune.as_dict())
    print("tune, tagger (shipped path):", tagged_tune.as_dict())
    print(f"wrote {OUT / WEIGHTS_FILE} and {OUT / CONFIG_FILE} in {time.time() - t0:.0f} s")
    if args.report_dev:
        dev = polnear_documents(args.polnear / "dev")
        encoded = get_encoder().encode_texts([t for _, t, _ in dev])
        print("DEV (reported once), tagger:", score_quotes((t, g, find_quotes(t, None, None, e)) for (_, t, g), e in zip(dev, encoded)).as_dict())
        print("DEV rules:", score_quotes((t, g, extract_quotes(t)) for _, t, g in dev).as_dict())


if __name__ == "__main__":
    sys.exit(main())
