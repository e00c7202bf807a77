"""Step Functions intrinsic functions, checked as AWS checks them (moto does not).

AWS fails an execution with `States.IntrinsicFailure` when an argument has a type the
function does not accept: `States.Format` takes strings, numbers, booleans and null,
never an object or an array. moto accepts anything, so a definition that works in the
tests can fail on AWS. This module parses every intrinsic call of a definition and
types its arguments from what the paths point at (the run summary's fields, the
execution's own values), so the mistake is found before deployment.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

# JSON types as names: what a path holds ("string|null": either), what a function takes
# and gives.
STRING, NUMBER, BOOLEAN, NULL, OBJECT, ARRAY, ANY = (
    "string",
    "number",
    "boolean",
    "null",
    "object",
    "array",
    "any",
)
SCALARS = frozenset({STRING, NUMBER, BOOLEAN, NULL})

_TOKEN = re.compile(
    r"\s*(?:(?P<fn>States\.[A-Za-z]+)|(?P<punct>[(),])|(?P<str>'(?:\\.|[^'\\])*')"
    r"|(?P<path>\$\$?(?:\.[A-Za-z0-9_]+|\[\d+\])*)|(?P<num>-?\d+(?:\.\d+)?)"
    r"|(?P<lit>true|false|null))"
)


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[object, ...]  # Call, Path or a literal's type name


@dataclass(frozen=True)
class Path:
    path: str


def parse(text: str) -> Call:
    """One intrinsic expression, e.g. "States.Format('{}', $.a, States.JsonToString($.b))"."""
    tokens = list(_tokens(text))
    call, rest = _call(tokens, text)
    if rest:
        raise ValueError(f"unexpected {rest[0][1]!r} after the call in {text!r}")
    return call


def _tokens(text: str) -> Iterator[tuple[str, str]]:
    position = 0
    while position < len(text.rstrip()):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise ValueError(f"cannot read {text[position:]!r} in {text!r}")
        kind = match.lastgroup or ""
        yield kind, match.group(kind)
        position = match.end()


def _call(tokens: list[tuple[str, str]], text: str) -> tuple[Call, list[tuple[str, str]]]:
    if len(tokens) < 2 or tokens[0][0] != "fn" or tokens[1] != ("punct", "("):
        raise ValueError(f"not an intrinsic call: {text!r}")
    name, rest = tokens[0][1], tokens[2:]
    args: list[Call | Path | str] = []
    while rest and rest[0] != ("punct", ")"):
        kind, value = rest[0]
        arg: Call | Path | str
        if kind == "fn":
            arg, rest = _call(rest, text)
        elif kind == "path":
            arg, rest = Path(value), rest[1:]
        elif kind in ("str", "num", "lit"):
            literal = {"str": STRING, "num": NUMBER}.get(kind)
            arg = literal or (BOOLEAN if value in ("true", "false") else NULL)
            rest = rest[1:]
        else:
            raise ValueError(f"unexpected {value!r} in {text!r}")
        args.append(arg)
        if rest and rest[0] == ("punct", ","):
            rest = rest[1:]
    if not rest:
        raise ValueError(f"unclosed call in {text!r}")
    return Call(name, tuple(args)), rest[1:]


# What each function used by Lakegate takes (per argument, the last repeats) and gives.
SIGNATURES: dict[str, tuple[tuple[frozenset[str], ...], str]] = {
    "States.Format": ((frozenset({STRING}), SCALARS), STRING),
    "States.JsonToString": ((frozenset({OBJECT, ARRAY, STRING, NUMBER, BOOLEAN, NULL}),), STRING),
    "States.StringToJson": ((frozenset({STRING}),), ANY),
    "States.JsonMerge": ((frozenset({OBJECT}), frozenset({OBJECT}), frozenset({BOOLEAN})), OBJECT),
}


def problems(call: Call, type_of: Mapping[str, str], where: str) -> list[str]:
    """Every argument whose type the function does not accept, named with its path."""
    found: list[str] = []
    if call.name not in SIGNATURES:
        return [
            f"{where}: {call.name} is not one of the checked functions ({', '.join(SIGNATURES)})"
        ]
    accepts, _ = SIGNATURES[call.name]
    for index, arg in enumerate(call.args):
        wanted = accepts[min(index, len(accepts) - 1)]
        given: str | None
        if isinstance(arg, Call):
            found += problems(arg, type_of, where)
            given = SIGNATURES.get(arg.name, ((), ANY))[1]
            label = arg.name
        elif isinstance(arg, Path):
            given = type_of.get(arg.path) or _prefix_type(arg.path, type_of)
            label = arg.path
            if given is None:
                found.append(f"{where}: {call.name} argument {label} has no known type")
                continue
        else:
            given, label = str(arg), f"a {arg} literal"
        if given != ANY and not set(given.split("|")) <= wanted:
            found.append(
                f"{where}: {call.name} argument {index + 1} ({label}) is {_a(given)};"
                f" it takes {' or '.join(sorted(wanted))} (AWS fails with States.IntrinsicFailure)"
            )
    return found


def _a(kind: str) -> str:
    return " or ".join(("an " if k[0] in "aeiou" else "a ") + k for k in kind.split("|"))


def _prefix_type(path: str, type_of: Mapping[str, str]) -> str | None:
    """A path under one given as `prefix.*` (every field below it of one type)."""
    parent = path.rsplit(".", 1)[0]
    return type_of.get(parent + ".*")


def calls(definition: Mapping) -> Iterator[tuple[str, str]]:
    """(where, expression) of every intrinsic call in a state machine definition."""

    def walk(node: object, where: str) -> Iterator[tuple[str, str]]:
        if isinstance(node, Mapping):
            for key, value in node.items():
                here = f"{where}.{key}"
                if key.endswith(".$") and isinstance(value, str) and value.startswith("States."):
                    yield here, value
                else:
                    yield from walk(value, here)
        elif isinstance(node, list):
            for i, item in enumerate(node):
                yield from walk(item, f"{where}[{i}]")

    for name, state in definition.get("States", {}).items():
        yield from walk(state, name)


def definition_problems(definition: Mapping, type_of: Mapping[str, str]) -> list[str]:
    found = []
    for where, expression in calls(definition):
        found += problems(parse(expression), type_of, where)
    return found
