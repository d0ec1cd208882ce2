"""Find input files, read them once, and turn each record in them into a Document or a Rejection.

A source is one file under the raw dir. A `.txt` / `.txt.gz` file is one document; a
`.jsonl` / `.jsonl.gz` file holds one document per line and a WARC/WET file one per
response, resource or conversion record. `iter_records` yields every record's outcome and
never raises: whatever is wrong with an input (binary, truncated, over a cap, a link out of
the raw dir, deleted mid-run ...) becomes a Rejection whose error is one plain sentence.
"""
from __future__ import annotations

import codecs
import gzip
import hashlib
import io
import json
import os
import re
import stat
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

import charset_normalizer
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord

TEXT_SUFFIXES = (".txt", ".txt.gz")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")
WARC_SUFFIXES = (".warc", ".warc.gz", ".wet", ".wet.gz")
SUFFIXES = TEXT_SUFFIXES + JSONL_SUFFIXES + WARC_SUFFIXES
MIB = 1024 * 1024
DEFAULT_MAX_BYTES = 20 * MIB
# WARC record types that carry a page; warcinfo, request, metadata and revisit records do not.
WARC_DOCUMENT_TYPES = frozenset({"response", "resource", "conversion"})
_CHUNK = MIB


@dataclass(frozen=True, slots=True)
class IngestOptions:
    """Caps and JSONL field names of a run; the defaults suit crawl dumps of news pages."""

    # One document: a .txt file (on disk and unpacked), a JSONL line, a WARC record.
    max_bytes: int = DEFAULT_MAX_BYTES
    # The longest line a document may have; a longer one is not page text.
    max_line_chars: int = 1_000_000
    # One JSONL/WARC file, on disk and unpacked: bounds the time a gzip bomb costs.
    max_container_bytes: int = 8 * 1024 * MIB
    jsonl_text_field: str = "text"
    jsonl_id_field: str = "id"    # optional in the data; gives a doc_id that survives reordering
    jsonl_url_field: str = "url"  # optional in the data


@dataclass(frozen=True, slots=True)
class Source:
    """A file found under the raw dir; `relative_path` is what ids are derived from.

    `relative_path` is posix and escaped (`escape_path`), so it is valid UTF-8 for Parquet and
    for the manifest whatever bytes the file name holds; `path` is the name `os` opens.
    `problem` is set when discovery already knows the file must not be read (a symbolic
    link, a folder that cannot be listed); the source is then rejected with it, unopened.
    `path` is a str, not a Path: a run plans every input before its first batch, and at 100,000
    inputs the Path objects alone were about 50 MB of the flow's process.
    """

    path: str
    relative_path: str
    problem: str | None = None


@dataclass(slots=True)
class Document:
    doc_id: str
    source_path: str
    content_sha256: str
    size_bytes: int
    encoding: str
    text: str
    ingested_at: datetime
    source_record: str | None = None   # "line 12" / "offset 3456 <urn:uuid:...>"; None for one-document files
    url: str | None = None             # from the JSONL url field or WARC-Target-URI


@dataclass(slots=True)
class Rejection:
    doc_id: str
    source_path: str
    sha256: str | None
    size_bytes: int | None
    error: str
    ingested_at: datetime
    source_record: str | None = None


class InputError(Exception):
    """An input problem, already worded as the one-sentence error of its Rejection."""


class NotText(ValueError):
    """The bytes are not text; the message says why, as a clause ("it is a PNG image")."""


class BadLine(ValueError):
    """A JSONL line is not a record; the message is the rest of "Line 3 ..." ("has no 'text' field")."""


def doc_id_for(relative_path: str) -> str:
    """Stable across runs and machines: depends only on the path inside the raw dir."""
    return hashlib.sha256(relative_path.encode("utf-8", "surrogateescape")).hexdigest()[:16]


def record_doc_id(relative_path: str, key: str) -> str:
    """Id of one record of a multi-record file: the file's path plus the record's own key.

    NUL joins them because no path holds one, so no file name can collide with a record.
    """
    return doc_id_for(f"{relative_path}\x00{key}")


_PATH_ESCAPES = re.compile(r"[\\\udc80-\udcff]")


def escape_path(relative_path: str) -> str:
    r"""`relative_path` as valid UTF-8 for Parquet: an undecodable byte becomes \xNN, a backslash \\."""
    return _PATH_ESCAPES.sub(lambda m: "\\\\" if m[0] == "\\" else f"\\x{ord(m[0]) - 0xDC00:02x}", relative_path)


