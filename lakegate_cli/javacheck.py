"""Find a Java 17 runtime for Spark 3.5 (Glue 5.1), or say in one line why there is none.

Used by the Makefile (`python -m lakegate_cli.javacheck --print` gives JAVA_HOME) and by
the command line before it starts Spark. Standard library only.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from lakegate.errors import EnvironmentProblem

REQUIRED_MAJOR = 17
DEFAULT_JVM_GLOBS = (
    "/usr/lib/jvm/*",
    "/usr/local/opt/openjdk@17",
    "/opt/homebrew/opt/openjdk@17",
    "/Library/Java/JavaVirtualMachines/*/Contents/Home",
    "/opt/java/*",
)


def java_major(home: Path) -> int | None:
    """The major version of the java binary in `home`, or None when it does not run."""
    binary = home / "bin" / "java"
    if not binary.is_file():
        return None
    try:
        result = subprocess.run(
            [str(binary), "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', result.stderr + result.stdout)
    if not match:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def _candidates(env: dict[str, str]) -> list[Path]:
    found: list[Path] = []
    if env.get("JAVA_HOME"):
        found.append(Path(env["JAVA_HOME"]))
    globs = env.get("LAKEGATE_JVM_DIRS")
    patterns = globs.split(os.pathsep) if globs is not None else DEFAULT_JVM_GLOBS
    for pattern in patterns:
        found.extend(Path(p) for p in sorted(glob.glob(pattern)))
    on_path = shutil.which("java", path=env.get("PATH"))
    if on_path:
        found.append(Path(os.path.realpath(on_path)).parent.parent)
    unique: list[Path] = []
    for path in found:
        if path not in unique:
            unique.append(path)
    return unique


def find_java17(env: dict[str, str] | None = None) -> Path:
    env = dict(os.environ if env is None else env)
    seen = []
    for home in _candidates(env):
        major = java_major(home)
        if major == REQUIRED_MAJOR:
            return home
        if major is not None:
            seen.append(f"Java {major} at {home}")
    found = f" (found {', '.join(seen)})" if seen else " (no Java found)"
    raise EnvironmentProblem(
        f"Java {REQUIRED_MAJOR} is required by Spark 3.5 / Glue 5.1{found}: install a JDK 17"
        " (e.g. apt-get install openjdk-17-jdk-headless) or set JAVA_HOME to one"
    )


def ensure_java17() -> Path:
    """Point JAVA_HOME at a Java 17 for the Spark this process is about to start."""
    home = find_java17()
    os.environ["JAVA_HOME"] = str(home)
    return home


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        home = find_java17()
    except EnvironmentProblem as problem:
        print(f"lakegate: {problem}", file=sys.stderr)
        return 1
    if "--print" in args:
        print(home)
    return 0


if __name__ == "__main__":
    sys.exit(main())
