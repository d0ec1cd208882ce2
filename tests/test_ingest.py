"""Discovery, reading and decoding: every input record becomes a Document or a Rejection, one case each."""
from __future__ import annotations

import gzip
import io
import json
import os
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pressline import ingest
from pressline.ingest import (
    Document, IngestOptions, NotText, Rejection, Source, decode, discover, doc_id_for, escape_path, iter_records,
    read_source, unescape_path,
)
from pressline.pipeline import ingest_batch

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
TEXT = "Headline here\nOfficials met on Monday to talk about trade, the ministry said.\n"
MIB = 1024 * 1024


def _read(path: Path, root: Path, **options) -> Document | Rejection:
    return read_source(Source(str(path), path.relative_to(root).as_posix()), NOW, IngestOptions(**options))


def _records(path: Path, root: Path, **options) -> list[Document | Rejection]:
    return list(iter_records(Source(str(path), path.relative_to(root).as_posix()), NOW, IngestOptions(**options)))


def _rejected(outcome: Document | Rejection, says: str) -> Rejection:
    assert isinstance(outcome, Rejection), outcome
    assert says in outcome.error, outcome.error
    assert outcome.error.endswith(".") and "\n" not in outcome.error
    return outcome


def _write(root: Path, name: str, data: bytes) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# ---------------------------------------------------------------------------------------------
# Discovery


def test_discover_walks_recursively_in_stable_order(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    for name in ("b/2.txt", "a.txt", "b/1.txt.gz", "notes.md", ".hidden.txt", "c.jsonl", "d.warc.gz", "e.WET", "f.TXT"):
        (tmp_path / name).write_bytes(b"x")
    assert [source.relative_path for source in discover(tmp_path)] == [
        "a.txt", "c.jsonl", "d.warc.gz", "e.WET", "f.TXT", "b/1.txt.gz", "b/2.txt"]


def test_a_folder_named_like_a_dump_is_walked_into(tmp_path: Path) -> None:
    _write(tmp_path, "x.txt/inner.txt", TEXT.encode())
    assert [(source.relative_path, source.problem) for source in discover(tmp_path)] == [("x.txt/inner.txt", None)]


def test_symlinks_are_listed_with_a_problem_and_never_followed(tmp_path: Path) -> None:
    raw, outside = tmp_path / "raw", tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    _write(raw, "real.txt", TEXT.encode())
    (raw / "out.txt").symlink_to(outside / "secret.txt")
    (raw / "in.txt").symlink_to(raw / "real.txt")
    (raw / "folder").symlink_to(outside)
    sources = {source.relative_path: source for source in discover(raw)}
    assert set(sources) == {"real.txt", "out.txt", "in.txt", "folder"}
    assert "outside the raw dir" in sources["out.txt"].problem
    assert "another path in the raw dir" in sources["in.txt"].problem
    assert "folder is a symbolic link" in sources["folder"].problem
    outcome = read_source(sources["out.txt"], NOW)
    assert "secret" not in repr(outcome)
    _rejected(outcome, "not followed")


def test_an_unlistable_folder_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, "locked/a.txt", TEXT.encode())
    walk = os.walk

    def walk_failing(top, onerror=None, **kwargs):
        for dirpath, dirnames, filenames in walk(top, onerror=onerror, **kwargs):
            if "locked" in dirnames:  # what os.walk does when scandir is denied (root cannot be denied)
                dirnames.remove("locked")
                onerror(PermissionError(13, "Permission denied", os.path.join(dirpath, "locked")))
            yield dirpath, dirnames, filenames

    monkeypatch.setattr(ingest.os, "walk", walk_failing)
    [source] = discover(tmp_path)
    assert source.relative_path == "locked"
    _rejected(read_source(source, NOW), "could not be listed")


def test_file_names_with_spaces_unicode_and_newlines_are_kept(tmp_path: Path) -> None:
    names = ["with spaces.txt", "unicodé 新闻.txt", "new\nline.txt"]
    for name in names:
        _write(tmp_path, name, TEXT.encode())
    documents = [read_source(source, NOW) for source in discover(tmp_path)]
    assert sorted(document.source_path for document in documents) == sorted(names)
    assert all(isinstance(document, Document) for document in documents)


