"""The warehouse tables, declared once.

The writer, the validator, the docs and the tests all read these schemas, so a
column is added or retyped here and nowhere else.
"""
from __future__ import annotations

import pyarrow as pa

# Bump on any change to a table below, and teach `conform` how to lift older files.
SCHEMA_VERSION = 4
UTC_TIMESTAMP = pa.timestamp("us", tz="UTC")

# Fields every document-level table (articles, quarantine) carries.
_DOCUMENT_FIELDS: list[pa.Field] = [
    pa.field("doc_id", pa.string(), nullable=False,
             metadata={"doc": "stable id: sha256 of the source path relative to the raw dir, 16 hex chars"}),
    pa.field("source_path", pa.string(), nullable=False,
             metadata={"doc": "path of the input file relative to the raw dir (posix)"}),
    pa.field("source_record", pa.string(),
             metadata={"doc": "record inside a multi-record file ('line 12', 'offset 3456 <urn:...>'); "
                              "null for one-document files"}),
    pa.field("content_sha256", pa.string(), nullable=False,
             metadata={"doc": "sha256 of the raw input bytes"}),
    pa.field("size_bytes", pa.int64(), nullable=False, metadata={"doc": "size of the raw input in bytes"}),
    pa.field("encoding", pa.string(), metadata={"doc": "text encoding the decoder chose"}),
    pa.field("title", pa.string(), metadata={"doc": "headline line; null when the dump has none"}),
    pa.field("subtitle", pa.string(), metadata={"doc": "deck / standfirst line"}),
    pa.field("authors", pa.list_(pa.string()), metadata={"doc": "person names from the byline"}),
    pa.field("published_at", UTC_TIMESTAMP,
             metadata={"doc": "publication instant in UTC, only when the page gives a time"}),
    pa.field("published_date", pa.date32(),
             metadata={"doc": "publication date (in the publisher's zone) whenever the page gives one"}),
    pa.field("published_at_raw", pa.string(), metadata={"doc": "the text the date was parsed from"}),
    pa.field("published_at_tz_assumed", pa.bool_(),
             metadata={"doc": "true when the page gave a time without zone and no publisher zone was known"}),
    pa.field("updated_at", UTC_TIMESTAMP,
             metadata={"doc": "last-update instant in UTC ('Updated: ...' in the header), only when the page gives "
                              "a time; its zone is found as published_at's"}),
    pa.field("updated_date", pa.date32(),
             metadata={"doc": "last-update date (in the publisher's zone) whenever the header labels one; null "
                              "where the publisher's only stamp is its publication (China Daily's 'Updated')"}),
    pa.field("updated_at_raw", pa.string(), metadata={"doc": "the text the update date was parsed from"}),
    pa.field("publisher", pa.string(), metadata={"doc": "outlet as the text names it; null if never named"}),
    pa.field("section", pa.string(), metadata={"doc": "breadcrumb without its leading Home"}),
    pa.field("print_edition", pa.string(), metadata={"doc": "print-edition reference as printed"}),
    pa.field("language", pa.string(), metadata={"doc": "ISO 639-1 code identified from the body"}),
    pa.field("related_links", pa.list_(pa.string()), metadata={"doc": "headlines of related/recommended lists"}),
    pa.field("body", pa.string(), metadata={"doc": "article text, paragraphs separated by a blank line"}),
    pa.field("word_count", pa.int32(), nullable=False, metadata={"doc": "words in body"}),
    pa.field("duplicate_of", pa.string(),
             metadata={"doc": "doc_id of the earliest published copy when this body is an (near-)duplicate"}),
    pa.field("removed_line_count", pa.int32(), nullable=False,
             metadata={"doc": "non-blank lines the cleaner removed"}),
    pa.field("run_id", pa.string(), nullable=False, metadata={"doc": "run that wrote the row"}),
    pa.field("ingested_at", UTC_TIMESTAMP, nullable=False, metadata={"doc": "when the run read the input"}),
]

ARTICLES = pa.schema(_DOCUMENT_FIELDS, metadata={"table": "articles"})

