"""Paragraph and sentence spans on the seeds and on hand-written text."""

from __future__ import annotations

from pathlib import Path

import pytest

from narrascope.document import Document
from narrascope.nlp.sentences import SentenceStage, split_paragraphs, split_sentences
from narrascope.pipeline import Pipeline

SEEDS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "seeds"


def seed(prefix: str) -> str:
    if not SEEDS.is_dir():
        pytest.skip("../shared/data/seeds not available")
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


def sentences_of(text: str, language: str = "en") -> list[str]:
    return [text[s:e] for s, e in split_sentences(text, language)]


def test_seed_002_sentences_come_out_whole():
    text = seed("002")
    sentences = sentences_of(text)
    assert (
        "Facing popular protests across Belarus in response to his Aug. 9 election theft, Belorussian President "
        "Alexander Lukashenko has invited Russia to save him and steal his nation."
    ) in sentences
    # A quoted passage of several sentences splits inside the quote...
    assert "He warned NATO that, “on the border with Belarus, conducting exercises now is counterproductive." in (
        sentences
    )
    assert "They must understand this, and they will be responsible for it if something happens.”" in sentences
    # ... and a bracketed insertion does not end one.
    assert "Therefore, the media must become more active [in tamping down these sentiments].”" in sentences
    assert "Time is of the essence." in sentences
    assert len(sentences) == 24


def test_seed_000_sentences_come_out_whole():
    text = seed("000")
    sentences = sentences_of(text)
    for expected in [
        "Pres Lukashenko correctly called this a scam to annex Belarus quietly.",
        "“If someone wants to break [Belarus] into regions and force us to become a subject of Russia, that will "
        "never happen,” Lukashenka said.",
        "“I know Ukrainians.",
        "Nobody [believes] that anymore,” Lukashenka said.",
        "Everything must be honest and open.”",
        "At a meeting of the Eurasian Economic Union in St. Petersburg, Russia, last week, Belarusian President "
        "Alexander Lukashenko publicly lambasted Russian President Vladimir Putin for his gas export prices.",
        "There’s an opportunity here for the U.S.",
    ]:
        assert expected in sentences


ABBREVIATIONS = (
    "Mr. Putin met Dr. Smith and Gen. Gerasimov in St. Petersburg on Jan. 5 at No. 10 Main Street. "
    "Sen. Jones and Gov. Brown (e.g. the two critics) said the U.S. and the U.K. would act. "
    "Inflation rose 3.5% vs. 2.1% a year earlier, said J. R. Tolkien of Acme Inc. in Washington. "
    "The talks failed in the U.S. The next round is in Minsk."
)


def test_abbreviations_initials_and_decimals_do_not_split():
    assert sentences_of(ABBREVIATIONS) == [
        "Mr. Putin met Dr. Smith and Gen. Gerasimov in St. Petersburg on Jan. 5 at No. 10 Main Street.",
        "Sen. Jones and Gov. Brown (e.g. the two critics) said the U.S. and the U.K. would act.",
        "Inflation rose 3.5% vs. 2.1% a year earlier, said J. R. Tolkien of Acme Inc. in Washington.",
        "The talks failed in the U.S.",
        "The next round is in Minsk.",
    ]


def test_quotes_and_ellipses():
    text = (
        "“It is useless.” Then he left. “Why?” he asked. Was it over?! Nobody knew... "
        "The talks … Therefore failed, he said. “Stop,” she said. ‘We will win.’ They did."
    )
    assert sentences_of(text) == [
        "“It is useless.”",
        "Then he left.",
        "“Why?” he asked.",
        "Was it over?!",
        "Nobody knew...",
        "The talks … Therefore failed, he said.",
        "“Stop,” she said.",
        "‘We will win.’",
        "They did.",
    ]


def test_german_date_ordinal_does_not_split():
    text = "Die Wahl fand am 9. August 2020 statt. Danach begannen die Proteste in Minsk."
    assert sentences_of(text, "de") == [
        "Die Wahl fand am 9. August 2020 statt.",
        "Danach begannen die Proteste in Minsk.",
    ]