def unescape_path(source_path: str) -> str:
    """The inverse of `escape_path`: a source_path as the name `os` functions take (surrogate-escaped)."""
    return re.sub(r"\\(\\|x[0-9a-f]{2})", lambda m: "\\" if m[1] == "\\" else chr(0xDC00 + int(m[1][1:], 16)),
                  source_path)


# ---------------------------------------------------------------------------------------------
# Discovery


def discover(raw_dir: Path) -> list[Source]:
    """All input files under `raw_dir`, recursively, in a stable order; links are listed, never followed."""
    root = os.path.realpath(raw_dir)
    sources: list[Source] = []

    def unlistable(err: OSError) -> None:
        relative = escape_path(Path(err.filename).relative_to(raw_dir).as_posix())
        sources.append(Source(str(err.filename), relative,
                              f"The folder could not be listed ({err.strerror or err}), so its files were not read."))

    for dirpath, dirnames, filenames in os.walk(raw_dir, onerror=unlistable):
        dirnames.sort()
        folder = Path(dirpath).relative_to(raw_dir).as_posix()
        prefix = "" if folder == "." else folder + "/"
        linked_dirs = [name for name in dirnames if os.path.islink(os.path.join(dirpath, name))]
        for name in sorted(filenames + linked_dirs):
            if name.startswith(".") or not (name in linked_dirs or name.lower().endswith(SUFFIXES)):
                continue
            path = os.path.join(dirpath, name)
            problem = _link_problem(path, root, name in linked_dirs) if os.path.islink(path) else None
            sources.append(Source(path, escape_path(prefix + name), problem))
    return sources


def _link_problem(path: str, root: str, is_folder: bool) -> str:
    what = "folder" if is_folder else "file"
    target = os.path.realpath(path)
    if os.path.commonpath([root, target]) != root:
        return f"The {what} is a symbolic link to a target outside the raw dir; links are not followed."
    return (f"The {what} is a symbolic link to another path in the raw dir; links are not followed, "
            "so the target is read only under its own name.")


# ---------------------------------------------------------------------------------------------
# Reading


def iter_records(source: Source, ingested_at: datetime,
                 options: IngestOptions | None = None) -> Iterator[Document | Rejection]:
    """Every record of `source`, each a Document or a Rejection; at least one, and never an exception."""
    options = options or IngestOptions()
    name = source.relative_path.lower()
    reader: Callable[[Source, datetime, IngestOptions], Iterator[Document | Rejection]]
    if source.problem:
        yield _file_rejection(source, ingested_at, source.problem)
        return
    if name.endswith(JSONL_SUFFIXES):
        reader = _read_jsonl
    elif name.endswith(WARC_SUFFIXES):
        reader = _read_warc
    else:
        reader = _read_text
    try:
        yield from reader(source, ingested_at, options)
    except Exception as err:  # noqa: BLE001 - a reader bug must cost this file, not the run
        yield _file_rejection(source, ingested_at, f"Reading the file failed unexpectedly ({one_line(err)}).")


def read_source(source: Source, ingested_at: datetime, options: IngestOptions | None = None) -> Document | Rejection:
    """The first record of `source`: the whole outcome of a one-document (.txt) file."""
    return next(iter_records(source, ingested_at, options))


def _file_rejection(source: Source, ingested_at: datetime, error: str,
                    sha: str | None = None, size: int | None = None) -> Rejection:
    return Rejection(doc_id_for(source.relative_path), source.relative_path, sha, size, error, ingested_at)


