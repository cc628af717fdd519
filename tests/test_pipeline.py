"""Stage registry, configuration, and per-document failure isolation."""

from __future__ import annotations

import pytest

from narrascope import ConfigError, Document
from narrascope.pipeline import Pipeline, Stage, available_stages, load_config, register_stage


@register_stage
class _Upper(Stage):
    name = "test-upper"

    def process(self, batch):
        for doc in batch:
            if "boom" in doc.text:
                raise RuntimeError("cannot handle boom")
            doc.text = doc.text.upper()
        return batch


def test_default_config_lists_registered_stages():
    config = load_config()
    assert config["pipeline"]["prepare"] == ["extract", "segment", "language", "sentences"]
    assert set(config["pipeline"]["prepare"]) <= set(available_stages())


def test_config_file_overrides_and_unknown_stage_is_a_clear_error(tmp_path):
    good = tmp_path / "p.toml"
    good.write_text('[pipeline]\nprepare = ["extract", "segment"]\n[dedup]\nthreshold = 0.9\n', encoding="utf-8")
    config = load_config(good)
    assert config["pipeline"]["prepare"] == ["extract", "segment"] and config["dedup"]["threshold"] == 0.9
    assert config["dedup"]["num_perm"] == 128  # untouched defaults stay
    bad = tmp_path / "bad.toml"
    bad.write_text('[pipeline]\nanalyze = ["no-such-stage"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="no-such-stage"):
        load_config(bad)
    broken = tmp_path / "broken.toml"
    broken.write_text("[pipeline\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="broken.toml"):
        load_config(broken)


def test_one_failing_document_does_not_cost_the_batch():
    docs = [Document(source=f"d{i}", text=t) for i, t in enumerate(["ok", "boom", "fine"])]
    out = Pipeline.from_names(["test-upper"])(docs)
    assert [d.text for d in out] == ["OK", "boom", "FINE"]
    assert "cannot handle boom" in out[1].meta["problem"]
    assert "problem" not in out[0].meta
