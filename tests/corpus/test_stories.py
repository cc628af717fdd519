"""Stories on real PolNeAR articles: same-event articles from different outlets cluster, other events stay apart."""

from __future__ import annotations

import json

from click.testing import CliRunner

from narrascope.cli_corpus import stories as stories_command
from narrascope.corpus.stories import cluster_documents, find_stories, how_outlets_told

from corpus_subset import DNC_HACK, NOMINATION


def _story_of(stories, doc_id):
    found = [s for s in stories if doc_id in {d.doc_id for d in s.documents}]
    assert len(found) == 1, f"{doc_id} is in {len(found)} stories"
    return found[0]


def test_same_event_articles_from_different_outlets_form_one_story(store, polnear_subset):
    stories = find_stories(store)
    title_id = {t: i for i, t in store.query("SELECT id, title FROM documents")}
    titles = {r["id"]: r["title"] for r in polnear_subset["records"]}
    # Trump accepts the nomination (21-22 July 2016): "Trump fever infects convention finale" (breitbart),
    # "Amid discord, Trump claims nomination" (nyt), "Republican assails elites as he accepts party nomination" (wash-post).
    nomination = {_story_of(stories, title_id[titles[n]]).id for n in NOMINATION}
    assert len(nomination) == 1
    story = _story_of(stories, title_id[titles[NOMINATION[0]]])
    assert {"breitbart", "nyt", "wash-post"} <= set(story.outlets)
    # The DNC e-mail hack: "Clinton Says Russians Hacked DNC" (huff-post, 31 July) and
    # "Snowden, WikiLeaks clash over DNC emails" (wash-post, 1 August).
    dnc = {_story_of(stories, title_id[titles[n]]).id for n in DNC_HACK}
    assert len(dnc) == 1 and dnc != nomination
    # The Munich shooting is another event: not in the nomination story.
    munich = title_id[titles["west-journal_2016-07-23_trump-addresses-munich-attack-th"]]
    assert munich not in {d.doc_id for d in story.documents}


def test_stories_are_ordered_dated_and_deterministic(store):
    first = find_stories(store)
    again = find_stories(store)
    assert [(s.id, [d.doc_id for d in s.documents]) for s in first] == [(s.id, [d.doc_id for d in s.documents]) for s in again]
    n_docs = store.query("SELECT count(*) FROM documents WHERE id NOT IN (SELECT doc_id FROM duplicates)")[0][0]
    assert sum(len(s.documents) for s in first) == n_docs  # every document in exactly one story
    for s in first:
        dates = [d.published for d in s.documents]
        assert dates == sorted(dates) and s.first_seen == dates[0] and s.first_outlet == s.documents[0].outlet
    assert [len(s.outlets) for s in first] == sorted((len(s.outlets) for s in first), reverse=True)
    multi = find_stories(store, min_outlets=2)
    assert multi and all(len(s.outlets) >= 2 for s in multi)
    # A window of 0 days never puts articles of different days together.
    for s in find_stories(store, window_days=0):
        assert len({d.published for d in s.documents}) == 1


def test_cluster_documents_respects_the_window_and_undated_documents_join_by_similarity():
    import numpy as np

    v = np.array([[1, 0], [1, 0], [0, 1], [1, 0]], dtype=np.float32)
    assert cluster_documents([0, 10, 0, None], v, window_days=3, threshold=0.9) == [[0, 3], [2], [1]]
    assert cluster_documents([0, 2, 0, None], v, window_days=3, threshold=0.9) == [[0, 1, 3], [2]]


def test_how_each_outlet_told_the_story(store, polnear_subset):
    title_id = {t: i for i, t in store.query("SELECT id, title FROM documents")}
    titles = {r["id"]: r["title"] for r in polnear_subset["records"]}
    story = _story_of(find_stories(store), title_id[titles[NOMINATION[0]]])
    tellings = {t.outlet: t for t in how_outlets_told(store, story)}
    assert set(tellings) == set(story.outlets)
    texts = dict(store.query("SELECT id, text FROM documents"))
    for t in tellings.values():
        assert t.frames is None and t.roles is None  # those stages were not run on this store
        assert t.techniques is not None  # techniques were
        assert t.distinctive and t.distinctive in texts[t.distinctive_doc]
        assert story.documents and t.distinctive_doc in {d.doc_id for d in story.documents if d.outlet == t.outlet}
        assert t.distinctive_similarity < 0.95


def test_stories_command(polnear_store):
    runner = CliRunner()
    result = runner.invoke(stories_command, ["--db", str(polnear_store), "--min-outlets", "3", "--tell"])
    assert result.exit_code == 0, result.output
    assert "stories in" in result.output and "breitbart" in result.output and "most distinctive" in result.output
    result = runner.invoke(stories_command, ["--db", str(polnear_store), "--json", "--top", "2"])
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert len(lines) == 2 and all(len(x["outlets"]) >= 2 and x["tellings"] for x in lines)
    missing = runner.invoke(stories_command, ["--db", str(polnear_store) + ".nope"])
    assert missing.exit_code != 0 and "no such store" in missing.output