def test_russian_paragraph_goes_through_razdel():
    text = (
        "  Президент Белоруссии А. Г. Лукашенко заявил 9 авг., что «страна никогда не станет частью России». "
        "Москва, по его словам, давит на Минск… Т.е. ничего не изменилось! Так ли это? — спросил журналист.\n\n"
        "Второй абзац. В нём два предложения."
    )
    assert sentences_of(text, "ru") == [
        "Президент Белоруссии А. Г. Лукашенко заявил 9 авг., что «страна никогда не станет частью России».",
        "Москва, по его словам, давит на Минск…",
        "Т.е. ничего не изменилось!",
        "Так ли это? — спросил журналист.",
        "Второй абзац.",
        "В нём два предложения.",
    ]


def test_paragraphs_are_trimmed_non_blank_lines():
    text = "  First paragraph.  \n\n\t\nSecond one.\nThird, after a single newline.\n"
    assert [text[s:e] for s, e in split_paragraphs(text)] == [
        "First paragraph.",
        "Second one.",
        "Third, after a single newline.",
    ]


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_stage_spans_on_seed(prefix):
    text = seed(prefix)
    doc = Document(source=prefix, text=text, language="en")
    Pipeline([SentenceStage()])([doc])
    paragraphs = [(p.start, p.end) for p in doc.paragraphs]
    sentences = [(s.start, s.end) for s in doc.sentences]
    assert paragraphs == split_paragraphs(text)
    assert len(paragraphs) == len([line for line in text.split("\n") if line.strip()])
    assert sentences == sorted(sentences)
    for s, e in sentences:
        sentence = text[s:e]
        assert sentence and sentence == sentence.strip() and "\n" not in sentence
        assert any(ps <= s and e <= pe for ps, pe in paragraphs)
    # Every non-blank character of a paragraph is in exactly one sentence.
    covered = sum(len("".join(text[s:e].split())) for s, e in sentences)
    assert covered == sum(len("".join(text[s:e].split())) for s, e in paragraphs)
    # Running the stage again replaces its spans rather than doubling them.
    SentenceStage().process([doc])
    assert [(s.start, s.end) for s in doc.sentences] == sentences


hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies

# Text made of the characters that drive the splitter, plus arbitrary Unicode.
_PIECES = st.sampled_from(
    [".", "...", "…", "?", "!", "”", "“", "’", "'", '"', "(", ")", "[", "]", "Mr.", "U.S.", "Aug.", "No.", "e.g.",
     "3.5", "9", "A", "a", "The", "he", "Путин", "т.е.", "«", "»", "—", "said."]
)
_SEPARATORS = st.sampled_from(["", " ", " ", "  ", "\n", "\n\n", "\t"])
_TEXT = st.one_of(
    st.text(max_size=200),
    st.lists(st.tuples(st.one_of(_PIECES, st.text(max_size=3)), _SEPARATORS), max_size=60).map(
        lambda pairs: "".join(piece + sep for piece, sep in pairs)
    ),
)


@hypothesis.settings(max_examples=200, deadline=None)
@hypothesis.given(text=_TEXT, language=st.sampled_from(["en", "ru", "de", None]))
def test_sentence_spans_are_sorted_disjoint_and_cover_the_text(text, language):
    paragraphs = split_paragraphs(text)
    sentences = split_sentences(text, language)
    for spans in (paragraphs, sentences):
        previous_end = 0
        for s, e in spans:
            assert previous_end <= s < e <= len(text)
            assert not text[s].isspace() and not text[e - 1].isspace()
            previous_end = e
    for s, e in sentences:
        assert any(ps <= s and e <= pe for ps, pe in paragraphs)
    nonblank = lambda spans: sum(len("".join(text[s:e].split())) for s, e in spans)  # noqa: E731
    # Nothing but whitespace is left out of paragraphs, and of sentences.
    assert nonblank(sentences) == nonblank(paragraphs) == len("".join(text.split()))
