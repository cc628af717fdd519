"""`narrascope extract --jsonl` on the real seed pages, as the issue checks it."""

from __future__ import annotations

import json

import pytest

BOILERPLATE = ["Patreon", "Leave a Reply", "Notify of", "Click to comment", "1,406 Views", "Your donations make",
               "Quick Donate", "Waiting for PayPal", "Continue Reading", "Source: Read Full Article", "JUST IN:",
               "[LATEST]", "[INSIGHT]", "[ANALYSIS]", "We use your sign-up", "Similar Posts"]


@pytest.fixture(scope="module")
def extracted(seeds_dir):
    from clirun import run_cli

    r = run_cli("extract", "--jsonl", *sorted(str(p) for p in seeds_dir.glob("*.txt")))
    assert r.returncode == 0, r.stderr
    records = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    return {rec["source"].split("/")[-1][:3]: rec for rec in records}


def test_every_seed_has_the_required_fields(extracted):
    assert sorted(extracted) == ["000", "001", "002", "003", "004"]
    for rec in extracted.values():
        for key in ("source", "title", "outlet", "text", "segments"):
            assert key in rec
        assert rec["text"].strip()
        for junk in BOILERPLATE:
            assert junk not in rec["text"], (rec["source"], junk)
            for seg in rec["segments"]:
                assert junk not in seg["text"], (rec["source"], junk)


def test_seed_001_main_article_and_three_appended(extracted):
    rec = extracted["001"]
    main = [s for s in rec["segments"] if s["kind"] == "main"]
    appended = [s for s in rec["segments"] if s["kind"] == "appended"]
    assert len(main) == 1 and len(appended) == 3
    assert "Korybko" in " ".join(main[0]["authors"])
    assert rec["text"].startswith("The past couple of days have seen a flurry of statements")
    assert "Galustian" not in rec["text"] and "Chequers" not in rec["text"]
    titles = " | ".join(s["title"] or "" for s in appended)
    assert "military industrial complex" in titles and "Google" in titles and "Brexit" in titles
    assert any(a["organisation"] == "Sputnik News" for a in rec["meta"].get("affiliations", []))


def test_seed_000_aggregator_excerpts_carry_their_outlets(extracted):
    rec = extracted["000"]
    outlets = [s["outlet"] for s in rec["segments"] if s["kind"] == "excerpt"]
    assert "Fox News" in outlets and "Bloomberg" in outlets
    assert any(o and "Window on Eurasia" in o for o in outlets)
    assert "</end editorial>" not in rec["text"]


def test_seed_003_body_without_clickbait(extracted):
    rec = extracted["003"]
    text = rec["text"]
    assert "Belarus served as a launchpad for Putin last month" in text
    assert "NATO enlargement has been a historic success" in text
    assert "Putin final lifeline ruined" not in text
    assert "Max Verstappen" not in text
