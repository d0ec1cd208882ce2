"""A raw dir of hostile and broken inputs next to the good seed dumps, with the outcome each must get.

Why: issue 7 asks that every bad input ends as a properly decoded record or as a rejected row
that says what was wrong, and that none of them changes what the good dumps give. `build`
writes every case of the issue's list (and of the README's Input handling table) and returns
one `Expected` per input - per file, and per record of a JSONL or WARC file - so a test can
check that inputs seen == articles + quarantine + rejected. The cases that need the run
itself to misbehave (a file deleted or turned into a link after discovery, an unreadable
file: tests run as root, so permissions cannot deny a read) are applied by `after_discovery`,
`UNREADABLE` and `while_reading` (a file that grows, and one deleted, between the first bytes
read and the rest), which the test wires in.
"""
from __future__ import annotations

import gzip
import io
import json
import os
import random
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.conftest import RAW
from tests.synthetic import iter_dumps

MIB = 1024 * 1024
SECRET = "TOP-SECRET-OUTSIDE-THE-RAW-DIR"
UNREADABLE = "race/unreadable.txt"
VANISHING = "race/vanishing.txt"
BECOMES_LINK = "race/becomes-link.txt"
GROWING = "race/growing.txt"
DELETED_WHILE_READ = "race/deleted-while-read.txt"
# Inputs that are no longer in the raw dir after the run.
GONE = frozenset({VANISHING, DELETED_WHILE_READ})

ZH = ("网络安全是中美两国共同面临的挑战，双方应加强对话与合作，官员和分析人士周一在北京表示。"
      "中国国家互联网信息办公室主任在多个国际场合呼吁两国发挥各自优势，共同解决网络空间出现的问题，"
      "并建立长期有效的沟通机制。")
ZH_TW = ("網路安全是中美兩國共同面臨的挑戰，雙方應加強對話與合作，官員和分析人士週一在台北表示。"
         "主管機關在多個國際場合呼籲兩國發揮各自優勢，共同解決網路空間出現的問題，並建立長期有效的溝通機制。")
JA = ("東京都は月曜日、新しい交通計画を発表した。計画では、二〇三〇年までに市内のバス路線を全面的に見直し、"
      "高齢者や子育て世帯が利用しやすい運行に改めるという。担当者は記者会見で、住民の意見を聞きながら進めると説明した。")
SMART = ("“Smart quotes” are common in café news copy, the editor said on Monday, and it’s not only "
         "the quotes — résumés, naïve façades and déjà vu all turn up in the archive’s older pages.")
FRENCH = ("Le maire de Lyon a annoncé mercredi un plan de rénovation des écoles, a-t-il déclaré à la presse. "
          "Les élèves déjà inscrits seront prévenus avant la rentrée, et les travaux dureront deux années.")
SHORT = "A short note\nThe meeting was moved to Friday, organisers said in a statement today.\n"


@dataclass(frozen=True)
class Expected:
    """One input and its outcome: a document (articles or quarantine) or a rejected row."""

    source_path: str
    source_record: str | None
    outcome: str                 # "document" or "rejected"
    says: str = ""               # in the rejection's error, or in the document's body
    encoding: str | None = None  # the encoding a document must record
    absent: str = ""             # never in the document's body


def seeds() -> list[Path]:
    return sorted(RAW.glob("*.txt"))


def copy_seeds(raw: Path) -> list[Expected]:
    """The good dumps, at the same relative paths in every raw dir built here."""
    raw.mkdir(parents=True, exist_ok=True)
    for seed in seeds():
        shutil.copy(seed, raw / seed.name)
    return [Expected(seed.name, None, "document") for seed in seeds()]


def build(raw: Path, outside: Path) -> list[Expected]:
    """Write the good dumps and every hostile case under `raw`; `outside` gets what links point at."""
    expected = copy_seeds(raw)
    for builder in (_broken, _encodings, _big, _gzip, _jsonl, _warc, _links, _names, _special, _race):
        expected += builder(raw, outside)
    return expected