def _open_regular(path: str | os.PathLike[str]) -> BinaryIO:
    """Open a regular file without following a link or blocking on a FIFO; say plainly why not."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise InputError("The file disappeared before it could be read (deleted or moved during the run).") from None
    except PermissionError:
        raise InputError("The file could not be read: permission denied.") from None
    except OSError as err:
        if os.path.islink(path):
            raise InputError("The file became a symbolic link during the run; links are not followed.") from None
        raise InputError(f"The file could not be read: {_os_reason(err)}.") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file (a FIFO, socket or device)"
        raise InputError(f"The file could not be read: it is {kind}.")
    return os.fdopen(fd, "rb")


def _read_capped(stream: BinaryIO, cap: int) -> bytes:
    """At most cap + 1 bytes (one more than allowed, so the caller sees the overrun), in bounded chunks."""
    parts, total = [], 0
    while total <= cap:
        chunk = stream.read(min(_CHUNK, cap + 1 - total))
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
    return b"".join(parts)


def _changed(before: os.stat_result, after: os.stat_result) -> bool:
    return (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns)


# ---------------------------------------------------------------------------------------------
# Decoding, shared by every format

# Formats that are certainly not text, by their first bytes (a PDF can look like ASCII).
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\x7fELF", "an ELF executable"),
    (b"%PDF-", "a PDF document"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    (b"\x1f\x8b", "gzip data without a .gz suffix"),
)
# UTF-32 before UTF-16: the UTF-32 LE mark starts with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig", "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le", "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16-be"),
)
# C0 controls other than tab, line feed, vertical tab, form feed and carriage return, plus DEL;
# NUL is left out: it is stripped (padding in crashed or preallocated files), not a sign of binary.
_CONTROLS = re.compile("[\x01-\x08\x0e-\x1f\x7f]")  # C0 controls but tab, LF, VT, FF, CR; and DEL
_MAX_CONTROL_SHARE = 0.05
# The legacy encoding of the Western web (browsers read latin-1 as it) wins over the detector's
# pick when it reads as coherently and is at most this much more chaotic: on short Western
# European texts charset-normalizer often ranks a Baltic or Central European code page first.
_WESTERN = "cp1252"
_CHAOS_MARGIN = 0.05


def decode(data: bytes) -> tuple[str, str]:
    """Text and the encoding used: a BOM, else strict UTF-8, else UTF-8 with a few bad bytes, else detection.

    Raises NotText when the bytes are not text. An encoding decoded with replacement characters
    is recorded as e.g. "utf-8 (invalid bytes replaced)".
    """
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            raise NotText(f"it is {kind}")
    text, encoding = _decode_text(data)
    _check_controls(text)
    return text, encoding


def _decode_text(data: bytes) -> tuple[str, str]:
    for bom, label, codec in _BOMS:
        if data.startswith(bom):
            return _decode_replacing(data[len(bom):], codec, label)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    # UTF-8 with a few bad bytes (a cut character, a stray cp1252 quote) keeps UTF-8, with
    # replacement: re-detecting would garble every valid multi-byte character around them.
    # Legacy encodings (cp1252, GBK, Big5, Shift-JIS) form few valid UTF-8 sequences by chance.
    replaced = data.decode("utf-8", errors="replace")
    invalid = replaced.count("\ufffd")
    valid_non_ascii = len(replaced) - len(replaced.encode("ascii", errors="ignore")) - invalid
    if invalid <= valid_non_ascii:
        return replaced, "utf-8 (invalid bytes replaced)"
    return _detect(data)


def _decode_replacing(data: bytes, codec: str, label: str) -> tuple[str, str]:
    try:
        return data.decode(codec), label
    except UnicodeDecodeError:
        return data.decode(codec, errors="replace"), f"{label} (invalid bytes replaced)"


def _detect(data: bytes) -> tuple[str, str]:
    results = charset_normalizer.from_bytes(data)
    best = results.best()
    if best is None:
        raise NotText("no text encoding fits its bytes")
    western = next((match for match in results if _WESTERN in match.could_be_from_charset), None)
    if western and western.chaos <= best.chaos + _CHAOS_MARGIN and western.coherence >= best.coherence:
        return data.decode(_WESTERN, errors="replace"), _WESTERN
    return str(best), codecs.lookup(best.encoding).name


def _check_controls(text: str) -> None:
    visible = text.replace("\x00", "")
    controls = len(_CONTROLS.findall(visible))
    if visible and controls > _MAX_CONTROL_SHARE * len(visible):
        raise NotText(f"{controls} of its {len(visible)} characters are control codes")


def normalise_newlines(text: str) -> str:
    """LF line ends only (CRLF and lone CR too), and no NULs, so lines mean the same for every input."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


def _text_problem(text: str, what: str, options: IngestOptions) -> str | None:
    """Why a decoded text is not a page, or None."""
    if not text:
        return f"The {what} is empty."
    if not text.strip():
        return f"The {what} holds only whitespace."
    longest = max(len(line) for line in text.split("\n"))
    if longest > options.max_line_chars:
        return (f"The {what} has a line of {longest} characters, over the {options.max_line_chars}-character "
                "line cap, so it is not page text.")
    return None


# ---------------------------------------------------------------------------------------------
# .txt and .txt.gz: one document per file


