"""Build the deployable artifact: the project wheel and the Glue entry scripts, named
with the version and the git commit, e.g. dist/lakegate-0.1.0+g1a2b3c4d5e6f/.

    python tools/build_artifact.py [--sha SHA] [--out dist] [--github-output FILE]
    python tools/build_artifact.py --sha SHA --print-version

The folder holds lakegate-<code_version>-py3-none-any.whl, the Glue entry scripts
ingest_transactions.py and gold_balances.py, and manifest.json (version, commit, SHA-256
of each file). The deploy workflow uploads it to s3://<prefix>-<env>-artifacts/glue/
<code_version>/, where the Glue jobs (infra/modules/glue) expect it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("pyproject.toml", "README.md", "lakegate", "lakegate_cli", "glue_jobs", "promotion")
ENTRY_SCRIPTS = (
    ROOT / "glue_jobs" / "ingest_transactions.py",
    ROOT / "glue_jobs" / "gold_balances.py",
)
SHA = re.compile(r"[0-9a-f]{40}")


def base_version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def code_version(sha: str) -> str:
    """<version>+g<first 12 hex of the commit>: a PEP 440 local version."""
    if not SHA.fullmatch(sha):
        raise SystemExit(f"build_artifact: --sha must be a full 40-hex commit, got {sha!r}")
    return f"{base_version()}+g{sha[:12]}"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(sha: str, out: Path) -> Path:
    version = code_version(sha)
    folder = out / f"lakegate-{version}"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "src"
        source.mkdir()
        for name in SOURCES:
            path = ROOT / name
            if path.is_dir():
                shutil.copytree(
                    path, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
                )
            else:
                shutil.copy2(path, source / name)
        pyproject = source / "pyproject.toml"
        text, count = re.subn(
            r'(?m)^version = "[^"]+"$', f'version = "{version}"', pyproject.read_text()
        )
        if count != 1:
            raise SystemExit("build_artifact: pyproject.toml has no single version line")
        pyproject.write_text(text)
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
             "--disable-pip-version-check", "-w", str(folder), str(source)],
            check=True,
        )  # fmt: skip
    wheel = folder / f"lakegate-{version}-py3-none-any.whl"
    if not wheel.exists():
        found = ", ".join(p.name for p in folder.iterdir())
        raise SystemExit(f"build_artifact: expected {wheel.name}, pip made {found}")
    for script in ENTRY_SCRIPTS:
        shutil.copy2(script, folder / script.name)
    manifest = {
        "code_version": version,
        "git_sha": sha,
        "files": {p.name: _sha256(p) for p in sorted(folder.iterdir())},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return folder


def _head() -> str:
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sha", help="commit to name the build after (default: HEAD)")
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    parser.add_argument("--github-output", type=Path, help="append code_version= and path=")
    parser.add_argument(
        "--print-version", action="store_true", help="only print the code version of --sha"
    )
    args = parser.parse_args(argv)
    sha = args.sha or _head()
    if args.print_version:
        print(code_version(sha))
        return 0
    folder = build(sha, args.out)
    version = folder.name.removeprefix("lakegate-")
    print(f"built {folder} (code_version {version})")
    if args.github_output:
        with args.github_output.open("a") as output:
            output.write(f"code_version={version}\npath={folder}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
