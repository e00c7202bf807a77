"""The benchmark (make bench): Lakegate's ingestion beside DuckDB and pandas."""

from __future__ import annotations

from pathlib import Path


def output_files(root: Path) -> dict:
    """Parquet files under `root`: how many, their largest size, and files per partition."""
    files = sorted(root.rglob("*.parquet")) if root.exists() else []
    partitions = {f.parent for f in files}
    return {
        "files": len(files),
        "partitions": len(partitions),
        "max_file_mb": round(max((f.stat().st_size for f in files), default=0) / 1e6, 2),
        "max_files_per_partition": max(
            (sum(1 for f in files if f.parent == p) for p in partitions), default=0
        ),
    }