def test_undecodable_file_names_are_escaped_reversibly(tmp_path: Path) -> None:
    with open(os.fsencode(tmp_path) + b"/bytes-\xff.txt", "wb") as handle:
        handle.write(TEXT.encode())
    _write(tmp_path, "back\\slash.txt", TEXT.encode())
    sources = discover(tmp_path)
    assert sorted(source.relative_path for source in sources) == ["back\\\\slash.txt", "bytes-\\xff.txt"]
    for source in sources:
        document = read_source(source, NOW)
        assert isinstance(document, Document)
        document.source_path.encode("utf-8")
        assert (tmp_path / unescape_path(document.source_path)).exists()


@given(st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(["\\", "x", "\udcff", "\udc80"])))
def test_escape_path_round_trips_and_is_valid_utf8(name: str) -> None:
    escaped = escape_path(name)
    escaped.encode("utf-8")
    assert unescape_path(escaped) == name


def test_doc_id_is_stable_and_path_derived() -> None:
    assert doc_id_for("a/b.txt") == doc_id_for("a/b.txt")
    assert doc_id_for("a/b.txt") != doc_id_for("a/c.txt")
    assert len(doc_id_for("x")) == 16


# ---------------------------------------------------------------------------------------------
# One-document files: reading


def test_plain_utf8_file(tmp_path: Path) -> None:
    document = _read(_write(tmp_path, "one.txt", TEXT.encode()), tmp_path)
    assert isinstance(document, Document)
    assert (document.text, document.encoding, document.size_bytes) == (TEXT, "utf-8", len(TEXT.encode()))
    assert len(document.content_sha256) == 64 and document.source_record is None


def test_gzip_file_is_decompressed(tmp_path: Path) -> None:
    document = _read(_write(tmp_path, "one.txt.gz", gzip.compress(TEXT.encode())), tmp_path)
    assert isinstance(document, Document) and document.text == TEXT


def test_multi_member_gzip_is_read_whole(tmp_path: Path) -> None:
    data = gzip.compress(b"first half, ") + gzip.compress(TEXT.encode())
    document = _read(_write(tmp_path, "two.txt.gz", data), tmp_path)
    assert isinstance(document, Document) and document.text == "first half, " + TEXT


def test_truncated_gzip_is_rejected(tmp_path: Path) -> None:
    rejection = _rejected(_read(_write(tmp_path, "cut.txt.gz", gzip.compress(TEXT.encode() * 50)[:40]), tmp_path),
                          "gzip data is truncated")
    assert rejection.sha256


def test_corrupt_gzip_is_rejected(tmp_path: Path) -> None:
    _rejected(_read(_write(tmp_path, "bad.txt.gz", b"\x1f\x8b\x08\x00garbage-not-deflate" * 3), tmp_path),
              "gzip data is corrupt")


def test_gzip_bomb_is_capped(tmp_path: Path) -> None:
    bomb = _write(tmp_path, "bomb.txt.gz", gzip.compress(b"a" * 5_000_000))
    _rejected(_read(bomb, tmp_path, max_bytes=1_000_000), "decompresses to more than the 1000000-byte size cap")


def test_oversized_file_is_rejected_without_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, "big.txt", b"a" * 2000)
    monkeypatch.setattr(ingest, "_read_capped", lambda *_: pytest.fail("the oversized file was read"))
    rejection = _rejected(_read(path, tmp_path, max_bytes=1000), "over the 1000-byte size cap")
    assert rejection.sha256 is None and rejection.size_bytes == 2000


def test_default_size_cap_is_20_mib(tmp_path: Path) -> None:
    path = _write(tmp_path, "big.txt", b"a\n" * (10 * MIB + 1))
    _rejected(_read(path, tmp_path), f"over the {20 * MIB}-byte size cap")


def test_a_single_50_mb_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "line.txt", b"x" * (50 * MIB))
    _rejected(_read(path, tmp_path), "size cap")
    _rejected(_read(path, tmp_path, max_bytes=64 * MIB), "over the 1000000-character line cap")


