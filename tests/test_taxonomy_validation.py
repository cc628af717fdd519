"""Taxonomy files: loading YAML and TOML, and one clear error per kind of mistake."""

from __future__ import annotations

import textwrap

import pytest

from narrascope.errors import ConfigError
from narrascope.taxonomy import builtin_taxonomies, load_taxonomy

GOOD = """
name: test
description: A test taxonomy.
version: 2
narratives:
  - id: energy
    name: Energy as leverage
    description: Gas prices are used to pressure a neighbour.
    examples: [Moscow raised the gas price to punish Minsk.]
    keywords: [gas]
  - id: gas_cut
    name: Gas supply cut
    parent: energy
    description: Supplies are cut off.
    examples: [The pipeline was shut for a week.]
"""


def write(tmp_path, text, name="t.yaml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def test_yaml_loads(tmp_path):
    tax = load_taxonomy(write(tmp_path, GOOD))
    assert tax.name == "test" and tax.version == "2"
    assert [n.id for n in tax.narratives] == ["energy", "gas_cut"]
    assert tax.get("gas_cut").parent == "energy"
    assert tax.ancestors("gas_cut") == ["energy"]
    assert tax.get("energy").keywords == ("gas",)


def test_toml_loads(tmp_path):
    p = write(tmp_path, """
        name = "test"
        description = "A test taxonomy."
        [[narratives]]
        id = "energy"
        name = "Energy as leverage"
        description = "Gas prices as pressure."
        examples = ["Moscow raised the gas price to punish Minsk."]
        """, "t.toml")
    assert load_taxonomy(p).get("energy").examples == ("Moscow raised the gas price to punish Minsk.",)


def test_builtin_belarus_russia_is_valid():
    assert "belarus_russia" in builtin_taxonomies()
    tax = load_taxonomy("builtin:belarus_russia")
    ids = {n.id for n in tax.narratives}
    assert {"russia_absorbs_belarus", "belarus_pivots_west", "nato_threatens_belarus", "unrest_foreign_funded", "energy_leverage"} <= ids
    assert all(len(n.examples) >= 3 for n in tax.narratives)


def broken(tmp_path, old, new):
    return write(tmp_path, GOOD.replace(old, new))


@pytest.mark.parametrize(
    "old,new,message",
    [
        ("    description: Supplies are cut off.\n", "", "narrative 'gas_cut': missing field 'description'"),
        ("    examples: [The pipeline was shut for a week.]\n", "    examples: []\n", "narrative 'gas_cut': no examples"),
        ("parent: energy", "parent: oil", "narrative 'gas_cut': unknown parent 'oil'"),
        ("id: gas_cut", "id: energy", "narrative 'energy': duplicate id"),
        ("  - id: energy\n", "  - id: energy\n    parent: gas_cut\n", "parent cycle"),
        ("    keywords: [gas]", "    keywords: [gas]\n    colour: red", "narrative 'energy': unknown field(s) colour"),
        ("name: test\n", "", "missing field 'name'"),
        ("    keywords: [gas]", "    keywords: gas: 1", "invalid YAML"),
    ],
)
def test_each_mistake_gets_its_own_error(tmp_path, old, new, message):
    p = broken(tmp_path, old, new)
    with pytest.raises(ConfigError) as err:
        load_taxonomy(p)
    assert message in str(err.value)
    assert str(p) in str(err.value)  # the file is named


def test_missing_file_and_unknown_builtin(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_taxonomy(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="belarus_russia"):
        load_taxonomy("builtin:nope")
