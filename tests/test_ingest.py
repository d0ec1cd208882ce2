"""Discovery, reading and decoding: every input becomes a Document or a Rejection."""
from __future__ import annotations

import gzip
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pressline.ingest import Document, Rejection, Source, decode, discover, doc_id_for, read_source

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
TEXT = "Headline here\nOfficials met on Monday to talk about trade, the ministry said.\n"


def _read(path: Path, root: Path, **kwargs) -> Document | Rejection:
    return read_source(Source(path, path.relative_to(root).as_posix()), NOW, **kwargs)


def test_discover_walks_recursively_in_stable_order(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    for name in ("b/2.txt", "a.txt", "b/1.txt.gz", "notes.md", ".hidden.txt"):
        (tmp_path / name).write_bytes(b"x")
    assert [source.relative_path for source in discover(tmp_path)] == ["a.txt", "b/1.txt.gz", "b/2.txt"]


def test_doc_id_is_stable_and_path_derived() -> None:
    assert doc_id_for("a/b.txt") == doc_id_for("a/b.txt")
    assert doc_id_for("a/b.txt") != doc_id_for("a/c.txt")
    assert len(doc_id_for("x")) == 16


def test_plain_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "one.txt"
    path.write_text(TEXT, encoding="utf-8")
    document = _read(path, tmp_path)
    assert isinstance(document, Document)
    assert (document.text, document.encoding, document.size_bytes) == (TEXT, "utf-8", len(TEXT.encode()))
    assert len(document.content_sha256) == 64


def test_gzip_file_is_decompressed(tmp_path: Path) -> None:
    path = tmp_path / "one.txt.gz"
    path.write_bytes(gzip.compress(TEXT.encode()))
    document = _read(path, tmp_path)
    assert isinstance(document, Document) and document.text == TEXT


def test_truncated_gzip_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "cut.txt.gz"
    path.write_bytes(gzip.compress(TEXT.encode() * 50)[:40])
    rejection = _read(path, tmp_path)
    assert isinstance(rejection, Rejection)
    assert "gzip" in rejection.error and rejection.sha256


def test_gzip_bomb_is_capped(tmp_path: Path) -> None:
    path = tmp_path / "bomb.txt.gz"
    path.write_bytes(gzip.compress(b"a" * 5_000_000))
    rejection = _read(path, tmp_path, max_bytes=1_000_000)
    assert isinstance(rejection, Rejection) and "size cap" in rejection.error


def test_oversized_file_is_rejected_without_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"a" * 2000)
    rejection = _read(path, tmp_path, max_bytes=1000)
    assert isinstance(rejection, Rejection) and rejection.sha256 is None and rejection.size_bytes == 2000


@pytest.mark.parametrize("content", [b"", b"   \n\t \n"])
def test_empty_or_whitespace_file_is_rejected(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    rejection = _read(path, tmp_path)
    assert isinstance(rejection, Rejection) and "empty" in rejection.error


def test_unreadable_path_is_rejected(tmp_path: Path) -> None:
    directory = tmp_path / "x.txt"
    directory.mkdir()
    rejection = _read(directory, tmp_path)
    assert isinstance(rejection, Rejection) and rejection.error.startswith("The file could not be read")


def test_crlf_and_nul_are_normalised(tmp_path: Path) -> None:
    path = tmp_path / "crlf.txt"
    path.write_bytes(b"one\r\ntwo\rthree\x00\n")
    document = _read(path, tmp_path)
    assert isinstance(document, Document) and document.text == "one\ntwo\nthree\n"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("\ufeffHello world".encode("utf-8"), "Hello world"),
        ("“Smart quotes” are common in café news copy, said the editor.".encode("cp1252"),
         "“Smart quotes” are common in café news copy, said the editor."),
        ("网络安全是中美两国共同面临的挑战，双方应加强对话与合作。".encode("gb18030"),
         "网络安全是中美两国共同面临的挑战，双方应加强对话与合作。"),
    ],
)
def test_decode_detects_encodings(data: bytes, expected: str) -> None:
    text, _encoding = decode(data)
    assert text == expected


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_read_source_never_raises_on_arbitrary_bytes(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    root = tmp_path_factory.mktemp("fuzz")
    path = root / "any.txt"
    path.write_bytes(data)
    outcome = _read(path, root)
    assert isinstance(outcome, (Document, Rejection))
    if isinstance(outcome, Rejection):
        assert outcome.error.endswith(".") and "\n" not in outcome.error