def _read_text(source: Source, ingested_at: datetime, options: IngestOptions) -> Iterator[Document | Rejection]:
    reject = _rejecter(source, ingested_at)
    cap = options.max_bytes
    try:
        with _open_regular(source.path) as handle:
            before = os.fstat(handle.fileno())
            if before.st_size > cap:
                yield reject(f"The file is {before.st_size} bytes, over the {cap}-byte size cap, so it was not read.",
                             size=before.st_size)
                return
            raw = _read_capped(handle, cap)
            if len(raw) > cap or _changed(before, os.fstat(handle.fileno())):
                raise InputError("The file changed while it was being read (it is probably still being written); "
                                 "a later run will read it once it is complete.")
    except InputError as err:
        yield reject(str(err))
        return
    sha = hashlib.sha256(raw).hexdigest()
    try:
        data = _gunzip(raw, cap) if source.relative_path.lower().endswith(".gz") else raw
        text, encoding = decode(data)
    except InputError as err:
        yield reject(str(err), sha, len(raw))
        return
    except NotText as err:
        yield reject(f"The file is not text: {err}.", sha, len(raw))
        return
    text = normalise_newlines(text)
    problem = _text_problem(text, "file", options)
    if problem:
        yield reject(problem, sha, len(raw))
        return
    yield Document(doc_id_for(source.relative_path), source.relative_path, sha, len(raw), encoding, text,
                   ingested_at)


def _rejecter(source: Source, ingested_at: datetime) -> Callable[..., Rejection]:
    def reject(error: str, sha: str | None = None, size: int | None = None) -> Rejection:
        return _file_rejection(source, ingested_at, error, sha, size)
    return reject


