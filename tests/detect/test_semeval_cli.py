"""`narrascope semeval ...` and `narrascope evaluate techniques` on two real training articles."""

from __future__ import annotations

import re
import shutil

import pytest
from click.testing import CliRunner

from narrascope.cli_semeval import evaluate, semeval
from narrascope.detect.techniques import technique_table
from narrascope.semeval import line_spans, read_article

IDS = ("111111111", "111111112")
PTC_LABELS = {
    "Appeal_to_Authority", "Appeal_to_fear-prejudice", "Bandwagon,Reductio_ad_hitlerum", "Black-and-White_Fallacy",
    "Causal_Oversimplification", "Doubt", "Exaggeration,Minimisation", "Flag-Waving", "Loaded_Language",
    "Name_Calling,Labeling", "Repetition", "Slogans", "Thought-terminating_Cliches", "Whataboutism,Straw_Men,Red_Herring",
}


@pytest.fixture(scope="module")
def folders(tmp_path_factory, semeval_dir, ptc_dir):
    root = tmp_path_factory.mktemp("semeval")
    (root / "st3").mkdir()
    (root / "ptc").mkdir()
    for aid in IDS:
        shutil.copy(semeval_dir / "train-articles-subtask-3" / f"article{aid}.txt", root / "st3")
        shutil.copy(ptc_dir / "train-articles" / f"article{aid}.txt", root / "ptc")
    return root


def run(*args):
    result = CliRunner().invoke(semeval if args[0] != "techniques" else evaluate, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def test_2023_st3_writes_a_row_for_every_non_empty_line(folders):
    out = folders / "par.txt"
    run("2023-st3", str(folders / "st3"), "-o", str(out))
    rows = out.read_text(encoding="utf-8").splitlines()
    expected = [(aid, n) for aid in IDS for n, _, _ in line_spans(read_article(folders / "st3" / f"article{aid}.txt"))]
    assert [(r.split("\t")[0], int(r.split("\t")[1])) for r in rows] == expected
    names = set(technique_table())
    for r in rows:
        assert re.fullmatch(r"\d+\t\d+\t[A-Za-z_,-]*", r), r
        techs = r.split("\t")[2]
        assert not techs or set(techs.split(",")) <= names


def test_2023_st3_spans_are_valid_offsets_into_the_file(folders):
    out = folders / "spans.txt"
    run("2023-st3-spans", str(folders / "st3"), "-o", str(out))
    rows = out.read_text(encoding="utf-8").splitlines()
    assert rows, "two propaganda-annotated articles gave no span"
    names = set(technique_table())
    for r in rows:
        aid, tech, s, e = r.split("\t")
        text = read_article(folders / "st3" / f"article{aid}.txt")
        assert tech in names and 0 <= int(s) < int(e) <= len(text)
        assert text[int(s) : int(e)].strip()


def test_2020_si_and_evaluate(folders, ptc_dir):
    out = folders / "si.txt"
    run("2020-si", str(folders / "ptc"), "-o", str(out))
    rows = out.read_text(encoding="utf-8").splitlines()
    assert rows and all(re.fullmatch(r"\d+\t\d+\t\d+", r) for r in rows)
    gold = folders / "si_gold.txt"
    gold.write_text("".join(l + "\n" for l in (ptc_dir / "train-task1-SI.labels").read_text().splitlines() if l.split("\t")[0] in IDS))
    result = run("techniques", "--task", "2020-si", "--gold", str(gold), "--pred", str(out))
    f1 = float(re.search(r"f1: ([\d.]+)", result.output).group(1))
    assert f1 > 0.1  # these articles were seen in training; the check is that scoring runs end to end


def test_2020_tc_fills_every_template_row(folders, ptc_dir):
    gold_rows = [l for l in (ptc_dir / "train-task2-TC.labels").read_text().splitlines() if l.split("\t")[0] in IDS]
    template = folders / "tc_template.txt"
    template.write_text("".join("\t".join([c[0], "?", c[2], c[3]]) + "\n" for c in (l.split("\t") for l in gold_rows)))
    out = folders / "tc.txt"
    run("2020-tc", str(folders / "ptc"), "--spans", str(template), "-o", str(out))
    rows = [r.split("\t") for r in out.read_text(encoding="utf-8").splitlines()]
    assert [(r[0], r[2], r[3]) for r in rows] == [(c[0], c[2], c[3]) for c in (l.split("\t") for l in gold_rows)]
    assert all(r[1] in PTC_LABELS for r in rows)
