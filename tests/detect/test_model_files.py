"""The shipped technique model: present, small, consistent with the SemEval label lists."""

from __future__ import annotations

import json
from importlib import resources

from narrascope.detect.techniques import ANY, MODEL_PACKAGE, TechniqueModel, technique_table

SHIPPED = ("head.npz", "adapters.npz", "span.npz", "model.json", "techniques.json", "tfidf.json")


def test_model_files_exist_and_stay_small():
    files = resources.files(MODEL_PACKAGE)
    sizes = {name: len(files.joinpath(name).read_bytes()) for name in SHIPPED}
    assert all(size > 0 for size in sizes.values())
    assert sum(sizes.values()) < 3_000_000, sizes


def test_technique_table_is_the_23_semeval_2023_techniques(semeval_dir):
    official = [l.strip() for l in (semeval_dir / "techniques_subtask3.txt").read_text().splitlines() if l.strip()]
    table = technique_table()
    assert sorted(table) == sorted(official)
    assert all(info.definition for info in table.values())


def test_2020_mapping_uses_only_the_14_ptc_labels():
    ptc = {info.ptc for info in technique_table().values()} - {None}
    assert len(ptc) == 14
    assert technique_table()["False_Dilemma-No_Choice"].ptc == "Black-and-White_Fallacy"
    assert technique_table()["Conversation_Killer"].ptc == "Thought-terminating_Cliches"


def test_model_loads_with_thresholds_for_every_label():
    model = TechniqueModel.load()
    assert model.labels == [*technique_table(), ANY]
    config = json.loads(resources.files(MODEL_PACKAGE).joinpath("model.json").read_text())
    assert set(config["line_thresholds"]) == set(technique_table())
    assert set(config["sentence_line_thresholds"]) == set(technique_table())
    assert 0.0 <= config["tfidf_sentence_weight"] < 1.0
    assert 0 < model.span_threshold < 1
    assert len(config["span_classifiers"]["2020"]) == 14


def test_line_cuts_are_pulled_to_the_global_cut_so_no_technique_is_switched_off():
    """training/techniques.py pulls each tuned cut halfway to one global cut (shrink_cuts): on 55
    validation articles a tuned cut of 1.1 switched Doubt off on sentence lines."""
    config = json.loads(resources.files(MODEL_PACKAGE).joinpath("model.json").read_text())
    assert config["cut_shrink"] == 0.5
    for key in ("line_thresholds", "sentence_line_thresholds"):
        cuts = config[key]
        assert all(0.05 <= t <= 0.6 for t in cuts.values()), cuts
        # the four techniques without a training example all sit at (0.5 + global) / 2, so all equal
        unseen = {cuts[n] for n in ("Appeal_to_Values", "Consequential_Oversimplification", "Appeal_to_Time", "Questioning_the_Reputation")}
        assert len(unseen) == 1
    assert config["sentence_line_thresholds"]["Doubt"] < 1.0


def test_adapters_cover_both_top_layers_and_fit_the_encoder():
    from narrascope.nlp.encoder import BRANCH_LAYER, get_encoder

    model = TechniqueModel.load()
    assert model.config["branch"]["layer"] == BRANCH_LAYER
    layers = get_encoder().model.encoder.layer
    linear = [n for n, m in layers[0].named_modules() if hasattr(m, "weight") and m.weight.dim() == 2]
    assert len(linear) == 6  # query, key, value, attention output, intermediate, output
    for k in range(len(layers) - BRANCH_LAYER):
        for name in linear:
            a, b = model.adapters[f"{k}.{name}.A"], model.adapters[f"{k}.{name}.B"]
            assert a.shape[0] == b.shape[1] == model.config["branch"]["rank"]
            assert float(abs(b).max()) > 0  # trained, not the zero start


def test_a_model_without_adapters_reads_the_shared_pass():
    """training/techniques.py --no-branch writes no adapters: the head then reads the shared encoding."""
    from narrascope.document import Document
    from narrascope.nlp.encoder import CACHE_KEY

    shipped = TechniqueModel.load()
    config = {k: v for k, v in shipped.config.items() if k != "branch"}
    weights = {k: v.detach().numpy() for k, v in shipped.head.state_dict().items()}
    plain = TechniqueModel(weights, config, shipped.span_classifiers)
    doc = Document(source="t", text="The so-called experts lied again about the 'deep state'.")
    assert plain.encode([doc])[0] is doc.cache[CACHE_KEY]
    assert shipped.encode([doc])[0] is doc.cache[CACHE_KEY].branches["techniques"]
