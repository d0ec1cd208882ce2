"""The stages applied to one batch of documents, as plain functions over lists and Arrow tables.

The Prefect tasks in `flows/` call exactly these, one call per batch, so the engine is
testable without Prefect and the flow stays a thin orchestration layer.
"""
from __future__ import annotations

import ctypes
import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Callable

import pyarrow as pa
import pyarrow.compute as pc

from pressline import __version__, dedup, schema
from pressline.clean import CleanedDocument, census_part, clean, clean_many
from pressline.extract import Fields, extract
from pressline.ingest import Document, IngestOptions, Rejection, Source, iter_records, one_line
from pressline.linefeatures import CensusPart, LineCensus
from pressline.load import BatchCheckpoint, Fingerprint
from pressline.report import RunReport
from pressline.validate import ArticleValidator, ValidationOutcome


@dataclass(slots=True)
class IngestedBatch:
    documents: list[Document]
    rejections: list[Rejection]


@dataclass(slots=True)
class CleanedBatch:
    documents: list[Document]
    cleaned: list[CleanedDocument]
    rejections: list[Rejection] = field(default_factory=list)


@dataclass(slots=True)
class ExtractedBatch:
    articles: pa.Table
    removed_lines: pa.Table
    rejections: list[Rejection]


def batch_key(sources: list[Source], fingerprints: dict[str, Fingerprint], options: IngestOptions,
              suite: Path, census_digest: str = "") -> str:
    """What a batch's output depends on: its inputs' content, the options, the suite, the code
    and the run's line census (which all the run's inputs make).

    The same key means the same rows (up to the run id and ingest time stamped on them),
    so a finished batch can be reused by a later run instead of being processed again.
    """
    inputs = [(source.relative_path, source.problem, asdict(fingerprints[source.relative_path])
               if source.relative_path in fingerprints else None) for source in sources]
    material = json.dumps([_code_digest(), asdict(options), hashlib.sha256(suite.read_bytes()).hexdigest(), inputs,
                           census_digest], sort_keys=True, default=str)
    return hashlib.sha256(material.encode()).hexdigest()[:32]


@cache
def _code_digest() -> str:
    """The engine's version and its files (code, rules, model): changing any of them changes every batch key."""
    digest = hashlib.sha256(__version__.encode())
    package = Path(__file__).parent
    for path in sorted(package.rglob("*")):
        if path.is_file() and path.suffix in {".py", ".toml", ".npz", ".json"}:
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


# Runs one stage of a batch: `run_stage(stage, function, *arguments)`. The flow passes one that makes
# each stage a Prefect task run of its own (ingest-3, clean-3, ...); elsewhere stages are plain calls.
StageRunner = Callable[..., Any]
STAGES = ("ingest", "clean", "extract", "validate", "signatures", "load")


def call_stage(stage: str, function: Callable[..., Any], *arguments: Any) -> Any:
    return function(*arguments)


def load_models() -> None:
    """Load the rules and models the stages use (each cached per process) by cleaning and extracting
    one made-up page, so a worker started ahead of its first batch has them ready."""
    extract(clean("A made-up page\nIts only paragraph is long enough to be read as the body of an article.\n"))


def census_batch(sources: list[Source], ingested_at: datetime, options: IngestOptions) -> CensusPart:
    """The batch's lines for the run's census: the flow merges these into the census before any
    batch is cleaned, so cleaning does not depend on how inputs are batched. Labelled with what
    its documents are, so that the batch takes the part's line hashes only if it reads the same."""
    documents = ingest_batch(sources, ingested_at, options).documents
    return census_part([document.text for document in documents], documents_label(documents))