def _gunzip(raw: bytes, cap: int) -> bytes:
    """Decompress with a cap, so a gzip bomb cannot exhaust memory."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as stream:
            data = _read_capped(stream, cap)
    except (OSError, EOFError, zlib.error) as err:
        raise InputError(_gzip_problem(err)) from None
    if len(data) > cap:
        raise InputError(f"The file decompresses to more than the {cap}-byte size cap.")
    return data


def _gzip_problem(err: BaseException) -> str:
    if isinstance(err, EOFError):
        return "The gzip data is truncated."
    return f"The gzip data is corrupt ({one_line(err)})."


# ---------------------------------------------------------------------------------------------
# Multi-record files: JSON Lines and WARC/WET


def _read_container(source: Source, ingested_at: datetime, options: IngestOptions,
                    records: Callable[[BinaryIO], Iterator[Document | Rejection]]) -> Iterator[Document | Rejection]:
    """Open a JSONL/WARC file, stream its records, and report it when it changed under the reader."""
    reject = _rejecter(source, ingested_at)
    try:
        handle = _open_regular(source.path)
    except InputError as err:
        yield reject(str(err))
        return
    with handle:
        before = os.fstat(handle.fileno())
        if before.st_size > options.max_container_bytes:
            yield reject(f"The file is {before.st_size} bytes, over the {options.max_container_bytes}-byte cap for "
                         "multi-record files, so it was not read.", size=before.st_size)
            return
        count = 0
        for outcome in records(handle):
            count += 1
            yield outcome
        if not count:
            yield reject("The file holds no records.", size=before.st_size)
        elif _changed(before, os.fstat(handle.fileno())):
            yield reject("The file changed while it was being read, so its last records may be missing or partial; "
                         "a later run will read it once it is complete.", size=before.st_size)


def _record_rejection(source: Source, ingested_at: datetime, key: str, reference: str, error: str,
                      raw: bytes | None = None) -> Rejection:
    sha = hashlib.sha256(raw).hexdigest() if raw is not None else None
    return Rejection(record_doc_id(source.relative_path, key), source.relative_path, sha,
                     None if raw is None else len(raw), error, ingested_at, reference)


def _record_document(source: Source, ingested_at: datetime, key: str, reference: str, raw: bytes, text: str,
                     encoding: str, url: str | None, options: IngestOptions) -> Document | Rejection:
    text = normalise_newlines(text)
    problem = _text_problem(text, "record's text", options)
    if problem:
        return _record_rejection(source, ingested_at, key, reference, problem, raw)
    return Document(record_doc_id(source.relative_path, key), source.relative_path,
                    hashlib.sha256(raw).hexdigest(), len(raw), encoding, text, ingested_at, reference, url)


class _CountingReader(io.RawIOBase):
    """Counts the bytes a decompressor hands out and stops past a cap: a gzip bomb costs bounded time."""

    def __init__(self, stream: BinaryIO, cap: int) -> None:
        self.stream, self.cap, self.count = stream, cap, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self.stream.read1(len(buffer))
        self.count += len(data)
        if self.count > self.cap:
            raise InputError(f"The file decompresses to more than the {self.cap}-byte cap for multi-record files; "
                             "the records after this point were not read.")
        buffer[:len(data)] = data
        return len(data)


def _read_jsonl(source: Source, ingested_at: datetime, options: IngestOptions) -> Iterator[Document | Rejection]:
    def records(handle: BinaryIO) -> Iterator[Document | Rejection]:
        gz = source.relative_path.lower().endswith(".gz")
        stream = io.BufferedReader(_CountingReader(gzip.GzipFile(fileobj=handle) if gz else handle,
                                                   options.max_container_bytes))
        seen_ids: dict[str, int] = {}
        line_no = 0
        try:
            while True:
                line = stream.readline(options.max_bytes + 1)
                if not line:
                    return
                line_no += 1
                if len(line) > options.max_bytes and not line.endswith(b"\n"):
                    _skip_line(stream)
                    yield _record_rejection(source, ingested_at, f"line={line_no}", f"line {line_no}",
                                            f"Line {line_no} is over the {options.max_bytes}-byte size cap.")
                elif line.strip():
                    yield _jsonl_record(source, ingested_at, line_no, line, seen_ids, options)
        except InputError as err:
            yield _record_rejection(source, ingested_at, f"line={line_no + 1}", f"line {line_no + 1}", str(err))
        except (OSError, EOFError, zlib.error) as err:
            yield _record_rejection(source, ingested_at, f"line={line_no + 1}", f"line {line_no + 1}",
                                    f"{_gzip_problem(err)[:-1]} after line {line_no}; the lines before it were kept.")

    return _read_container(source, ingested_at, options, records)


def _skip_line(stream: BinaryIO) -> None:
    while (chunk := stream.readline(_CHUNK)) and not chunk.endswith(b"\n"):
        pass


def _jsonl_record(source: Source, ingested_at: datetime, line_no: int, line: bytes, seen_ids: dict[str, int],
                  options: IngestOptions) -> Document | Rejection:
    reference = f"line {line_no}"
    try:
        fields = _parse_json_object(line.removeprefix(codecs.BOM_UTF8) if line_no == 1 else line)
        text = _string_field(fields, options.jsonl_text_field, required=True)
        record_id = _id_field(fields, options.jsonl_id_field)
        url = _string_field(fields, options.jsonl_url_field, required=False)
    except BadLine as err:
        return _record_rejection(source, ingested_at, f"line={line_no}", reference, f"Line {line_no} {err}.", line)
    key = f"line={line_no}" if record_id is None else f"id={record_id}"
    if record_id is not None:
        if record_id in seen_ids:
            return _record_rejection(source, ingested_at, f"line={line_no}", reference,
                                     f"Line {line_no} repeats the id {record_id!r:.80} of line {seen_ids[record_id]}.",
                                     line)
        seen_ids[record_id] = line_no
    return _record_document(source, ingested_at, key, reference, line, text, "utf-8", url, options)


def _parse_json_object(line: bytes) -> dict:
    try:
        value = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadLine("is not valid UTF-8, which JSON Lines requires") from None
    except json.JSONDecodeError as err:
        raise BadLine(f"is not valid JSON ({err.msg} at column {err.colno})") from None
    except RecursionError:
        raise BadLine("nests JSON arrays or objects too deeply to be read") from None
    except ValueError as err:
        raise BadLine(f"is not valid JSON ({one_line(err)})") from None
    if not isinstance(value, dict):
        raise BadLine(f"holds a JSON {_json_type(value)}, not an object")
    return value


def _string_field(fields: dict, name: str, required: bool) -> str | None:
    value = fields.get(name)
    if value is None and not required:
        return None
    if name not in fields:
        raise BadLine(f"has no {name!r} field")
    if not isinstance(value, str):
        raise BadLine(f"has a {_json_type(value)} in its {name!r} field, not a string")
    return value


def _id_field(fields: dict, name: str) -> str | None:
    value = fields.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise BadLine(f"has a {_json_type(value)} in its {name!r} field, not a string or an integer")
    return str(value)


def _json_type(value: object) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _read_warc(source: Source, ingested_at: datetime, options: IngestOptions) -> Iterator[Document | Rejection]:
    def records(handle: BinaryIO) -> Iterator[Document | Rejection]:
        if not _starts_like_warc(handle):
            yield _file_rejection(source, ingested_at, "The file is not a WARC file: it does not start with a "
                                  "WARC/1.x record header.")
            return
        handle.seek(0)
        iterator = ArchiveIterator(handle)
        declared, offset = 0, 0
        try:
            for record in iterator:
                offset = iterator.offset
                declared += _content_length(record, offset)
                if declared > options.max_container_bytes:
                    raise InputError(f"The file declares more than the {options.max_container_bytes}-byte cap for "
                                     "multi-record files; the records from here on were not read.")
                if record.rec_type not in WARC_DOCUMENT_TYPES:
                    continue
                yield _warc_record(source, ingested_at, record, offset, options)
            if _has_leftover(handle, iterator.offset):
                yield _record_rejection(source, ingested_at, f"offset={iterator.offset}", f"offset {iterator.offset}",
                                        f"The WARC record at offset {iterator.offset} is truncated: the file ends "
                                        "inside it; the records before it were kept.")
        except InputError as err:
            yield _record_rejection(source, ingested_at, f"offset={offset}", f"offset {offset}", str(err))
        except (ArchiveLoadFailed, OSError, EOFError, zlib.error, ValueError) as err:
            at = iterator.offset
            yield _record_rejection(source, ingested_at, f"offset={at}", f"offset {at}",
                                    f"The WARC data from offset {at} is corrupt or truncated ({one_line(err)}); "
                                    "the records before it were kept.")

    return _read_container(source, ingested_at, options, records)


def _content_length(record: ArcWarcRecord, offset: int) -> int:
    """The declared block size; warcio yields a header cut short as a record without one."""
    length = record.rec_headers.get_header("Content-Length") or ""
    if not length.isdigit():
        raise InputError(f"The WARC record at offset {offset} has no valid Content-Length header: the file is "
                         "truncated or malformed there; the records before it were kept.")
    return int(length)


def _has_leftover(handle: BinaryIO, end: int) -> bool:
    """Whether bytes other than blank lines follow the last complete record (warcio stops there silently)."""
    handle.seek(end)
    return bool(handle.read(_CHUNK).strip())


def _starts_like_warc(handle: BinaryIO) -> bool:
    head = handle.read(2)
    handle.seek(0)
    try:
        start = gzip.GzipFile(fileobj=handle).read(5) if head == b"\x1f\x8b" else handle.read(5)
    except (OSError, EOFError, zlib.error):
        return False
    return start == b"WARC/"


def _warc_record(source: Source, ingested_at: datetime, record: ArcWarcRecord, offset: int,
                 options: IngestOptions) -> Document | Rejection:
    """One response/resource/conversion record as a Document, or why not."""
    record_id = record.rec_headers.get_header("WARC-Record-ID")
    key = record_id or f"offset={offset}"
    reference = f"offset {offset}" + (f" {record_id}" if record_id else "")
    headers = record.http_headers if record.rec_type == "response" and record.http_headers else None
    mime = ((headers.get_header("Content-Type") if headers else record.content_type) or "").split(";")[0]
    if mime.strip().lower() != "text/plain":
        declared = mime.strip() or "an undeclared type"
        return _record_rejection(source, ingested_at, key, reference,
                                 f"The {record.rec_type} record holds {declared}, not plain text; pressline reads "
                                 "text only.")
    raw = _read_capped(record.content_stream(), options.max_bytes)
    if len(raw) > options.max_bytes:
        return _record_rejection(source, ingested_at, key, reference,
                                 f"The record is over the {options.max_bytes}-byte size cap.")
    if getattr(record.raw_stream, "limit", 0) > 0:
        return _record_rejection(source, ingested_at, key, reference,
                                 "The record is truncated: the file ends before its declared Content-Length.", raw)
    try:
        text, encoding = decode(raw)
    except NotText as err:
        return _record_rejection(source, ingested_at, key, reference, f"The record is not text: {err}.", raw)
    return _record_document(source, ingested_at, key, reference, raw, text, encoding,
                            record.rec_headers.get_header("WARC-Target-URI"), options)


# ---------------------------------------------------------------------------------------------


def _os_reason(err: OSError) -> str:
    return (err.strerror or str(err)).lower()


def one_line(err: BaseException) -> str:
    """An exception as a short single line, fit for the middle of an error sentence (any stage's)."""
    text = " ".join(str(err).split()) or "no message"
    return f"{type(err).__name__}: {text[:200].rstrip()}".rstrip(".")


__all__ = [
    "BadLine", "Document", "IngestOptions", "InputError", "NotText", "Rejection", "Source", "decode", "discover",
    "doc_id_for", "escape_path", "iter_records", "one_line", "read_source", "record_doc_id", "unescape_path",
]
