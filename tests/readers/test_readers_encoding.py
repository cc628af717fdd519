"""Encodings: real Russian, Ukrainian, French, German and Polish sentences round-trip."""

from __future__ import annotations

import random

import pytest

from narrascope.errors import InputError
from narrascope.readers import ReadOptions, decode_bytes, iter_inputs
from narrascope.readers.encoding import DecodeError

RUSSIAN = (
    "Президент Белоруссии заявил, что его страна никогда не станет частью России. "
    "Это заявление прозвучало на встрече с российскими журналистами в Минске."
)
UKRAINIAN = "Президент України заявив, що Білорусь залишається загрозою для північних областей. Їхні війська стоять біля кордону."
FRENCH = (
    "À Minsk, les manifestants ont dénoncé une élection truquée ; la police a réagi très brutalement. "
    "Ça suffit : l'Otan répète que la Biélorussie est complice de l'agression russe."
)
GERMAN = "Der weißrussische Präsident erklärte, dass sein Land niemals Teil Russlands werden würde. Größere Übungen sind geplant."
POLISH = "Prezydent Białorusi oświadczył, że jego kraj nigdy nie stanie się częścią Rosji. Żołnierze ćwiczą przy granicy."

CASES = [
    (RUSSIAN, "cp1251"),
    (RUSSIAN, "koi8-r"),
    (RUSSIAN, "utf-8"),
    (RUSSIAN, "utf-8-sig"),
    (RUSSIAN, "utf-16"),
    (RUSSIAN, "utf-16-le"),
    (FRENCH, "utf-16-be"),
    (UKRAINIAN, "cp1251"),
    (UKRAINIAN, "koi8-u"),
    (FRENCH, "latin-1"),
    (FRENCH, "cp1252"),
    (FRENCH, "utf-8-sig"),
    (GERMAN, "latin-1"),
    (GERMAN, "cp1252"),
    (POLISH, "cp1250"),
    (POLISH, "iso-8859-2"),
]


@pytest.mark.parametrize(("text", "encoding"), CASES)
def test_decode_bytes_round_trip(text, encoding):
    decoded, _ = decode_bytes(text.encode(encoding))
    assert decoded == text


@pytest.mark.parametrize(("text", "encoding"), [(RUSSIAN[:40], "koi8-r"), (RUSSIAN[:40], "cp1251"), (FRENCH[:60], "latin-1")])
def test_short_texts_round_trip(text, encoding):
    assert decode_bytes(text.encode(encoding))[0] == text


@pytest.mark.parametrize(("text", "encoding"), CASES)
def test_files_round_trip(tmp_path, text, encoding):
    path = tmp_path / "article.txt"
    path.write_bytes(text.encode(encoding))
    [doc] = list(iter_inputs([str(path)]))
    assert doc.raw == text and doc.raw_format == "text"


def test_meta_charset_and_xml_declaration_are_used():
    html = '<html><head><meta charset="koi8-r"></head><body><p>' + RUSSIAN[:30] + "</p></body></html>"
    assert decode_bytes(html.encode("koi8-r")) == (html, "koi8_r")
    old_style = '<meta http-equiv="Content-Type" content="text/html; charset=windows-1251"><p>' + RUSSIAN + "</p>"
    assert decode_bytes(old_style.encode("cp1251")) == (old_style, "cp1251")
    xml = '<?xml version="1.0" encoding="ISO-8859-1"?><rss><title>' + FRENCH + "</title></rss>"
    assert decode_bytes(xml.encode("latin-1"))[0] == xml


def test_declared_charset_wins_when_valid_and_yields_when_wrong():
    assert decode_bytes(RUSSIAN.encode("koi8-r"), "koi8-r") == (RUSSIAN, "koi8_r")
    # Labelled UTF-8 but really cp1251: the label does not decode, detection does.
    assert decode_bytes(RUSSIAN.encode("cp1251"), "utf-8")[0] == RUSSIAN
    # Labelled cp1251 but really UTF-8: valid non-ASCII UTF-8 is trusted over the label.
    assert decode_bytes(RUSSIAN.encode("utf-8"), "windows-1251") == (RUSSIAN, "utf-8")
    # Unknown label is ignored.
    assert decode_bytes(FRENCH.encode("cp1252"), "x-no-such-charset")[0] == FRENCH


def test_html_file_with_meta_charset(tmp_path):
    html = '<html><head><meta charset="windows-1251"><title>Минск</title></head><body><p>' + RUSSIAN + "</p></body></html>"
    path = tmp_path / "ru.html"
    path.write_bytes(html.encode("cp1251"))
    [doc] = list(iter_inputs([str(path)]))
    assert doc.raw == html and doc.meta["encoding"] == "cp1251"


def test_undecodable_garbage_is_refused(tmp_path):
    rng = random.Random(7)
    garbage = bytes(rng.randrange(0x80, 0x100) for _ in range(2000))
    with pytest.raises(DecodeError, match=r"^could not decode text \(tried utf-8"):
        decode_bytes(garbage)
    (tmp_path / "junk.txt").write_bytes(garbage)
    (tmp_path / "ok.txt").write_text("Readable.", encoding="utf-8")
    junk, ok = list(iter_inputs([str(tmp_path)], ReadOptions()))
    assert isinstance(junk, InputError) and junk.problem.startswith("could not decode text (tried utf-8")
    assert ok.raw == "Readable."