def documents_label(documents: list[Document]) -> str:
    """What a list of documents is: their ids and content hashes, hashed (a file that changed between
    the census and its batch reads otherwise)."""
    digest = hashlib.sha256()
    for document in documents:
        digest.update(f"{document.doc_id}\0{document.content_sha256}\0".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def process_batch(sources: list[Source], ingested_at: datetime, options: IngestOptions,
                  validator: ArticleValidator, checkpoint: BatchCheckpoint, run_id: str, run_name: str,
                  run_stage: StageRunner = call_stage, census: LineCensus | None = None,
                  part: CensusPart | None = None) -> RunReport:
    """Every stage of one batch, written to its checkpoint; returns what the batch did.

    One call per batch, so a worker process gets a list of file names and hands back a
    small report: documents never travel between processes. Each stage's time is taken
    inside `run_stage`, so what a stage runner adds shows as orchestration, not as stage time.
    `census`: the run's line census (a run of one batch needs none: the batch counts itself), and
    `part` what this batch gave it (`census_batch`), whose line hashes it then need not compute.
    """
    report = RunReport()

    def stage(name: str, function: Callable[..., Any], *arguments: Any) -> Any:
        def timed(*arguments: Any) -> Any:
            with report.timing(name):
                return function(*arguments)
        return run_stage(name, timed, *arguments)

    ingested = stage("ingest", ingest_batch, sources, ingested_at, options)
    cleaned = stage("clean", clean_batch, ingested.documents, census, part)
    extracted = stage("extract", extract_batch, cleaned, run_id)
    outcome, passed, quarantined = stage("validate", validate_batch, validator, extracted.articles, ingested_at,
                                         run_name)
    tables = {
        "articles": passed,
        "quarantine": quarantined,
        "rejected": rejected_table(ingested.rejections + extracted.rejections, run_id),
        "removed_lines": extracted.removed_lines,
        "signatures": stage("signatures", dedup.signatures_table, passed),
    }
    report.add_batch(tables)
    stage("load", checkpoint.write, tables, outcome.results_json, report.to_json())
    return report


def release_freed_memory() -> None:
    """Hand the pages the C heap holds free back to the OS (glibc's `malloc_trim`; elsewhere nothing).

    Why: a batch's Arrow buffers, regex and numpy temporaries are freed when it ends, but glibc
    keeps the freed pages, so a process held the high-water mark of its batches through the run
    and into dedup and publish: about 100 MB a process after each batch of 1,000 generated dumps
    (495 -> 396-401 MB), for 5-30 ms of trimming.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def validate_batch(validator: ArticleValidator, articles: pa.Table, ingested_at: datetime,
                   run_name: str) -> tuple[ValidationOutcome, pa.Table, pa.Table]:
    """The suite's results, the rows that passed and the quarantined ones."""
    outcome = validator.validate(articles, ingested_at, run_name=run_name)
    return outcome, *split_quarantine(articles, outcome)


def ingest_batch(sources: list[Source], ingested_at: datetime, options: IngestOptions | None = None) -> IngestedBatch:
    """Every record of every source (a JSONL or WARC file holds many), as documents or rejections."""
    documents, rejections = [], []
    for source in sources:
        for outcome in iter_records(source, ingested_at, options):
            (documents if isinstance(outcome, Document) else rejections).append(outcome)
    return IngestedBatch(documents, rejections)


def clean_batch(documents: list[Document], census: LineCensus | None = None,
                part: CensusPart | None = None) -> CleanedBatch:
    """Clean the batch in one vectorised call; if that fails, document by document, so a
    cleaner failure rejects that document only. `census`: the run's line counts (see `census_batch`);
    `part`: the batch's part of it, whose line hashes are used when it is of these very documents."""
    own = part if part is not None and part.label == documents_label(documents) else None
    try:
        return CleanedBatch(list(documents), clean_many([document.text for document in documents], census=census,
                                                        part=own))
    except Exception:  # noqa: BLE001 - isolate the failing document below
        kept, cleaned, rejections = [], [], []
    for document in documents:
        try:
            cleaned.append(clean(document.text))
            kept.append(document)
        except Exception as err:  # noqa: BLE001 - one bad document must not stop the batch
            rejections.append(_stage_failure(document, "cleaner", err))
    return CleanedBatch(kept, cleaned, rejections)


def extract_batch(batch: CleanedBatch, run_id: str) -> ExtractedBatch:
    """Fields of each cleaned document, as the articles and removed_lines tables."""
    rows, removed, rejections = [], [], list(batch.rejections)
    for document, cleaned in zip(batch.documents, batch.cleaned):
        try:
            fields = extract(cleaned)
        except Exception as err:  # noqa: BLE001 - one bad document must not stop the batch
            rejections.append(_stage_failure(document, "field extractor", err))
            continue
        rows.append(article_row(document, cleaned, fields, run_id))
        removed.extend(
            {"doc_id": document.doc_id, "line_no": label.line_no, "text": label.text,
             "reason": label.reason, "run_id": run_id}
            for label in cleaned.removed
        )
    return ExtractedBatch(
        pa.Table.from_pylist(rows, schema=schema.ARTICLES),
        pa.Table.from_pylist(removed, schema=schema.REMOVED_LINES),
        rejections,
    )


def article_row(document: Document, cleaned: CleanedDocument, fields: Fields, run_id: str) -> dict:
    return {
        "doc_id": document.doc_id,
        "source_path": document.source_path,
        "source_record": document.source_record,
        "content_sha256": document.content_sha256,
        "size_bytes": document.size_bytes,
        "encoding": document.encoding,
        "title": fields.title,
        "subtitle": fields.subtitle,
        "authors": fields.authors,
        "published_at": fields.published_at,
        "published_date": fields.published_date,
        "published_at_raw": fields.published_at_raw,
        "published_at_tz_assumed": fields.published_at_tz_assumed,
        "updated_at": fields.updated_at,
        "updated_date": fields.updated_date,
        "updated_at_raw": fields.updated_at_raw,
        "publisher": fields.publisher,
        "section": fields.section,
        "print_edition": fields.print_edition,
        "language": fields.language,
        "related_links": fields.related_links,
        "body": fields.body,
        "word_count": fields.word_count,
        "removed_line_count": len(cleaned.removed),
        "run_id": run_id,
        "ingested_at": document.ingested_at,
    }


def rejected_table(rejections: list[Rejection], run_id: str) -> pa.Table:
    return pa.Table.from_pylist(
        [{"doc_id": r.doc_id, "source_path": r.source_path, "source_record": r.source_record,
          "sha256": r.sha256, "size_bytes": r.size_bytes, "error": r.error, "run_id": run_id,
          "ingested_at": r.ingested_at} for r in rejections],
        schema=schema.REJECTED,
    )


def split_quarantine(articles: pa.Table, outcome: ValidationOutcome) -> tuple[pa.Table, pa.Table]:
    """Rows that passed every expectation, and the others with the names of what they failed."""
    failing_ids = pa.array(sorted(outcome.failures), pa.string())
    failing = pc.is_in(articles.column("doc_id"), value_set=failing_ids)
    passed = articles.filter(pc.invert(failing))
    quarantined = articles.filter(failing)
    reasons = [outcome.failures[doc_id] for doc_id in quarantined.column("doc_id").to_pylist()]
    quarantined = quarantined.append_column("failed_expectations", pa.array(reasons, pa.list_(pa.string())))
    return passed, quarantined.cast(schema.QUARANTINE)


def _stage_failure(document: Document, stage: str, err: Exception) -> Rejection:
    """The document's rejected row when a stage raised on it; the message is cut to one short line,
    so the error stays one plain sentence whatever the exception held."""
    return Rejection(
        document.doc_id, document.source_path, document.content_sha256, document.size_bytes,
        f"The {stage} failed on this document ({one_line(err)}).", document.ingested_at,
        document.source_record,
    )
