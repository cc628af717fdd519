"""JSON Lines, JSON and CSV/TSV exports with field mapping."""

from __future__ import annotations

import gzip
import json

import pytest

from narrascope.document import Document
from narrascope.errors import ConfigError, InputError
from narrascope.readers import ReadOptions, iter_inputs

BODY = "Lukashenko said Belarus would never be part of Russia.\n\nHe spoke in Minsk."


def _read(path, **options):
    return list(iter_inputs([str(path)], ReadOptions(**options)))


def test_jsonl_custom_mapping_and_bad_lines(tmp_path):
    path = tmp_path / "export.jsonl"
    lines = [
        json.dumps({"article_body": BODY, "headline_en": "Minsk", "when": "2021-12-14T10:00:00Z",
                    "media": "Belta", "writers": ["Ivan Petrov", "Anna Smith"], "uid": 17, "permalink": "https://belta.by/a"}),
        '{"article_body": "broken", ',
        "",
        json.dumps({"headline_en": "No body here", "media": "Belta"}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"article_body": "Второй текст о Минске.", "when": "14.12.2021"}, ensure_ascii=False),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    field_map = {"text": "article_body", "title": "headline_en", "published": "when", "outlet": "media",
                 "authors": "writers", "id": "uid", "url": "permalink"}
    first, broken, no_body, not_object, last = _read(path, field_map=field_map)

    assert isinstance(first, Document) and first.source == f"{path}#1"
    assert (first.raw, first.raw_format) == (BODY, "text")
    assert first.title == "Minsk" and first.outlet == "Belta" and first.url == "https://belta.by/a"
    assert first.published == "2021-12-14T10:00:00+00:00"
    assert first.authors == ["Ivan Petrov", "Anna Smith"] and first.meta["record_id"] == "17"

    assert isinstance(broken, InputError) and broken.source == f"{path}#2" and broken.problem.startswith("invalid JSON")
    assert no_body.source == f"{path}#4"
    assert no_body.problem == "record has no text, html or url (looked for 'article_body', 'permalink'); its fields: headline_en, media"
    assert not_object.source == f"{path}#5" and "not an object" in not_object.problem
    assert last.source == f"{path}#6" and last.raw == "Второй текст о Минске." and last.published == "2021-12-14"


def test_jsonl_default_names_and_aliases(tmp_path):
    path = tmp_path / "news.ndjson.gz"
    records = [
        {"content": BODY, "link": "https://x.org/1", "pubdate": "Tue, 14 Dec 2021 10:00:00 +0300", "site": "x.org",
         "headline": "One", "author": "By Jane Doe and John Roe"},
        {"html": "<html><body><p>Hi</p></body></html>", "date": 1639476000, "source": "y.org"},
        {"body": "<p>First paragraph.</p><p>Second.</p>", "domain": "z.org"},
        {"text": ["Para one.", "Para two."], "published_at": "2021-12-14"},
    ]
    path.write_bytes(gzip.compress("\n".join(json.dumps(r) for r in records).encode("utf-8")))
    a, b, c, d = _read(path)
    assert (a.raw_format, a.url, a.outlet, a.title) == ("text", "https://x.org/1", "x.org", "One")
    assert a.published == "2021-12-14T10:00:00+03:00" and a.authors == ["Jane Doe", "John Roe"]
    assert (b.raw_format, b.outlet, b.published) == ("html", "y.org", "2021-12-14T10:00:00+00:00")
    assert c.raw_format == "html"  # markup in a text column is HTML
    assert d.raw == "Para one.\n\nPara two." and d.published == "2021-12-14"


def test_jsonl_oversized_record_refused_and_next_read(tmp_path):
    path = tmp_path / "big.jsonl"
    path.write_text(json.dumps({"text": "x" * 5000}) + "\n" + json.dumps({"text": "small"}) + "\n", encoding="utf-8")
    big, small = _read(path, max_bytes=1000)
    assert big.source == f"{path}#1" and big.problem == "record is over the 1 KB limit (raise it with --max-bytes)"
    assert small.source == f"{path}#2" and small.raw == "small"


def test_json_list_and_wrapped_and_single(tmp_path):
    (tmp_path / "list.json").write_text(json.dumps([{"text": "One."}, {"title": "no text"}, {"text": "Three."}]), encoding="utf-8")
    (tmp_path / "wrapped.json").write_text(json.dumps({"status": "ok", "articles": [{"body": "Wrapped."}]}), encoding="utf-8")
    (tmp_path / "single.json").write_text(json.dumps({"content": {"rendered": "<p>WordPress post.</p>"}}), encoding="utf-8")
    (tmp_path / "broken.json").write_text('{"text": "unterminated', encoding="utf-8")
    items = list(iter_inputs([str(tmp_path)]))
    by_source = {i.source.replace(str(tmp_path) + "/", ""): i for i in items}
    assert sorted(by_source) == ["broken.json", "list.json#1", "list.json#2", "list.json#3", "single.json", "wrapped.json#1"]
    assert by_source["list.json#1"].raw == "One." and isinstance(by_source["list.json#2"], InputError)
    assert by_source["wrapped.json#1"].raw == "Wrapped."
    assert by_source["single.json"].raw_format == "html" and "WordPress post." in by_source["single.json"].raw
    assert by_source["broken.json"].problem.startswith("invalid JSON")


