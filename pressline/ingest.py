"""Find input dumps, read their bytes once, and decode them to text.

Every discovered input ends as either a `Document` or a `Rejection` with a
one-sentence error, so nothing read is ever lost between here and the warehouse.
"""
from __future__ import annotations

import hashlib
import os
import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import charset_normalizer

TEXT_SUFFIXES = (".txt", ".txt.gz")
DEFAULT_MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Source:
    """A file found under the raw dir; `relative_path` is what ids are derived from."""

    path: Path
    relative_path: str


@dataclass(slots=True)
class Document:
    doc_id: str
    source_path: str
    content_sha256: str
    size_bytes: int
    encoding: str
    text: str
    ingested_at: datetime


@dataclass(slots=True)
class Rejection:
    doc_id: str
    source_path: str
    sha256: str | None
    size_bytes: int | None
    error: str
    ingested_at: datetime


def doc_id_for(relative_path: str) -> str:
    """Stable across runs and machines: depends only on the path inside the raw dir."""
    return hashlib.sha256(relative_path.encode("utf-8", "surrogateescape")).hexdigest()[:16]


def discover(raw_dir: Path) -> list[Source]:
    """All dump files under `raw_dir`, recursively, in a stable order."""
    sources = []
    for dirpath, dirnames, filenames in os.walk(raw_dir):
        dirnames.sort()
        for name in sorted(filenames):
            if name.startswith(".") or not name.endswith(TEXT_SUFFIXES):
                continue
            path = Path(dirpath) / name
            sources.append(Source(path, path.relative_to(raw_dir).as_posix()))
    return sources


def decode(data: bytes) -> tuple[str, str]:
    """Text and the encoding used: strict UTF-8 first (the common case), else detection."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        raise ValueError("the file is not text in any encoding the decoder recognises")
    return str(best), best.encoding


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


def read_source(source: Source, ingested_at: datetime, max_bytes: int = DEFAULT_MAX_BYTES) -> Document | Rejection:
    """Read and decode one input; any problem becomes a Rejection, never an exception."""
    doc_id = doc_id_for(source.relative_path)

    def reject(error: str, sha: str | None = None, size: int | None = None) -> Rejection:
        return Rejection(doc_id, source.relative_path, sha, size, error, ingested_at)

    try:
        size = source.path.stat().st_size
        if size > max_bytes:
            return reject(f"The file is {size} bytes, over the {max_bytes}-byte size cap.", size=size)
        raw = source.path.read_bytes()
    except OSError as err:
        return reject(f"The file could not be read: {err.strerror or err}.")
    sha = hashlib.sha256(raw).hexdigest()
    data = raw
    if source.relative_path.endswith(".gz"):
        try:
            data = _gunzip(raw, max_bytes)
        except ValueError as err:
            return reject(str(err), sha, len(raw))
    try:
        text, encoding = decode(data)
    except ValueError as err:
        return reject(f"The file is not text: {err}.", sha, len(raw))
    text = normalise_newlines(text)
    if not text.strip():
        return reject("The file is empty or holds only whitespace.", sha, len(raw))
    return Document(doc_id, source.relative_path, sha, len(raw), encoding, text, ingested_at)


def _gunzip(raw: bytes, max_bytes: int) -> bytes:
    """Decompress with a cap, so a gzip bomb cannot exhaust memory."""
    decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        data = decompressor.decompress(raw, max_bytes + 1)
    except zlib.error as err:
        raise ValueError(f"The gzip data is corrupt ({err}).") from None
    if len(data) > max_bytes:
        raise ValueError(f"The file decompresses to more than the {max_bytes}-byte size cap.")
    if not decompressor.eof:
        raise ValueError("The gzip data is truncated.")
    return data


__all__ = ["Document", "Rejection", "Source", "decode", "discover", "doc_id_for", "read_source"]
