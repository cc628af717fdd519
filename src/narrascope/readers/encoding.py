"""Turn the bytes of a file or download into text.

Order: byte-order mark, then a declared charset (HTTP header, ``<meta charset>``,
XML declaration) when it decodes cleanly, then strict UTF-8, then statistical
detection (charset-normalizer) biased towards the encodings of the languages
narrascope analyses.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes


class DecodeError(ValueError):
    """The bytes are not text in any encoding we could find."""


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# Labels that browsers read as windows-1252 (WHATWG Encoding Standard).
_WINDOWS_1252_LABELS = {"ascii", "us-ascii", "latin-1", "latin1", "iso-8859-1", "iso8859-1", "iso_8859-1", "l1", "cp819"}

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_XML_DECLARATION = re.compile(rb"""^\s*<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_SNIFF_BYTES = 8192
_DETECT_SAMPLE = 65536

# Single-byte and UTF encodings of the languages in the default language list
# (Western, Central and Baltic European, Cyrillic). Tried before the full set,
# because on short texts the full set often prefers an exotic codec.
_EUROPEAN_ENCODINGS = [
    "utf_8", "cp1252", "iso8859_15", "latin_1", "cp1250", "iso8859_2", "cp1257", "iso8859_13",
    "cp1251", "koi8_r", "koi8_u", "iso8859_5", "mac_cyrillic", "cp866",
]

# Non-ASCII letters of each supported Latin-script language; used to break ties
# between codecs that all decode to letters (cp1252 "è" vs cp1250 "č").
_LATIN_ALPHABETS = {
    "fr": "àâæçéèêëîïôœùûüÿ",
    "de": "äöüß",
    "pl": "ąćęłńóśźż",
    "pt": "áâãàçéêíóôõú",
    "es": "áéíñóúü",
    "it": "àèéìíîòóùú",
    "lt": "ąčęėįšųūž",
    "lv": "āčēģīķļņšūž",
}
_CYRILLIC = set("абвгґдеєёжзиіїйклмнопрстуўфхцчшщъыьэюя")


def decode_bytes(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode ``data``; ``declared`` is a charset from outside the bytes (HTTP header).

    Returns ``(text, encoding)``. Raises :class:`DecodeError` when nothing fits.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError:
                break  # a BOM followed by garbage: fall through to detection

    utf16 = utf16_without_bom(data)
    if utf16 is not None:
        text = _try_decode(data, utf16)
        if text is not None:
            return text, utf16

    utf8_text = _try_decode(data, "utf-8")
    is_ascii = data.isascii()

    tried = ["utf-8"]
    for label in (declared, *sniff_declared_charsets(data)):
        encoding = _codec_name(label)
        if encoding is None or encoding in tried:
            continue
        tried.append(encoding)
        if encoding.startswith("utf_16") or encoding.startswith("utf_32"):
            continue  # ASCII-compatible bytes cannot be UTF-16 without a BOM; a wrong label
        if encoding == "utf_8":
            if utf8_text is not None:
                return utf8_text, "utf-8"
            continue
        # Valid non-ASCII UTF-8 is almost never a single-byte text by accident;
        # trust it over a (frequently wrong) label.
        if utf8_text is not None and not is_ascii:
            return utf8_text, "utf-8"
        text = _try_decode(data, encoding)
        if text is not None:
            return text, encoding
        if encoding == "cp1252":  # bytes 0x81, 0x8d, ... are undefined in cp1252 but fine in latin-1
            text = _try_decode(data, "latin_1")
            if text is not None:
                return text, "latin_1"

    if utf8_text is not None:
        return utf8_text, "utf-8"

    detected = _detect(data)
    if detected is not None:
        return detected
    raise DecodeError(f"could not decode text (tried {', '.join(_display(t) for t in tried)}, charset detection)")


def sniff_declared_charsets(data: bytes) -> list[str]:
    """Charsets the bytes declare about themselves: XML declaration, then ``<meta>``."""
    head = data[:_SNIFF_BYTES]
    found = []
    m = _XML_DECLARATION.match(head)
    if m:
        found.append(m.group(1).decode("ascii"))
    m = _META_CHARSET.search(head)
    if m:
        found.append(m.group(1).decode("ascii"))
    return found


def utf16_without_bom(data: bytes) -> str | None:
    """``"utf-16-le"``/``"utf-16-be"`` when the bytes look like BOM-less UTF-16 text."""
    sample = data[:4096]
    sample = sample[: len(sample) // 2 * 2]
    if len(sample) < 16 or b"\x00" not in sample:
        return None
    # ASCII characters (spaces, digits, punctuation) put a NUL on one side only.
    half = len(sample) // 2
    odd_nuls = sample[1::2].count(0) / half
    even_nuls = sample[0::2].count(0) / half
    if odd_nuls > 0.1 and even_nuls == 0:
        encoding = "utf-16-le"
    elif even_nuls > 0.1 and odd_nuls == 0:
        encoding = "utf-16-be"
    else:
        return None
    text = sample.decode(encoding, errors="replace")
    readable = sum(1 for c in text if c.isprintable() or c in "\n\r\t")
    return encoding if readable / len(text) > 0.95 else None


def _codec_name(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    if label in _WINDOWS_1252_LABELS:
        return "cp1252"
    try:
        return codecs.lookup(label).name.replace("-", "_")
    except LookupError:
        return None


def _try_decode(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _detect(data: bytes) -> tuple[str, str] | None:
    if len(data) > 2 * _DETECT_SAMPLE:
        # Statistical detection is slow on megabytes: detect on a sample, then
        # accept its answer only if the whole payload decodes with it.
        sample = data[:_DETECT_SAMPLE]
        cut = sample.rfind(b"\n")
        found = _detect_in(sample[: cut + 1] if cut > _DETECT_SAMPLE // 2 else sample)
        if found is not None:
            text = _try_decode(data, found[1])
            if text is not None:
                return text, found[1]
    return _detect_in(data)


def _detect_in(data: bytes) -> tuple[str, str] | None:
    matches = list(from_bytes(data, cp_isolation=_EUROPEAN_ENCODINGS))
    if not matches or matches[0].chaos > 0.1:
        # Maybe not a European language at all (Greek, CJK, Arabic, ...).
        matches = list(from_bytes(data)) + matches
        matches.sort(key=lambda m: m.chaos)
    if not matches:
        return None
    best_chaos = matches[0].chaos
    close = [m for m in matches if m.chaos <= best_chaos + 0.02]
    # max() keeps the first of equals, so ties keep charset-normalizer's ranking.
    best = max(close, key=lambda m: _alphabet_coverage(str(m)))
    return str(best), best.encoding


def _alphabet_coverage(text: str) -> float:
    """Share of non-ASCII letters that belong to one supported language (plus Cyrillic)."""
    letters = [c for c in text.lower() if not c.isascii() and c.isalpha()]
    if not letters:
        return 1.0
    best = 0
    for alphabet in _LATIN_ALPHABETS.values():
        covered = sum(1 for c in letters if c in alphabet or c in _CYRILLIC)
        best = max(best, covered)
    return best / len(letters)


def _display(encoding: str) -> str:
    return encoding.replace("_", "-")