def test_csv_with_multiline_cells_and_cp1251(tmp_path):
    path = tmp_path / "export.csv"
    rows = (
        'id,Title,text,date,outlet,authors\r\n'
        '1,Минск,"Первый абзац.\r\n\r\nВторой абзац, с запятой.",2021-12-14,РИА,"Иван Петров; Анна Смирнова"\r\n'
        '2,Empty,,2021-12-15,RIA,\r\n'
        '3,Second,"Short ""quoted"" text.",not a date,RIA,\r\n'
    )
    path.write_bytes(rows.encode("cp1251"))
    first, empty, third = _read(path)
    assert first.source == f"{path}#2" and first.raw == "Первый абзац.\r\n\r\nВторой абзац, с запятой."
    assert first.title == "Минск" and first.outlet == "РИА" and first.authors == ["Иван Петров", "Анна Смирнова"]
    assert first.published == "2021-12-14" and first.meta["record_id"] == "1"
    assert isinstance(empty, InputError) and empty.source == f"{path}#5"
    assert third.source == f"{path}#6" and third.raw == 'Short "quoted" text.'
    assert third.published is None and third.meta["warnings"] == ["unrecognised published date 'not a date'"]


def test_tsv_and_semicolon_csv(tmp_path):
    (tmp_path / "a.tsv").write_text("headline\tbody\tlink\nT1\tTab separated, with comma.\thttps://a.org/1\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text("headline;body\nT2;Semicolon separated, with comma.\n", encoding="utf-8-sig")
    a, b = list(iter_inputs([str(tmp_path)]))
    assert (a.title, a.raw, a.url) == ("T1", "Tab separated, with comma.", "https://a.org/1")
    assert (b.title, b.raw) == ("T2", "Semicolon separated, with comma.")


def test_unknown_field_in_map_is_a_config_error(tmp_path):
    (tmp_path / "a.jsonl").write_text('{"text": "x"}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown field 'body'"):
        _read(tmp_path / "a.jsonl", field_map={"body": "x"})


def test_parquet_rows_with_field_map_typed_dates_and_a_damaged_file(tmp_path):
    import duckdb

    path = tmp_path / "part-000.parquet"
    con = duckdb.connect()
    con.execute("CREATE TABLE t (article_body VARCHAR, media VARCHAR, when_ts TIMESTAMP, permalink VARCHAR)")
    con.execute("INSERT INTO t VALUES (?, 'Belta', TIMESTAMP '2021-12-14 10:00:00', NULL), "
                "(NULL, 'Belta', NULL, NULL)", [BODY])
    con.execute(f"COPY t TO '{path}' (FORMAT parquet)")
    con.close()
    items = _read(path, field_map={"text": "article_body", "outlet": "media", "published": "when_ts", "url": "permalink"})
    first, second = items[0], items[1]
    assert isinstance(first, Document) and first.raw == BODY and first.outlet == "Belta"
    assert first.published == "2021-12-14T10:00:00" and first.source == f"{path}#1"
    assert isinstance(second, InputError) and second.source == f"{path}#2" and "text" in second.problem
    assert len(items) == 2

    renamed = tmp_path / "shard-without-suffix"
    renamed.write_bytes(path.read_bytes())
    assert isinstance(_read(renamed, field_map={"text": "article_body"})[0], Document)  # sniffed by PAR1 magic

    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1" + b"\0" * 64)
    (err,) = _read(broken)
    assert isinstance(err, InputError) and err.source == str(broken) and err.problem.startswith("invalid Parquet file")


def test_plain_text_with_a_pasted_link_stays_text(tmp_path, polnear_dir):
    # A PolNeAR article (plain text, 60 lines) quotes one <a href=...>...</a>: read as
    # HTML it lost all its text ("no article text found"); as a text file it reads fine.
    article = polnear_dir / "train" / "text" / "huff-post_2016-06-17_trump-s-supporters-may-be-the-re.txt"
    if not article.exists():
        pytest.skip("PolNeAR article not present")
    text = article.read_text(encoding="utf-8")
    assert "</a>" in text
    path = tmp_path / "export.jsonl"
    records = [{"text": text}, {"text": "Short entry with <a href='https://x.org'>a link</a>."},
               {"text": "Line one <b>bold</b>\nLine two <i>it</i>"}]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    article_doc, short, marked = _read(path)
    assert article_doc.raw_format == "text"
    assert (short.raw_format, marked.raw_format) == ("html", "html")  # markup throughout: a fragment
    from narrascope.pipeline import Pipeline, load_config

    prepared = Pipeline.from_config(load_config(), "prepare")([article_doc])[0]
    assert not prepared.meta.get("problem")
    assert "Greensboro Coliseum" in prepared.text and prepared.text.count("\n") > 20
