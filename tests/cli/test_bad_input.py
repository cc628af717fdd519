"""Bad input: one clear line per item, the run goes on, nothing stored is lost or changed."""

from __future__ import annotations

import gzip
import json

import duckdb


def _good_article(path, seeds_dir):
    path.write_text((seeds_dir / sorted(p.name for p in seeds_dir.glob("002_*.txt"))[0]).read_text(encoding="utf-8"),
                    encoding="utf-8")


def _bad_inputs(folder):
    folder.mkdir()
    (folder / "report.pdf.txt").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + bytes(range(256)) * 40)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "truncated.html").write_text("<html><head><title>Broken</ti", encoding="utf-8")
    (folder / "garbage.html").write_bytes(b"<html>\x00\x01\x02<<<>>>\xff\xfe" * 50)
    (folder / "huge.html").write_bytes(b"<html><body>" + b"<p>word word word word word.</p>" * 800_000 + b"</body></html>")
    (folder / "records.jsonl").write_text('{"title": "a record without text"}\n{not json}\n', encoding="utf-8")
    (folder / "page.html.gz").write_bytes(b"this is not gzip at all")
    return folder


def test_bad_inputs_are_named_and_the_run_goes_on(cli, tmp_path, seeds_dir):
    db = tmp_path / "c.duckdb"
    good = tmp_path / "good.txt"
    _good_article(good, seeds_dir)
    r = cli("analyze", str(good), "--db", str(db))
    assert r.returncode == 0, r.stderr
    before = duckdb.connect(str(db), read_only=True).execute("SELECT id, text, title FROM documents ORDER BY id").fetchall()
    assert len(before) == 1

    bad = _bad_inputs(tmp_path / "bad")
    r = cli("analyze", str(bad), "http://127.0.0.1:9/never.html", "--db", str(db))
    # nothing in this run could be analysed → non-zero exit, and a line per bad item
    assert r.returncode == 1, r.stderr
    err = r.stderr
    for name in ("report.pdf.txt", "empty.txt", "truncated.html", "garbage.html", "huge.html", "records.jsonl#1",
                 "records.jsonl#2", "page.html.gz", "127.0.0.1"):
        assert name in err, name
    assert "refused" in err and "loopback" in err
    assert "Traceback" not in err

    after = duckdb.connect(str(db), read_only=True).execute("SELECT id, text, title FROM documents ORDER BY id").fetchall()
    assert after[: len(before)] == before or set(before) <= set(after)


def test_mixed_good_and_bad_exits_zero_unless_strict(cli, tmp_path, seeds_dir):
    folder = tmp_path / "mixed"
    folder.mkdir()
    _good_article(folder / "good.txt", seeds_dir)
    (folder / "empty.txt").write_bytes(b"")
    r = cli("analyze", str(folder), "--db", str(tmp_path / "m.duckdb"))
    assert r.returncode == 0, r.stderr
    assert "empty.txt" in r.stderr
    r = cli("analyze", str(folder), "--db", str(tmp_path / "m2.duckdb"), "--strict")
    assert r.returncode == 1


def test_not_a_duckdb_file_is_a_clear_error(cli, tmp_path, seeds_dir):
    bogus = tmp_path / "notes.duckdb"
    bogus.write_text("these are my notes, not a database\n", encoding="utf-8")
    good = tmp_path / "good.txt"
    _good_article(good, seeds_dir)
    r = cli("analyze", str(good), "--db", str(bogus))
    assert r.returncode != 0
    assert "notes.duckdb" in r.stderr and "Traceback" not in r.stderr
    assert bogus.read_text(encoding="utf-8") == "these are my notes, not a database\n"


def test_unknown_language_is_a_warning_not_a_failure(cli, tmp_path):
    noise = tmp_path / "noise.txt"
    noise.write_text("zxq vbnm qwrt plkj 4411 " * 20, encoding="utf-8")
    db = tmp_path / "n.duckdb"
    r = cli("analyze", str(noise), "--db", str(db))
    assert r.returncode == 0, r.stderr
    assert "noise.txt" in r.stderr and "language could not be identified" in r.stderr
    lang = duckdb.connect(str(db), read_only=True).execute("SELECT language FROM documents").fetchall()
    assert lang == [("und",)]