QUARANTINE = pa.schema(
    _DOCUMENT_FIELDS
    + [pa.field("failed_expectations", pa.list_(pa.string()), nullable=False,
                metadata={"doc": "names of the expectations the record failed"})],
    metadata={"table": "quarantine"},
)

REJECTED = pa.schema(
    [
        pa.field("doc_id", pa.string(), nullable=False, metadata={"doc": "stable id derived from source_path"}),
        pa.field("source_path", pa.string(), nullable=False, metadata={"doc": "input path relative to the raw dir"}),
        pa.field("source_record", pa.string(),
                 metadata={"doc": "record inside a multi-record file; null for one-document files and "
                                  "whole-file problems"}),
        pa.field("sha256", pa.string(), metadata={"doc": "sha256 of the bytes read; null if unreadable"}),
        pa.field("size_bytes", pa.int64(), metadata={"doc": "size on disk; null if it could not be read"}),
        pa.field("error", pa.string(), nullable=False, metadata={"doc": "one plain sentence saying what was wrong"}),
        pa.field("run_id", pa.string(), nullable=False, metadata={"doc": "run that wrote the row"}),
        pa.field("ingested_at", UTC_TIMESTAMP, nullable=False, metadata={"doc": "when the run read the input"}),
    ],
    metadata={"table": "rejected"},
)

REMOVED_LINES = pa.schema(
    [
        pa.field("doc_id", pa.string(), nullable=False, metadata={"doc": "document the line belongs to"}),
        pa.field("line_no", pa.int32(), nullable=False, metadata={"doc": "1-based line number in the decoded dump"}),
        pa.field("text", pa.string(), nullable=False, metadata={"doc": "the stripped line"}),
        pa.field("reason", pa.string(), nullable=False, metadata={"doc": "reason code of the rule that removed it"}),
        pa.field("run_id", pa.string(), nullable=False, metadata={"doc": "run that wrote the row"}),
    ],
    metadata={"table": "removed_lines"},
)

RUNS = pa.schema(
    [
        pa.field("run_id", pa.string(), nullable=False, metadata={"doc": "id of the run (sortable by start time)"}),
        pa.field("started_at", UTC_TIMESTAMP, nullable=False, metadata={"doc": "when the run started"}),
        pa.field("finished_at", UTC_TIMESTAMP, nullable=False, metadata={"doc": "when the run finished"}),
        pa.field("status", pa.string(), nullable=False, metadata={"doc": "completed, or completed_with_failed_batch_checks (the data is published; see the run's Prefect state). A failed run publishes nothing, not even this row; a run that finds nothing new writes nothing either, so a re-run changes no file: Prefect's flow runs record both"}),
        pa.field("files_read", pa.int64(), nullable=False, metadata={"doc": "new or changed input files the run loaded (unchanged ones are skipped)"}),
        pa.field("articles", pa.int64(), nullable=False, metadata={"doc": "rows written to articles"}),
        pa.field("quarantined", pa.int64(), nullable=False, metadata={"doc": "rows written to quarantine"}),
        pa.field("rejected", pa.int64(), nullable=False, metadata={"doc": "rows written to rejected"}),
        pa.field("removed_lines", pa.int64(), nullable=False, metadata={"doc": "rows written to removed_lines"}),
        pa.field("duplicates", pa.int64(), metadata={"doc": "articles flagged as duplicates by the run"}),
        pa.field("raw_dir", pa.string(), nullable=False, metadata={"doc": "raw dir the run read"}),
        pa.field("pressline_version", pa.string(), nullable=False, metadata={"doc": "version of pressline that wrote the run"}),
    ],
    metadata={"table": "runs"},
)

INPUTS = pa.schema(
    [
        pa.field("source_path", pa.string(), nullable=False, metadata={"doc": "input path relative to the raw dir"}),
        pa.field("size_bytes", pa.int64(), nullable=False, metadata={"doc": "size when it was loaded"}),
        pa.field("mtime_ns", pa.int64(), nullable=False, metadata={"doc": "modification time when it was loaded"}),
        pa.field("sha256", pa.string(), metadata={"doc": "sha256 of the file's bytes; null if it could not be read"}),
        pa.field("run_id", pa.string(), nullable=False, metadata={"doc": "run that loaded this version"}),
    ],
    metadata={"table": "inputs"},
)

