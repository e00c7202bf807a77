"""Lakegate: the Spark-free core shared by the ingestion job, the promoter and the CLI."""

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("lakegate")
except _metadata.PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+source"
