"""pressline: raw text dumps of news pages in, clean validated Parquet tables out."""

__version__ = "0.1.0"
