"""Language identification on real and hand-written text."""

from __future__ import annotations

from pathlib import Path

import pytest

from narrascope.document import Document, Segment
from narrascope.errors import ConfigError
from narrascope.nlp.language import UNDETERMINED_WARNING, LanguageStage, detect_language
from narrascope.pipeline import Pipeline, default_config

SEEDS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "seeds"

# One news-like sentence per language; ru/uk/be/bg share a script and much vocabulary.
SENTENCES = {
    "ru": "Президент Белоруссии Александр Лукашенко заявил в понедельник, что его страна никогда не станет "
    "частью России, и обвинил Москву в давлении.",
    "uk": "Президент України заявив, що російські війська продовжують обстрілювати житлові квартали, а уряд "
    "готує нові санкції проти агресора.",
    "be": "Прэзідэнт Беларусі заявіў, што краіна ніколі не стане часткай Расіі, і абвінаваціў Маскву ў спробах "
    "пазбавіць нас незалежнасці.",
    "bg": "Президентът на Беларус заяви, че страната му никога няма да стане част от Русия, и обвини Москва в "
    "изнудване с цените на газа.",
    "pl": "Prezydent Białorusi oświadczył, że jego kraj nigdy nie stanie się częścią Rosji, a opozycja "
    "zapowiada kolejne protesty w Mińsku.",
    "de": "Der belarussische Präsident hat erklärt, dass sein Land niemals ein Teil Russlands werden wird, und "
    "warf Moskau Erpressung vor.",
    "fr": "Le président biélorusse a déclaré que son pays ne deviendrait jamais une partie de la Russie et a "
    "accusé Moscou de chantage.",
    "pt": "O presidente da Bielorrússia afirmou que o seu país nunca fará parte da Rússia e acusou Moscovo de "
    "chantagem com o preço do gás.",
    "es": "El presidente de Bielorrusia afirmó que su país nunca formará parte de Rusia y acusó a Moscú de "
    "chantaje con el precio del gas.",
    "lt": "Baltarusijos prezidentas pareiškė, kad jo šalis niekada netaps Rusijos dalimi, ir apkaltino Maskvą "
    "šantažu dujų kainomis.",
}

# Short quotes, where a detector has little to go on.
SHORT = {
    "ru": "Путин сказал, что это ложь.",
    "uk": "Україна переможе, сказав він.",
    "be": "Гэта наша зямля і наша мова.",
    "bg": "Това е нашата държава.",
    "de": "Das ist unser Land, sagte er.",
    "fr": "C'est notre pays, a-t-il dit.",
}

NOISE = [
    "",
    "   \n\n  ",
    "1234 5678 90 2020-08-09 3.5% 10,300",
    "!!! ??? ... --- ***",
    "xx",
    "asdkjh qwepoiu zxcmnb lkjhg poiuy",
    "qwrtp zxcvb mnbvc lkjhg fdsaq wrtpq",
    "aaaa bbbb cccc dddd eeee ffff gggg hhhh",
]


def seed_texts() -> list[tuple[str, str]]:
    if not SEEDS.is_dir():
        pytest.skip("../shared/data/seeds not available")
    return [(p.name, p.read_text(encoding="utf-8")) for p in sorted(SEEDS.glob("*.txt"))]


def test_english_seeds_are_english():
    texts = seed_texts()
    assert len(texts) == 5
    for name, text in texts:
        code, score = detect_language(text)
        assert code == "en", name
        assert score > 0.9, name


@pytest.mark.parametrize("language", sorted(SENTENCES))
def test_sentence_language(language):
    code, score = detect_language(SENTENCES[language])
    assert code == language
    assert score >= 0.5


@pytest.mark.parametrize("language", sorted(SHORT))
def test_short_quote_language(language):
    assert detect_language(SHORT[language])[0] == language


@pytest.mark.parametrize("text", NOISE)
def test_noise_is_undetermined(text):
    assert detect_language(text) == ("und", 0.0)


def test_restricted_languages_pick_among_them_only():
    # Without Belarusian in the set, Belarusian text cannot come out as "be".
    code, _ = detect_language(SENTENCES["be"], ["en", "ru", "uk"])
    assert code in {"ru", "uk", "und"}
    assert detect_language(SENTENCES["de"], ["de", "en"])[0] == "de"


def test_unknown_language_code_is_a_config_error():
    with pytest.raises(ConfigError):
        detect_language("some text here for detection", ["en", "xx"])


def test_stage_reads_main_segment_and_warns_on_undetermined():
    text = "qwrtp zxcvb mnbvc lkjhg\n\n" + SENTENCES["uk"]
    main_start = text.index(SENTENCES["uk"])
    segments = [Segment(0, main_start - 2, "appended"), Segment(main_start, len(text), "main")]
    doc = Document(source="test", text=text, segments=segments)
    noise = Document(source="noise", text="12 34 56 78")
    LanguageStage({"languages": ["en", "ru", "uk", "be", "bg"]}).process([doc, noise])
    assert doc.language == "uk"
    assert "warnings" not in doc.meta
    assert noise.language == "und"
    assert noise.meta["warnings"] == [UNDETERMINED_WARNING]


def test_stage_from_default_config_on_seed():
    name, text = seed_texts()[2]
    pipeline = Pipeline.from_names(["language"], default_config())
    (doc,) = pipeline([Document(source=name, text=text)])
    assert doc.language == "en"
    assert not doc.meta.get("problem")


SHARED_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def real_articles(folder: str, step: int) -> list[Path]:
    paths = sorted((SHARED_DATA / folder).glob("*.txt"))
    if not paths:
        pytest.skip(f"../shared/data/{folder} not available")
    return paths[::step]


def test_polnear_articles_are_english():
    for path in real_articles("polnear/train/text", step=10):
        code, score = detect_language(path.read_text(encoding="utf-8"))
        assert code == "en", path.name
        assert score > 0.9, path.name


@pytest.mark.parametrize("folder,language", [("BG", "bg"), ("EN", "en"), ("PT", "pt"), ("RU", "ru")])
def test_semeval_2025_articles_in_their_language(folder, language):
    for path in real_articles(f"semeval2025t10/train/{folder}/raw-documents", step=10):
        assert detect_language(path.read_text(encoding="utf-8"))[0] == language, path.name


def test_unconfigured_language_is_undetermined():
    # Hindi is not among the default languages: no configured language's function words.
    for path in real_articles("semeval2025t10/train/HI/raw-documents", step=10):
        assert detect_language(path.read_text(encoding="utf-8"))[0] == "und", path.name


def test_the_opening_decides():
    # A long English article that quotes a longer Russian document after its opening.
    name, english = seed_texts()[2]
    assert len(english) > 1500
    text = english[:1500] + "\n\n" + (SENTENCES["ru"] + " ") * 40
    assert detect_language(text)[0] == "en"
    assert detect_language((SENTENCES["ru"] + " ") * 40 + "\n\n" + english)[0] == "ru"