def after_discovery(raw: Path) -> None:
    """What happens to the raw dir while the run reads it: a file vanishes, another becomes a link."""
    (raw / VANISHING).unlink()
    target = raw / BECOMES_LINK
    target.unlink()
    target.symlink_to(raw / seeds()[0].name)


def while_reading(raw: Path) -> dict[tuple[int, int], Callable[[], None]]:
    """What happens to a file after its first bytes are read, by (device, inode) of the open file:
    a writer appends to GROWING, and DELETED_WHILE_READ is deleted (its open file stays readable)."""
    def append() -> None:
        with open(raw / GROWING, "ab") as handle:
            handle.write(b"A paragraph the writer had not finished when the run read the file.\n")

    def delete() -> None:
        (raw / DELETED_WHILE_READ).unlink()

    return {_inode(raw / GROWING): append, _inode(raw / DELETED_WHILE_READ): delete}


def _inode(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_dev, status.st_ino


def _write(raw: Path, relative: str, data: bytes) -> str:
    path = raw / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return relative


@cache
def _page(index: int) -> str:
    """A made-up dump: bad inputs never copy a seed, so no seed gains a (near-)duplicate in the run."""
    return list(iter_dumps(index + 1, seed=7007))[index][1]


def _body_line(text: str) -> str:
    """The longest line of a dump: certainly body prose, so a decoded document must have it."""
    return max(text.splitlines(), key=len)


def _broken(raw: Path, _outside: Path) -> list[Expected]:
    noise = random.Random(7).randbytes(4096)
    cases = [
        ("bad/empty.txt", b"", "is empty"),
        ("bad/whitespace.txt", b"  \n\t\r\n   \n", "only whitespace"),
        ("bad/image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + noise, "PNG image"),
        ("bad/program.txt", b"\x7fELF\x02\x01\x01\x00" + noise, "ELF executable"),
        ("bad/paper.txt", b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n", "PDF document"),
        ("bad/noise.txt", bytes(range(1, 9)) * 200, "not text"),
    ]
    return [Expected(_write(raw, name, data), None, "rejected", says) for name, data, says in cases]


def _encodings(raw: Path, _outside: Path) -> list[Expected]:
    page = _page(0)  # china_daily_print: it has valid multi-byte characters besides the bad byte
    line = _body_line(page)
    mixed = page.encode().replace(line.encode(), line[:20].encode() + b"\xff" + line[20:].encode())
    newlines = _page(1).replace("\n", "\r\n", 5).replace("\n", "\r", 9)
    nul_line = _body_line(_page(2))
    nul = _page(2).replace(nul_line, "\x00".join([nul_line[:8], nul_line[8:16], nul_line[16:]]), 1)
    nul = nul.replace(".", ".\x00", 4)
    article = "{title}\n\n{body}\n\n{body}\n"
    cases = [
        ("enc/invalid-utf8-mid.txt", mixed, "utf-8 (invalid bytes replaced)", line[:20] + "\ufffd" + line[20:40]),
        ("enc/bom-utf8.txt", b"\xef\xbb\xbf" + _page(3).encode(), "utf-8-sig", _body_line(_page(3))),
        ("enc/utf16-le.txt", b"\xff\xfe" + _page(4).encode("utf-16-le"), "utf-16-le", _body_line(_page(4))),
        ("enc/utf16-be.txt", b"\xfe\xff" + _page(5).encode("utf-16-be"), "utf-16-be", _body_line(_page(5))),
        ("enc/gb18030.txt", article.format(title="网络安全对话", body=ZH).encode("gb18030"), "gb18030", ZH[:20]),
        ("enc/gbk.txt", article.format(title="网络安全对话", body=ZH).encode("gbk"), "gb18030", ZH[:20]),
        ("enc/big5.txt", article.format(title="網路安全對話", body=ZH_TW).encode("big5"), "big5", ZH_TW[:20]),
        ("enc/shift-jis.txt", article.format(title="東京の交通計画", body=JA).encode("shift_jis"), "cp932", JA[:20]),
        ("enc/cp1252.txt", article.format(title="Quotes in old pages", body=SMART).encode("cp1252"), "cp1252",
         "“Smart quotes”"),
        ("enc/latin1.txt", article.format(title="Les écoles de Lyon", body=FRENCH).encode("latin-1"), "cp1252",
         "rénovation des écoles"),
        ("enc/mixed-newlines.txt", newlines.encode(), "utf-8", _body_line(_page(1))),
    ]
    return [Expected(_write(raw, name, data), None, "document", says, encoding)
            for name, data, encoding, says in cases] + [
        Expected(_write(raw, "enc/nul-bytes.txt", nul.encode()), None, "document", nul_line[:40], "utf-8",
                 absent="\x00")]


def _big(raw: Path, _outside: Path) -> list[Expected]:
    words = b"word " * (2 * MIB // 5)
    return [
        Expected(_write(raw, "big/one-50mb-line.txt", b"x" * (50 * MIB)), None, "rejected", "size cap"),
        Expected(_write(raw, "big/over-cap.txt", (b"A line of text.\n" * (21 * MIB // 16))), None, "rejected",
                 "size cap"),
        Expected(_write(raw, "big/one-2mb-line.txt", words), None, "rejected", "line cap"),
    ]


def _gzip(raw: Path, _outside: Path) -> list[Expected]:
    return [
        Expected(_write(raw, "gz/good.txt.gz", gzip.compress(_page(6).encode())), None, "document",
                 _body_line(_page(6))),
        Expected(_write(raw, "gz/truncated.txt.gz", gzip.compress(_page(7).encode())[:300]), None, "rejected",
                 "truncated"),
        Expected(_write(raw, "gz/bomb.txt.gz", gzip.compress(b"\x00" * (30 * MIB), compresslevel=9)), None,
                 "rejected", "decompresses to more than"),
    ]


def _jsonl(raw: Path, _outside: Path) -> list[Expected]:
    lines = [
        json.dumps({"id": "a1", "url": "https://example.com/a1", "text": _page(8)}),
        "{broken json",
        "",
        json.dumps([1, 2, 3]),
        json.dumps({"id": "a1", "text": "a repeated id"}),
        json.dumps({"text": 42}),
        json.dumps({"text": _page(9)}, ensure_ascii=False),
        json.dumps({"body": "no text field"}),
        "[" * 100_000,
    ]
    path = _write(raw, "jsonl/mixed.jsonl", "\n".join(lines).encode() + b"\n")
    records = [json.dumps({"id": n, "text": _page(n)}) for n in (10, 11, 12)]
    packed = gzip.compress("\n".join(records).encode() + b"\n")
    cut = _write(raw, "jsonl/cut.jsonl.gz", packed[:-40])
    return [
        Expected(path, "line 1", "document", _body_line(_page(8))),
        Expected(path, "line 2", "rejected", "not valid JSON"),
        Expected(path, "line 4", "rejected", "JSON array, not an object"),
        Expected(path, "line 5", "rejected", "repeats the id"),
        Expected(path, "line 6", "rejected", "number in its 'text' field"),
        Expected(path, "line 7", "document", _body_line(_page(9))),
        Expected(path, "line 8", "rejected", "no 'text' field"),
        Expected(path, "line 9", "rejected", "too deeply"),
        Expected(cut, "line 1", "document"),
        Expected(cut, "line 2", "document"),
        Expected(cut, "line 3", "rejected", "truncated after line 2"),
    ]


def _warc(raw: Path, _outside: Path) -> list[Expected]:
    expected: list[Expected] = []
    for name, gz, first in (("warc/pages.wet", False, 13), ("warc/pages.warc.gz", True, 16)):
        data, refs = _warc_bytes(gz, first)
        path = _write(raw, name, data[:-60])
        expected += [Expected(path, refs[0], "document", _body_line(_page(first))),
                     Expected(path, refs[1], "document", _body_line(_page(first + 1))),
                     Expected(path, refs[2], "rejected", "not plain text"),
                     Expected(path, refs[3], "rejected", "truncated")]
    expected.append(Expected(_write(raw, "warc/not-a-warc.warc", b"just some text\n" * 20), None, "rejected",
                             "not a WARC file"))
    return expected


def _warc_bytes(gz: bool, first: int) -> tuple[bytes, list[str]]:
    """A WET-like file: warcinfo, two text pages, an HTML response and a last page (cut off by the caller)."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=gz)
    writer.write_record(writer.create_warcinfo_record("pages.warc", {"software": "tests/hostile.py"}))
    refs = []
    pages = [("conversion", _page(first), "text/plain"), ("conversion", _page(first + 1), "text/plain"),
             ("response", "<html><body>a page</body></html>", "text/html"),
             ("resource", _page(first + 2), "text/plain")]
    for number, (kind, text, mime) in enumerate(pages):
        record_id = f"<urn:uuid:00000000-0000-0000-0000-00000000000{number}>"
        body = text.encode()
        http = StatusAndHeaders("200 OK", [("Content-Type", mime)], protocol="HTTP/1.1") if kind == "response" else None
        record = writer.create_warc_record(f"https://example.com/{number}", kind, payload=io.BytesIO(body),
                                           length=None if http else len(body), http_headers=http,
                                           warc_content_type=None if http else mime,
                                           warc_headers_dict={"WARC-Record-ID": record_id})
        refs.append(f"offset {buffer.tell()} {record_id}")
        writer.write_record(record)
    return buffer.getvalue(), refs


def _links(raw: Path, outside: Path) -> list[Expected]:
    outside.mkdir(parents=True, exist_ok=True)
    (outside / "secret.txt").write_text(f"{SECRET}\nThis file is outside the raw dir and must never be read.\n")
    (raw / "links").mkdir()
    (raw / "links" / "outside.txt").symlink_to(outside / "secret.txt")
    (raw / "links" / "outside-folder").symlink_to(outside)
    (raw / "links" / "inside.txt").symlink_to(raw / seeds()[0].name)
    (raw / "links" / "dangling.txt").symlink_to(raw / "links" / "no-such-file.txt")
    return [
        Expected("links/dangling.txt", None, "rejected", "symbolic link"),
        Expected("links/inside.txt", None, "rejected", "symbolic link to another path in the raw dir"),
        Expected("links/outside-folder", None, "rejected", "outside the raw dir"),
        Expected("links/outside.txt", None, "rejected", "outside the raw dir"),
    ]


def _names(raw: Path, _outside: Path) -> list[Expected]:
    """Odd names; source_path escapes a backslash and an undecodable byte, reversibly."""
    plain = ["names/with spaces.txt", "names/unicodé 新闻.txt", "names/new\nline.txt", "folder.txt/inside.txt"]
    expected = [Expected(_write(raw, name, SHORT.encode()), None, "document") for name in plain]
    _write(raw, "names/back\\slash.txt", SHORT.encode())
    (raw / "names" / os.fsdecode(b"bytes-\xff\xfe.txt")).write_bytes(SHORT.encode())
    return expected + [Expected("names/back\\\\slash.txt", None, "document"),
                       Expected("names/bytes-\\xff\\xfe.txt", None, "document")]


def _special(raw: Path, _outside: Path) -> list[Expected]:
    os.mkfifo(raw / "bad" / "pipe.txt")
    return [Expected("bad/pipe.txt", None, "rejected", "not a regular file")]


def _race(raw: Path, _outside: Path) -> list[Expected]:
    return [
        Expected(_write(raw, UNREADABLE, SHORT.encode()), None, "rejected", "permission denied"),
        Expected(_write(raw, VANISHING, SHORT.encode()), None, "rejected", "disappeared"),
        Expected(_write(raw, BECOMES_LINK, SHORT.encode()), None, "rejected", "became a symbolic link"),
        Expected(_write(raw, GROWING, SHORT.encode()), None, "rejected", "changed while it was being read"),
        Expected(_write(raw, DELETED_WHILE_READ, _page(19).encode()), None, "document", _body_line(_page(19))),
    ]
