"""Language identification of a document's main text (stage "language").

lingua restricted to the configured languages, in low-accuracy mode: for texts of
120+ characters lingua uses trigram models only in both modes, so results are
identical there, while high-accuracy mode loads 1- to 5-gram models for short
inputs (about 350 MB for our 13 languages against about 25 MB). lingua always
names *some* language, even for keyboard noise, so a detection is accepted only
when the text also contains that language's common function words.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Iterable

from lingua import IsoCode639_1, LanguageDetector, LanguageDetectorBuilder

from ..document import Document
from ..errors import ConfigError
from ..pipeline import Stage, default_config, register_stage

UNDETERMINED = "und"
UNDETERMINED_WARNING = "language could not be identified"

# Below these a guess is not worth recording.
MIN_LETTERS = 10
MIN_CONFIDENCE = 0.5
# The share of function words a real text of 10+ words has at least (measured
# 0.18-0.50 on news sentences in our languages and 0.35-0.39 on the English seeds;
# keyboard noise has none).
MIN_FUNCTION_WORD_SHARE = 0.05
# The opening of an article decides its language; reading more only costs time
# (lingua's time grows with the sample: 1,000 characters take ~1.9 ms against
# ~4.2 ms for 3,000, with the same language on 840 PolNeAR articles and 927
# SemEval-2025 bg/en/pt/ru/hi documents).
MAX_CHARS = 1000

_WORD = re.compile(r"[^\W\d_]+")

# Most frequent function words per language (lower case). Languages without an
# entry are accepted on lingua's confidence alone.
FUNCTION_WORDS: dict[str, frozenset[str]] = {
    code: frozenset(words.split())
    for code, words in {
        "en": "the of and to a in is that for it on with as was he be by at from his are this have not but they "
        "you we an or had has were which their said will would its who been more there her she all one can "
        "i our also than them could into about after under",
        "ru": "и в во не на что с со по как это он она они его её ее к из за от для то но же бы был была было "
        "были у о об так уже или ещё еще если все всё мы вы я при до только также который которые где когда а "
        "под над через после против между чтобы",
        "uk": "і й та в у на не що з із до за від для як це він вона вони його її але ж би був була було були "
        "також або ще якщо все ми ви я при по який які де коли щоб а про проти під над через після між вже "
        "так ні",
        "be": "і й ў у на не што з са да за ад для як гэта ён яна яны яго яе але ж бы быў была было былі "
        "таксама або яшчэ калі ўсе мы вы я пры па які якія дзе а пра супраць пад над праз пасля паміж ужо "
        "так не",
        "pl": "i w nie na że z się do to jest o jak ale po od za dla co jego jej tak już czy a oraz przez był "
        "była było są który która które przy być może ze we",
        "de": "der die das und in zu den von ist nicht mit sich des auf für ein eine dem es an als auch wird sie "
        "er im hat aus bei nach oder wie wir ich sind war noch nur",
        "fr": "le la les de des du et en un une est que qui dans pour pas sur au aux par il elle ne se ce a avec "
        "plus sont son sa ses été mais ou nous vous je cette leur",
        "bg": "и в на не че с за да се от по е как това той тя те го но са беше ще или още ако всички ние вие "
        "аз при до който които къде когато а след срещу между чрез през вече със във",
        "pt": "o a os as de do da dos das e em no na um uma que é para com não por se mais ao como mas foi são "
        "seu sua ou pelo pela também ele ela",
        "es": "el la los las de del y en un una que es para con no por se lo al como más pero fue son su sus o "
        "ya también él ella este esta",
        "it": "il lo la i gli le di del della e è in un una che per con non si da al alla come ma più sono anche "
        "suo sua ha questo questa nel nella",
        "lt": "ir į yra kad su iš bet ne o tai jo jos jie kaip buvo už per nuo prie ar dėl mes jūs aš tik taip pat",
        "lv": "un ir ar uz no par ka bet ne kā tas tā viņš viņa viņi bija lai arī vai pie jau kas to mēs jūs es "
        "tikai pēc",
    }.items()
}


@lru_cache(maxsize=1)
def default_languages() -> tuple[str, ...]:
    """The ``languages`` list of the built-in config."""
    return tuple(default_config()["stages"]["language"]["languages"])


@lru_cache(maxsize=8)
def _detector(languages: tuple[str, ...]) -> LanguageDetector:
    # One detector per language set per process; lingua loads models lazily.
    isos = []
    for code in languages:
        try:
            isos.append(IsoCode639_1.from_str(code))
        except (ValueError, AttributeError):
            raise ConfigError(f"stages.language.languages: unknown ISO 639-1 code {code!r}") from None
    if len(isos) < 2:
        raise ConfigError("stages.language.languages: name at least two languages")
    return LanguageDetectorBuilder.from_iso_codes_639_1(*isos).with_low_accuracy_mode().build()


def _language_tuple(languages: Iterable[str] | None) -> tuple[str, ...]:
    if isinstance(languages, str):
        raise ConfigError(f"stages.language.languages: expected a list of codes, got {languages!r}")
    codes = default_languages() if languages is None else languages
    return tuple(sorted({code.strip().lower() for code in codes}))


def _opening(text: str) -> str:
    if len(text) <= MAX_CHARS:
        return text
    cut = text.rfind(" ", 0, MAX_CHARS)
    return text[: cut if cut > 0 else MAX_CHARS]


def _has_function_words(words: list[str], language: str) -> bool:
    lexicon = FUNCTION_WORDS.get(language)
    if lexicon is None:
        return True
    hits = sum(1 for w in words if w in lexicon)
    if len(words) < 10:
        return hits >= 1
    return hits / len(words) >= MIN_FUNCTION_WORD_SHARE


def detect_language(text: str, languages: Iterable[str] | None = None) -> tuple[str, float]:
    """ISO 639-1 code of ``text`` and lingua's confidence (0-1), or ``("und", 0.0)``.

    ``languages`` restricts the candidates (default: the built-in config's list).
    """
    sample = _opening(text)
    words = [w.casefold() for w in _WORD.findall(sample)]
    if sum(len(w) for w in words) < MIN_LETTERS:
        return UNDETERMINED, 0.0
    ranked = _detector(_language_tuple(languages)).compute_language_confidence_values(sample)
    if not ranked or ranked[0].value < MIN_CONFIDENCE:
        return UNDETERMINED, 0.0
    code = ranked[0].language.iso_code_639_1.name.lower()
    if not _has_function_words(words, code):
        return UNDETERMINED, 0.0
    return code, float(ranked[0].value)


@register_stage
class LanguageStage(Stage):
    """Sets ``doc.language`` from the main segment's text."""

    name = "language"
    version = "2"  # 2: decides on the first 1,000 characters (was 3,000)

    def __init__(self, config: dict[str, Any] | None = None):
        super().__init__(config)
        self.languages = _language_tuple(self.config.get("languages"))
        _detector(self.languages)  # fail early on a bad language list

    def process(self, batch: list[Document]) -> list[Document]:
        for doc in batch:
            code, score = detect_language(doc.main_text(), self.languages)
            doc.language = code
            doc.meta["language_score"] = round(score, 4)
            if code == UNDETERMINED:
                doc.meta.setdefault("warnings", []).append(UNDETERMINED_WARNING)
        return batch
