"""Reading the Terraform in infra/ for structural tests (python-hcl2, no provider)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import hcl2

ROOT = Path(__file__).resolve().parent.parent
INFRA = ROOT / "infra"
MODULES = sorted(p for p in (INFRA / "modules").iterdir() if p.is_dir())
ENVS = sorted(p for p in (INFRA / "envs").iterdir() if p.is_dir())
ROOTS = [*ENVS, INFRA / "bootstrap"]
CONFIGS = [*MODULES, *ROOTS]
MODULE_META = {"source", "version", "providers", "count", "for_each", "depends_on"}


def unquote(value):
    return value[1:-1] if isinstance(value, str) and value[:1] == value[-1:] == '"' else value


@cache
def parsed(folder: Path) -> dict[str, list]:
    """Every top-level block of a folder's .tf files, merged by kind."""
    merged: dict[str, list] = {}
    for file in sorted(folder.glob("*.tf")):
        for kind, blocks in hcl2.loads(file.read_text()).items():
            merged.setdefault(kind, []).extend(blocks)
    return merged


def text(folder: Path) -> str:
    return "\n".join(f.read_text() for f in sorted(folder.glob("*.tf")))


def labelled(folder: Path, kind: str) -> dict[str, dict]:
    """Blocks with one label (variable, output, module) by name."""
    return {
        unquote(name): body
        for block in parsed(folder).get(kind, [])
        for name, body in block.items()
    }


def resources(folder: Path, kind: str = "resource") -> dict[tuple[str, str], dict]:
    found = {}
    for block in parsed(folder).get(kind, []):
        for tf_type, named in block.items():
            for name, body in named.items():
                found[(unquote(tf_type), unquote(name))] = body
    return found


def references(folder: Path, prefix: str) -> set[str]:
    """Names used as <prefix>.NAME (var, local, module) in a folder, comments excluded."""
    code = re.sub(r"(?m)^\s*#.*$", "", text(folder))
    return set(re.findall(rf"\b{prefix}\.([A-Za-z_][A-Za-z0-9_-]*)", code))


def declared_locals(folder: Path) -> set[str]:
    return {
        k for block in parsed(folder).get("locals", []) for k in block if not k.startswith("__")
    }
