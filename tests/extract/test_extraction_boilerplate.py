"""Boilerplate rules: which named rule removes which line, and that prose survives."""

from __future__ import annotations

import pytest

from narrascope.extract import explain_boilerplate, remove_boilerplate
from narrascope.extract.boilerplate import RULES

BODY = "Lukashenko told his security council that the army must watch the movement of NATO troops near the border."


@pytest.mark.parametrize(
    "line, rule",
    [
        ("Liked it? Take a second to support The Duran on Patreon!", "patreon"),
        ("Your donations make all the difference. Together we can expose fake news lies and deliver truth.", "donation_appeal"),
        ("Amount to donate in USD$:", "donation_amount"),
        ("Quick Donate", "donation_button"),
        ("DONATE", "donation_button"),
        ("Donate a quick 10 spot!", "donation_quick"),
        ("Validating payment information...", "payment_widget"),
        ("Waiting for PayPal...", "payment_widget"),
        ("JOIN OUR YOUTUBE CHANNEL", "join_channel"),
        ("The Duran Newsletter", "newsletter"),
        ("Subscribe to our newsletter", "newsletter"),
        ("Leave a Reply", "comment_widget"),
        ("Notify of", "comment_widget"),
        ("Subscribe", "comment_widget"),
        ("avatar", "comment_widget"),
        ("Click to comment", "comment_widget"),
        ("Your email address will not be published. Required fields are marked *", "comment_form_notice"),
        ("Similar Posts", "related_posts"),
        ("Connect with us", "connect_with_us"),
        ("Advertisement", "advertisement"),
        ("Trending", "trending"),
        ("Staff Picks", "staff_picks"),
        ("1,406 Views", "view_counter"),
        ("We use your sign-up to provide content in ways you’ve consented to and to improve our understanding of you.", "consent_notice"),
        ("We use cookies to improve your experience on our site.", "cookie_notice"),
        ("JUST IN: Putin final lifeline ruined as £100bn ‘fortress Russia’ about to CRUMBLE", "teaser_prefix"),
        ("READ MORE: Lukashenko warns the West", "teaser_prefix"),
        ("MORE: Russia moves troops", "teaser_prefix"),
        ("‘Real problem’ Europe threatened by further crisis over another major Russian export [LATEST]", "teaser_tag"),
        ("Lord Sugar’s blunt response to ‘sickening’ world of political correctness [INSIGHT]", "teaser_tag"),
        ("Max Verstappen infuriated Italian press after claiming Ferrari were ‘cheating’ [ANALYSIS]", "teaser_tag"),
        ("Source: Read Full Article", "read_full_article"),
        ("Share on Facebook", "share_buttons"),
        ("Facebook Twitter WhatsApp Email", "share_buttons"),
        ("Belarus · Information operations · Information Warfare · Russia", "breadcrumb_tags"),
        # Structure markers: removed from text, read by the segmenter first.
        ("Continue Reading", "continue_reading"),
        ("Published", "published"),
        ("on", "published_on"),
        ("By", "byline"),
        ("By Andrew Korybko", "byline"),
        ("Source: Eurasia Future", "source_credit"),
        ("Via RT…", "credit_line"),
        ("</end editorial>", "end_editorial"),
    ],
)
def test_rule_claims_the_whole_line(line, rule):
    text = f"{BODY}\n\n{line}\n\n{BODY}"
    assert explain_boilerplate(text) == [(rule, line)]
    assert remove_boilerplate(text) == f"{BODY}\n\n{BODY}"


@pytest.mark.parametrize(
    "sentence",
    [
        "Readers who subscribe to the state newspaper get the latest Kremlin talking points every morning.",
        "The latest poll shows that most Belarusians oppose a union state with Russia.",
        "Critics say the campaign asks supporters to donate to a fund controlled by the president’s son.",
        "He told viewers to share the video on Facebook before it was taken down.",
        "More than 30,000 Russian troops were stationed in Belarus before the invasion.",
        "Advertisement revenue of state media rose by a third in 2021, the ministry said.",
        "Published in Minsk, the decree bans foreign funding of newspapers.",
        "By the end of the week, Lukashenko had met Putin twice.",
        "Source: the ministry of defence said on Tuesday that troops were moving.",
        "Trending topics on Russian social media included the protests in Minsk.",
        "On Wednesday, Lukashenko blamed NATO for inciting his people to rise against him.",
        "Analysis of the vote count suggests the result was falsified.",
    ],
)
def test_sentences_that_mention_boilerplate_words_stay(sentence):
    text = f"Latest\n\nAnalysis\n\n{sentence}\n\n{BODY}"
    assert remove_boilerplate(text) == f"{sentence}\n\n{BODY}"


def test_nav_words_are_removed_only_above_the_body():
    text = f"Analysis\n\n{BODY}\n\nAnalysis\n\n{BODY}"
    assert explain_boilerplate(text) == [("nav_lead", "Analysis")]
    assert remove_boilerplate(text) == f"{BODY}\n\nAnalysis\n\n{BODY}"


def test_fragments_inside_a_donation_box_go_but_not_short_lines_in_the_body():
    text = "\n".join([
        BODY, "This is all about distraction.", "Time is of the essence.", BODY,
        "Quick Donate", "The Duran", "EURO", "DONATE", "Amount to donate in USD$:", "5 100", "Waiting for PayPal...",
    ])
    removed = explain_boilerplate(text)
    assert ("widget_fragment", "The Duran") in removed and ("widget_fragment", "EURO") in removed
    assert ("widget_fragment", "5 100") in removed
    assert remove_boilerplate(text).split("\n\n") == [BODY, "This is all about distraction.", "Time is of the essence.", BODY]


def test_caption_above_the_body_is_dropped_but_a_title_and_subheadings_are_not():
    text = "\n\n".join([
        "Belarus-Russia: History of alliance explained",
        "Ukraine: Belarus urged to refrain from aiding Russia by NATO",
        "We use your sign-up to provide content in ways you’ve consented to and to improve our understanding of you.",
        BODY,
        "Military “Balancing”",
        BODY,
    ])
    assert ("lead_caption", "Ukraine: Belarus urged to refrain from aiding Russia by NATO") in explain_boilerplate(text)
    assert remove_boilerplate(text).split("\n\n") == [
        "Belarus-Russia: History of alliance explained", BODY, "Military “Balancing”", BODY,
    ]


def test_rule_names_are_unique_and_patterns_anchor_whole_lines():
    names = [r.name for r in RULES]
    assert len(names) == len(set(names))
    # A rule's words inside a longer line never match it (fullmatch semantics).
    for rule in RULES:
        if rule.pattern is not None:
            assert rule.matches("x " + BODY) is None, rule.name
