"""Check Terraform files against the provider schema extracted by provider_schema.py.

Finds unknown resource and data source types, unknown or misspelt arguments, arguments
written as blocks and blocks written as arguments, and missing required arguments.

    python tools/tf_schema_check.py [FILES or folders, default: infra/]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import hcl2

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "infra" / "provider_schema.json"
META_ARGUMENTS = {
    "count",
    "for_each",
    "provider",
    "depends_on",
    "lifecycle",
    "provisioner",
    "connection",
}


def _unquote(name: str) -> str:
    return name.strip('"')


def _is_block(value) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(item, dict) and item.get("__is_block__") for item in value)
    )


def check_body(body: dict, spec: dict, where: str) -> list[str]:
    problems: list[str] = []
    # python-hcl2 adds bookkeeping keys (__is_block__, __comments__), never provider names.
    given = {k: v for k, v in body.items() if not k.startswith("__")}
    dynamic = set()
    for key, value in given.items():
        if key in META_ARGUMENTS:
            continue
        if key == "dynamic":
            for item in value:
                for quoted, dyn in item.items():
                    if quoted.startswith("__"):
                        continue
                    name = _unquote(quoted)
                    dynamic.add(name)
                    if name not in spec["blocks"]:
                        problems.append(f"{where}: unknown block {name!r} (dynamic)")
                        continue
                    for content in dyn.get("content", []):
                        problems += check_body(content, spec["blocks"][name], f"{where}.{name}")
            continue
        if _is_block(value):
            if key in spec["blocks"]:
                for item in value:
                    problems += check_body(item, spec["blocks"][key], f"{where}.{key}")
            elif key in spec["arguments"]:
                problems.append(f"{where}: {key!r} is an argument, written as a block")
            else:
                problems.append(f"{where}: unknown block {key!r}")
        elif key in spec["arguments"]:
            continue
        elif key in spec["blocks"]:
            problems.append(f"{where}: {key!r} is a block, written as an argument")
        else:
            problems.append(f"{where}: unknown argument {key!r}")
    for name, argument in spec["arguments"].items():
        if argument["required"] and name not in given:
            problems.append(f"{where}: required argument {name!r} is missing")
    for name, block in spec["blocks"].items():
        if block["required"] and name not in given and name not in dynamic:
            problems.append(f"{where}: required block {name!r} is missing")
    return problems


def check_text(text: str, schema: dict, label: str = "<text>") -> list[str]:
    parsed = hcl2.loads(text)
    problems: list[str] = []
    for kind in ("resource", "data"):
        for entry in parsed.get(kind, []):
            for quoted_type, named in entry.items():
                tf_type = _unquote(quoted_type)
                for quoted_name, body in named.items():
                    where = f"{label}: {kind} {tf_type}.{_unquote(quoted_name)}"
                    spec = schema[kind].get(tf_type)
                    if spec is None:
                        problems.append(f"{where}: unknown {kind} type {tf_type!r}")
                        continue
                    problems += check_body(body, spec, where)
    return problems


def check_paths(paths: list[Path], schema_path: Path = SCHEMA) -> list[str]:
    schema = json.loads(schema_path.read_text())
    files = sorted(f for p in paths for f in ([p] if p.is_file() else p.rglob("*.tf")))
    problems: list[str] = []
    for file in files:
        problems += check_text(file.read_text(), schema, str(file.relative_to(ROOT)))
    return problems


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    problems = check_paths([Path(a).resolve() for a in args] or [ROOT / "infra"])
    for problem in problems:
        print(problem)
    print(f"provider schema check: {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