def test_a_long_line_within_the_line_cap_is_kept(tmp_path: Path) -> None:
    path = _write(tmp_path, "long.txt", b"word " * 100_000)
    assert isinstance(_read(path, tmp_path), Document)
    _rejected(_read(path, tmp_path, max_line_chars=1000), "line cap")


@pytest.mark.parametrize(("content", "says"), [(b"", "is empty"), (b"   \n\t \r\n", "only whitespace"),
                                               (b"\x00\x00\x00", "is empty")])
def test_empty_or_whitespace_file_is_rejected(tmp_path: Path, content: bytes, says: str) -> None:
    _rejected(_read(_write(tmp_path, "empty.txt", content), tmp_path), says)


def test_a_directory_read_as_a_file_is_rejected(tmp_path: Path) -> None:
    directory = tmp_path / "x.txt"
    directory.mkdir()
    _rejected(_read(directory, tmp_path), "it is a folder")


def test_a_fifo_is_rejected_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.txt")
    _rejected(_read(tmp_path / "pipe.txt", tmp_path), "not a regular file")


def test_an_unreadable_file_is_rejected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests run as root, which chmod cannot deny; the open fails as it would for another user."""
    path = _write(tmp_path, "locked.txt", TEXT.encode())

    def denied(*_args, **_kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(ingest.os, "open", denied)
    rejection = _rejected(_read(path, tmp_path), "permission denied")
    assert rejection.sha256 is None


def test_a_file_deleted_before_it_is_read(tmp_path: Path) -> None:
    path = _write(tmp_path, "gone.txt", TEXT.encode())
    source = discover(tmp_path)[0]
    path.unlink()
    _rejected(read_source(source, NOW), "disappeared")


def test_a_file_replaced_by_a_link_after_discovery_is_not_followed(tmp_path: Path) -> None:
    path = _write(tmp_path, "swap.txt", TEXT.encode())
    source = discover(tmp_path)[0]
    path.unlink()
    path.symlink_to("/etc/passwd")
    _rejected(read_source(source, NOW), "became a symbolic link")


def _while_reading(monkeypatch: pytest.MonkeyPatch, action) -> None:
    read_capped = ingest._read_capped

    def read_after(stream, cap):
        action()
        return read_capped(stream, cap)

    monkeypatch.setattr(ingest, "_read_capped", read_after)


def test_a_file_growing_while_it_is_read_is_rejected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, "growing.txt", TEXT.encode())

    def append() -> None:
        with open(path, "ab") as handle:
            handle.write(b"more text being written\n")

    _while_reading(monkeypatch, append)
    _rejected(_read(path, tmp_path), "changed while it was being read")


def test_a_file_deleted_while_it_is_read_keeps_what_was_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, "deleted.txt", TEXT.encode())
    _while_reading(monkeypatch, path.unlink)
    document = _read(path, tmp_path)
    assert isinstance(document, Document) and document.text == TEXT


def test_an_unexpected_failure_is_a_rejection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_data: bytes) -> tuple[str, str]:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(ingest, "decode", broken)
    _rejected(_read(_write(tmp_path, "a.txt", TEXT.encode()), tmp_path), "failed unexpectedly (RuntimeError: boom")


# ---------------------------------------------------------------------------------------------
# Decoding


@pytest.mark.parametrize(("data", "kind"), [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "PNG image"),
    (b"\x7fELF\x02\x01\x01\x00" + bytes(200), "ELF executable"),
    (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "PDF document"),
    (b"\x1f\x8b\x08\x00" + bytes(20), "gzip data without a .gz suffix"),
    (bytes(range(1, 9)) * 100, "control codes"),
])
def test_binary_files_are_not_text(tmp_path: Path, data: bytes, kind: str) -> None:
    rejection = _rejected(_read(_write(tmp_path, "binary.txt", data), tmp_path), "The file is not text")
    assert kind in rejection.error


def test_invalid_utf8_mid_file_is_replaced_not_redetected(tmp_path: Path) -> None:
    data = "Café owners in Zürich said".encode() + b" \xff " + "prices rose 5 % — again.\n".encode()
    document = _read(_write(tmp_path, "mixed.txt", data), tmp_path)
    assert isinstance(document, Document)
    assert document.encoding == "utf-8 (invalid bytes replaced)"
    assert document.text == "Café owners in Zürich said \ufffd prices rose 5 % — again.\n"


ZH = "网络安全是中美两国共同面临的挑战，双方应加强对话与合作。北京时间周一，两国官员在华盛顿举行会谈，讨论贸易和投资问题。"
ZH_TW = "網路安全是中美兩國共同面臨的挑戰，雙方應加強對話與合作。台北時間週一，兩國官員在華盛頓舉行會談，討論貿易與投資問題。"
JA = "東京都は月曜日、新しい交通計画を発表した。計画では、二〇三〇年までに市内のバス路線を全面的に見直すという。担当者は記者会見で説明した。"
SMART = "“Smart quotes” are common in café news copy, said the editor. It’s a fact — naïve résumé."
FRENCH = ("Le maire de Lyon a annoncé mercredi un plan de rénovation des écoles, a-t-il déclaré à la presse. "
          "Les élèves déjà inscrits seront prévenus.")


@pytest.mark.parametrize(("data", "expected", "encoding"), [
    ("\ufeffHello world".encode("utf-8"), "Hello world", "utf-8-sig"),
    (b"\xff\xfe" + SMART.encode("utf-16-le"), SMART, "utf-16-le"),
    (b"\xfe\xff" + ZH.encode("utf-16-be"), ZH, "utf-16-be"),
    (b"\xff\xfe\x00\x00" + JA.encode("utf-32-le"), JA, "utf-32-le"),
    (ZH.encode("gb18030"), ZH, "gb18030"),
    (ZH.encode("gbk"), ZH, "gb18030"),
    (ZH_TW.encode("big5"), ZH_TW, "big5"),
    (JA.encode("shift_jis"), JA, "cp932"),
    (SMART.encode("cp1252"), SMART, "cp1252"),
    (FRENCH.encode("latin-1"), FRENCH, "cp1252"),
])
def test_decode_detects_encodings(data: bytes, expected: str, encoding: str) -> None:
    assert decode(data) == (expected, encoding)


def test_utf16_with_a_broken_tail_is_replaced(tmp_path: Path) -> None:
    data = b"\xff\xfe" + SMART.encode("utf-16-le") + b"\x00"
    document = _read(_write(tmp_path, "odd.txt", data), tmp_path)
    assert isinstance(document, Document) and document.encoding == "utf-16-le (invalid bytes replaced)"


def test_crlf_cr_lf_and_nul_are_normalised(tmp_path: Path) -> None:
    document = _read(_write(tmp_path, "crlf.txt", b"one\r\ntwo\rthree\x00\nfour\n"), tmp_path)
    assert isinstance(document, Document) and document.text == "one\ntwo\nthree\nfour\n"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_decode_raises_only_not_text(data: bytes) -> None:
    try:
        text, encoding = decode(data)
    except NotText as err:
        assert str(err) and "\n" not in str(err)
    else:
        assert isinstance(text, str) and encoding


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2000), st.sampled_from(["any.txt", "any.txt.gz", "any.jsonl", "any.jsonl.gz", "any.warc",
                                                  "any.warc.gz", "any.wet"]), st.booleans())
def test_arbitrary_bytes_never_raise(tmp_path_factory: pytest.TempPathFactory, data: bytes, name: str,
                                     packed: bool) -> None:
    """Any bytes under any input suffix (gzip-packed or not): outcomes only, one-sentence errors."""
    root = tmp_path_factory.mktemp("fuzz")
    path = _write(root, name, gzip.compress(data) if packed else data)
    outcomes = _records(path, root)
    assert outcomes
    for outcome in outcomes:
        assert isinstance(outcome, (Document, Rejection))
        if isinstance(outcome, Rejection):
            assert outcome.error.endswith(".") and "\n" not in outcome.error


# ---------------------------------------------------------------------------------------------
# JSON Lines


def _jsonl(root: Path, lines: list[str], name: str = "feed.jsonl") -> Path:
    data = ("\n".join(lines) + "\n").encode()
    return _write(root, name, gzip.compress(data) if name.endswith(".gz") else data)


def test_jsonl_good_and_malformed_lines(tmp_path: Path) -> None:
    path = _jsonl(tmp_path, [
        json.dumps({"id": "a", "url": "https://example.com/a", "text": TEXT}),
        "{not json",
        "",
        json.dumps(["a", "list"]),
        json.dumps({"id": "a", "text": "again"}),
        json.dumps({"text": 42}),
        json.dumps({"title": "no text"}),
        json.dumps({"id": [1], "text": TEXT}),
        json.dumps({"text": TEXT, "url": 5}),
        json.dumps({"id": 7, "text": "   "}),
        "[" * 50_000,
        json.dumps({"text": TEXT}),
    ])
    outcomes = {outcome.source_record: outcome for outcome in _records(path, tmp_path)}
    assert list(outcomes) == [f"line {n}" for n in (1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12)]
    first = outcomes["line 1"]
    assert isinstance(first, Document) and (first.text, first.url, first.encoding) == (TEXT, "https://example.com/a",
                                                                                       "utf-8")
    _rejected(outcomes["line 2"], "Line 2 is not valid JSON")
    _rejected(outcomes["line 4"], "Line 4 holds a JSON array, not an object")
    _rejected(outcomes["line 5"], "Line 5 repeats the id 'a' of line 1")
    _rejected(outcomes["line 6"], "Line 6 has a number in its 'text' field, not a string")
    _rejected(outcomes["line 7"], "Line 7 has no 'text' field")
    _rejected(outcomes["line 8"], "array in its 'id' field")
    _rejected(outcomes["line 9"], "number in its 'url' field")
    _rejected(outcomes["line 10"], "The record's text holds only whitespace")
    _rejected(outcomes["line 11"], "too deeply")
    assert isinstance(outcomes["line 12"], Document)
    assert len({outcome.doc_id for outcome in outcomes.values()}) == len(outcomes)


def test_jsonl_field_names_are_configurable(tmp_path: Path) -> None:
    path = _jsonl(tmp_path, [json.dumps({"body": TEXT, "uid": "x1", "link": "https://e.com/x1"})])
    [document] = _records(path, tmp_path, jsonl_text_field="body", jsonl_id_field="uid", jsonl_url_field="link")
    assert isinstance(document, Document) and document.url == "https://e.com/x1"
    assert document.doc_id == ingest.record_doc_id("feed.jsonl", "id=x1")


def test_jsonl_ids_keep_doc_ids_stable_when_lines_move(tmp_path: Path) -> None:
    lines = [json.dumps({"id": n, "text": f"{TEXT} {n}"}) for n in range(3)]
    before = {o.text: o.doc_id for o in _records(_jsonl(tmp_path, lines), tmp_path)}
    after = {o.text: o.doc_id for o in _records(_jsonl(tmp_path, lines[::-1]), tmp_path)}
    assert before == after
    without_ids = [json.dumps({"text": f"{TEXT} {n}"}) for n in range(2)]
    assert len({o.doc_id for o in _records(_jsonl(tmp_path, without_ids), tmp_path)}) == 2


def test_jsonl_invalid_utf8_line_and_bom(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbf" + json.dumps({"text": TEXT}).encode() + b'\n{"text": "caf\xe9"}\n'
    first, second = _records(_write(tmp_path, "feed.jsonl", data), tmp_path)
    assert isinstance(first, Document)
    _rejected(second, "Line 2 is not valid UTF-8")


def test_jsonl_line_over_the_size_cap_is_skipped(tmp_path: Path) -> None:
    path = _jsonl(tmp_path, [json.dumps({"text": "x" * 5000}), json.dumps({"text": TEXT})])
    first, second = _records(path, tmp_path, max_bytes=1000)
    _rejected(first, "Line 1 is over the 1000-byte size cap")
    assert isinstance(second, Document) and second.source_record == "line 2"


def test_jsonl_gz_truncated_keeps_earlier_lines(tmp_path: Path) -> None:
    lines = [json.dumps({"text": f"{TEXT} number {n} {'filler ' * 50}"}) for n in range(200)]
    data = gzip.compress(("\n".join(lines) + "\n").encode())
    outcomes = _records(_write(tmp_path, "cut.jsonl.gz", data[: len(data) // 2]), tmp_path)
    assert len(outcomes) > 10 and all(isinstance(o, Document) for o in outcomes[:-1])
    _rejected(outcomes[-1], "The gzip data is truncated after line")


def test_jsonl_gz_bomb_is_capped(tmp_path: Path) -> None:
    bomb = _write(tmp_path, "bomb.jsonl.gz", gzip.compress(b" " * 5_000_000 + b"\n"))
    [rejection] = _records(bomb, tmp_path, max_container_bytes=1_000_000)
    _rejected(rejection, "decompresses to more than the 1000000-byte cap")


@pytest.mark.parametrize("data", [b"", b"\n\n  \n"])
def test_jsonl_without_records_is_rejected(tmp_path: Path, data: bytes) -> None:
    [rejection] = _records(_write(tmp_path, "none.jsonl", data), tmp_path)
    assert _rejected(rejection, "holds no records").source_record is None


# ---------------------------------------------------------------------------------------------
# WARC / WET


def _warc(pages: list[tuple[str, bytes, str]], gz: bool) -> tuple[bytes, list[int]]:
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=gz)
    writer.write_record(writer.create_warcinfo_record("t.warc", {"software": "tests"}))
    offsets = []
    for number, (kind, body, mime) in enumerate(pages):
        http = StatusAndHeaders("200 OK", [("Content-Type", mime)], protocol="HTTP/1.1") if kind == "response" else None
        record = writer.create_warc_record(f"https://example.com/{number}", kind, payload=io.BytesIO(body),
                                           length=None if http else len(body), http_headers=http,
                                           warc_content_type=None if http else mime)
        offsets.append(buffer.tell())
        writer.write_record(record)
    return buffer.getvalue(), offsets


PAGES = [("conversion", TEXT.encode(), "text/plain"),
         ("resource", "Résumé page\nSecond line.\n".encode(), "text/plain"),
         ("response", TEXT.encode(), "text/plain; charset=utf-8"), ("response", b"<html></html>", "text/html")]


@pytest.mark.parametrize(("name", "gz"), [("pages.warc", False), ("pages.warc.gz", True), ("pages.wet", False),
                                          ("pages.wet.gz", True)])
def test_warc_records_are_documents(tmp_path: Path, name: str, gz: bool) -> None:
    data, offsets = _warc(PAGES, gz)
    outcomes = _records(_write(tmp_path, name, data), tmp_path)
    assert [o.source_record.split(" <")[0] for o in outcomes] == [f"offset {offset}" for offset in offsets]
    assert [type(o) for o in outcomes] == [Document, Document, Document, Rejection]
    assert outcomes[0].text == TEXT and outcomes[0].url == "https://example.com/0"
    assert outcomes[1].text == "Résumé page\nSecond line.\n"
    _rejected(outcomes[3], "The response record holds text/html, not plain text")
    assert all(o.source_record.endswith(">") for o in outcomes)
    assert len({o.doc_id for o in outcomes}) == 4


@pytest.mark.parametrize("gz", [False, True])
def test_truncated_warc_record_is_rejected_and_earlier_ones_kept(tmp_path: Path, gz: bool) -> None:
    data, offsets = _warc(PAGES[:2] + [("conversion", TEXT.encode() * 40, "text/plain")], gz)
    outcomes = _records(_write(tmp_path, "cut.warc.gz" if gz else "cut.warc", data[:-200]), tmp_path)
    assert [type(o) for o in outcomes] == [Document, Document, Rejection]
    rejection = _rejected(outcomes[-1], "truncated")
    assert rejection.source_record.startswith(f"offset {offsets[2]}")


def test_warc_cut_inside_the_headers_is_rejected(tmp_path: Path) -> None:
    data, offsets = _warc(PAGES[:2], False)
    outcomes = _records(_write(tmp_path, "cut.warc", data[: offsets[1] + 40]), tmp_path)
    assert isinstance(outcomes[0], Document)
    _rejected(outcomes[-1], "offset")


def test_warc_record_over_the_size_cap_is_rejected(tmp_path: Path) -> None:
    data, _ = _warc([("conversion", b"word " * 1000, "text/plain"), PAGES[0]], False)
    big, small = _records(_write(tmp_path, "big.warc", data), tmp_path, max_bytes=1000)
    _rejected(big, "over the 1000-byte size cap")
    assert isinstance(small, Document)


def test_binary_warc_record_is_rejected(tmp_path: Path) -> None:
    data, _ = _warc([("resource", b"\x89PNG\r\n\x1a\n" + bytes(100), "text/plain")], False)
    [rejection] = _records(_write(tmp_path, "png.warc", data), tmp_path)
    _rejected(rejection, "The record is not text: it is a PNG image")


@pytest.mark.parametrize(("data", "says"), [(b"hello, not a warc\n" * 5, "not a WARC file"),
                                            (b"", "not a WARC file")])
def test_not_a_warc_file(tmp_path: Path, data: bytes, says: str) -> None:
    [rejection] = _records(_write(tmp_path, "junk.warc", data), tmp_path)
    _rejected(rejection, says)


def test_warc_with_only_metadata_records_is_rejected(tmp_path: Path) -> None:
    data, _ = _warc([], False)
    [rejection] = _records(_write(tmp_path, "info.warc", data), tmp_path)
    _rejected(rejection, "holds no records")


# ---------------------------------------------------------------------------------------------
# JSONL and WARC files that change while they are read


def _multi_record_file(root: Path, name: str) -> tuple[Path, bytes, list[str]]:
    """A JSONL or WARC file of three pages, and bytes a writer still busy with it would append."""
    texts = [f"Page {number}\n{TEXT}" for number in range(3)]
    gz = name.endswith(".gz")
    if ".jsonl" in name:
        more = (json.dumps({"text": "A record still being written"}) + "\n").encode()
        return _jsonl(root, [json.dumps({"text": text}) for text in texts], name), \
            gzip.compress(more) if gz else more, texts
    data, _ = _warc([("conversion", text.encode(), "text/plain") for text in texts], gz)
    more, _ = _warc([("conversion", b"A record still being written\n", "text/plain")], gz)
    return _write(root, name, data), more, texts


@pytest.mark.parametrize("name", ["feed.jsonl", "feed.jsonl.gz", "pages.warc", "pages.warc.gz"])
def test_a_multi_record_file_changing_while_it_is_read_keeps_its_records_and_says_so(tmp_path: Path,
                                                                                    name: str) -> None:
    path, more, texts = _multi_record_file(tmp_path, name)
    outcomes = iter_records(Source(str(path), name), NOW)
    first = next(outcomes)  # the file is open and being read: a writer appends to it now
    with open(path, "ab") as handle:
        handle.write(more)
    rest = list(outcomes)
    documents = [first, *rest[:-1]]
    assert all(isinstance(outcome, Document) for outcome in documents), documents
    assert [document.text for document in documents[:3]] == texts
    change = _rejected(rest[-1], "The file changed while it was being read, so its last records may be missing")
    assert change.source_path == name and change.source_record is None and change.doc_id == doc_id_for(name)


def test_a_multi_record_file_that_does_not_change_has_no_such_row(tmp_path: Path) -> None:
    path, _, texts = _multi_record_file(tmp_path, "feed.jsonl")
    assert [outcome.text for outcome in _records(path, tmp_path)] == texts


# ---------------------------------------------------------------------------------------------
# The batch stage


def test_ingest_batch_collects_every_record_of_every_source(tmp_path: Path) -> None:
    _write(tmp_path, "one.txt", TEXT.encode())
    _jsonl(tmp_path, [json.dumps({"text": TEXT}), "{bad", json.dumps({"text": TEXT})])
    _write(tmp_path, "empty.txt", b"")
    batch = ingest_batch(discover(tmp_path), NOW)
    assert sorted((d.source_path, d.source_record) for d in batch.documents) == [
        ("feed.jsonl", "line 1"), ("feed.jsonl", "line 3"), ("one.txt", None)]
    assert sorted((r.source_path, r.source_record) for r in batch.rejections) == [
        ("empty.txt", None), ("feed.jsonl", "line 2")]