SIGNATURES = pa.schema(
    [
        pa.field("doc_id", pa.string(), nullable=False, metadata={"doc": "article the signature belongs to"}),
        pa.field("body_hash", pa.string(), nullable=False, metadata={"doc": "sha256 of the body's normalised words"}),
        pa.field("minhash", pa.binary(), nullable=False,
                 metadata={"doc": "MinHash of word 5-shingles (64 uint64 values) for near-duplicate search"}),
        pa.field("published_date", pa.date32(), metadata={"doc": "orders a duplicate cluster: earliest is kept"}),
        pa.field("duplicate_of", pa.string(), metadata={"doc": "same as the article's duplicate_of"}),
    ],
    metadata={"table": "signatures"},
)

TABLES: dict[str, pa.Schema] = {
    "articles": ARTICLES,
    "quarantine": QUARANTINE,
    "rejected": REJECTED,
    "removed_lines": REMOVED_LINES,
    "runs": RUNS,
    "inputs": INPUTS,
    "signatures": SIGNATURES,
}

# Hive partition keys of the articles and quarantine tables. Derived from data columns
# but named differently, so readers never see a partition key shadow a column.
PARTITION_KEYS: dict[str, list[str]] = {
    "articles": ["publisher_key", "year", "month"],
    "quarantine": ["publisher_key", "year", "month"],
}
UNKNOWN_PARTITION = "unknown"

# Tables whose rows come from one input file: re-loading the file replaces all of them.
# removed_lines and signatures have no source_path; their rows go with their doc_id.
DOCUMENT_TABLES = ("articles", "quarantine", "rejected", "removed_lines", "inputs", "signatures")
KEYED_BY_DOC_ID = ("removed_lines", "signatures")
# Tables whose duplicate_of a dedup decision may change.
DEDUPLICATED_TABLES = ("articles", "signatures")
VERSION_KEY = b"pressline_schema_version"


def with_version(table_schema: pa.Schema, pressline_version: str) -> pa.Schema:
    """The schema as written to files: versions in the key-value metadata, for readers and migrations."""
    return table_schema.with_metadata({**(table_schema.metadata or {}), VERSION_KEY: str(SCHEMA_VERSION).encode(),
                                       b"pressline_version": pressline_version.encode()})


def file_version(file_schema: pa.Schema) -> int:
    """Schema version a file was written with; files from before versioning count as 1."""
    return int((file_schema.metadata or {}).get(VERSION_KEY, b"1"))


def conform(table: pa.Table, name: str) -> pa.Table:
    """Lift rows written by an older schema version: columns added since are null, order and types current.

    Migrations so far: v1 -> v2 added articles/quarantine.duplicate_of and the inputs table;
    v2 -> v3 added source_record to articles, quarantine and rejected, runs.duplicates and the
    signatures table (e411ee0 added those while still writing v2, so a v2 file may hold them or
    not: columns are matched by name); v3 -> v4 added updated_at, updated_date and updated_at_raw to
    articles and quarantine. tests/data/warehouse-v2-* are warehouses the v2 code wrote.
    """
    target = TABLES[name]
    columns = [
        table.column(field.name).cast(field.type) if field.name in table.column_names
        else pa.nulls(table.num_rows, field.type)
        for field in target
    ]
    return pa.Table.from_arrays(columns, schema=target)


def markdown() -> str:
    """The tables as Markdown, for the README (a test keeps the README in step with this)."""
    out = []
    for name, table_schema in TABLES.items():
        keys = PARTITION_KEYS.get(name)
        layout = f"hive-partitioned by {', '.join(keys)}" if keys else "flat"
        out.append(f"### `warehouse/{name}/` ({layout})\n")
        out.append("| column | type | meaning |")
        out.append("|---|---|---|")
        for column in table_schema:
            meaning = (column.metadata or {}).get(b"doc", b"").decode()
            nullable = "" if column.nullable else ", not null"
            out.append(f"| `{column.name}` | {column.type}{nullable} | {meaning} |")
        out.append("")
    return "\n".join(out)
