"""Running again over stored inputs: the same analysis skips them, a fuller one analyses them
again, anything else keeps them as stored and says so (``--force`` analyses them again).

Before, an input stored by `--profile fast` was skipped as "unchanged" by a later full run,
which so stored no technique, genre or narrative for it, and said nothing.
"""

from __future__ import annotations

import copy

import duckdb
import pytest

from narrascope.engines.local import analysis_id, analysis_stages, compare_analyses, pipeline_versions, run_analysis
from narrascope.pipeline import load_config
from narrascope.readers import iter_inputs
from narrascope.store import Store

SEEDS = ["002", "003"]  # two of the five seed articles: the Washington Examiner op-ed and the tabloid piece


@pytest.fixture
def seed_files(seeds_dir):
    return [str(next(seeds_dir.glob(f"{n}_*.txt"))) for n in SEEDS]


def fast(analyze: list[str] | None = None, **tone) -> dict:
    config = load_config(profile="fast")  # no transformer: entities, quotes, tone
    if analyze is not None:
        config["pipeline"]["analyze"] = analyze
    config["stages"]["tone"].update(tone)
    return config


def analyse(db, files, config, force=False):
    seen = []
    with Store(db) as store:
        stats = run_analysis(iter_inputs(files), store, config, force=force,
                             on_item=lambda source, status, message: seen.append((status, message)))
    return stats, seen


def rows(db, layer: str) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM labels WHERE layer = ?", [layer]).fetchone()[0]
    finally:
        con.close()


def test_the_same_analysis_skips_stored_inputs(tmp_path, seed_files):
    db = tmp_path / "c.duckdb"
    first, _ = analyse(db, seed_files, fast())
    again, seen = analyse(db, seed_files, fast())
    assert (first.stored, again.stored, again.unchanged, again.kept) == (2, 0, 2, [])
    assert [s for s, _ in seen] == ["unchanged", "unchanged"]


def test_a_run_that_adds_stages_analyses_stored_inputs_again(tmp_path, seed_files):
    db = tmp_path / "c.duckdb"
    analyse(db, seed_files, fast(["entities", "quotes"]))
    assert rows(db, "tone") == 0
    stats, _ = analyse(db, seed_files, fast())  # + tone
    assert (stats.stored, stats.unchanged, stats.kept) == (2, 0, [])
    assert rows(db, "tone") > 10  # the two seeds name dozens of actors


def test_a_run_with_fewer_stages_or_other_options_keeps_what_is_stored(tmp_path, seed_files):
    db = tmp_path / "c.duckdb"
    analyse(db, seed_files, fast())
    tone_rows = rows(db, "tone")
    assert tone_rows > 10
    fewer, seen = analyse(db, seed_files, fast(["entities", "quotes"]))
    assert (fewer.stored, fewer.unchanged, len(fewer.kept)) == (0, 0, 2)
    assert seen == [("kept", "analysed before with more stages (tone)")] * 2
    assert rows(db, "tone") == tone_rows  # nothing lost
    other, _ = analyse(db, seed_files, fast(context="sentence"))
    assert [how for _, how in other.kept] == ["analysed before by another version or with other stage options"] * 2
    forced, _ = analyse(db, seed_files, fast(context="sentence"), force=True)
    assert (forced.stored, forced.kept) == (2, [])
    # now stored by that analysis: the same run skips them
    assert analyse(db, seed_files, fast(context="sentence"))[0].unchanged == 2


def test_stores_from_before_the_analysis_id_keep_their_inputs_until_forced(tmp_path, seed_files):
    db = tmp_path / "c.duckdb"
    analyse(db, seed_files, fast())
    # what narrascope recorded before: the stage list (an idle taxonomy stage named too), no analysis id
    con = duckdb.connect(str(db))
    con.execute("UPDATE documents SET versions = json_object('pipeline', "
                "'extract+segment+language+sentences+entities+quotes+tone+taxonomy')")
    con.close()
    stats, _ = analyse(db, seed_files, fast())
    assert [how for _, how in stats.kept] == ["analysed before by another version or with other stage options"] * 2
    assert analyse(db, seed_files, fast(["entities", "quotes", "tone", "genre"]))[0].stored == 2


def test_analysis_id_names_the_working_stages_and_digests_the_rest(tmp_path):
    full, quick = load_config(), load_config(profile="fast")
    full_id = pipeline_versions(full)["analysis"]
    assert "taxonomy" not in analysis_stages(full_id)  # no taxonomy to match: the stage does nothing
    assert analysis_stages(full_id)[-2:] == ["narratives", "vectors"]
    assert compare_analyses(pipeline_versions(quick)["analysis"], full_id) == "analyse"
    with_taxonomy = copy.deepcopy(full)
    with_taxonomy["stages"]["taxonomy"]["files"] = ["builtin:belarus_russia"]
    assert "taxonomy" in analysis_stages(pipeline_versions(with_taxonomy)["analysis"])
    # a gazetteer's content counts, not only its name
    gazetteer = tmp_path / "mine.yaml"
    gazetteer.write_text("version: 1\nactors: []\n", encoding="utf-8")
    mine = copy.deepcopy(quick)
    mine["stages"]["entities"]["gazetteers"] = [str(gazetteer)]
    before = pipeline_versions(mine)["analysis"]
    assert before != pipeline_versions(quick)["analysis"]
    gazetteer.write_text("version: 1\nactors:\n  - {id: x, name: X Y, type: PERSON}\n", encoding="utf-8")
    assert pipeline_versions(mine)["analysis"] != before
    versions = pipeline_versions(mine)
    assert analysis_id(mine, versions) == versions["analysis"]  # the same settings, the same id
