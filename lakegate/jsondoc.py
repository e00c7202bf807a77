"""What the typed documents share (lakegate.summary, pointer, manifest, audit_record):
how they are written, and decoding that names the document it cannot read."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from lakegate.errors import LakegateError


def encode(body: Mapping[str, Any]) -> bytes:
    """A document as it is stored: indented JSON, one final newline."""
    return (json.dumps(body, indent=2) + "\n").encode()


def decode_object(data: bytes | str, where: str) -> dict[str, Any]:
    """The JSON object in `data`, or one line naming `where` and what is wrong."""
    try:
        body = json.loads(data)
    except ValueError as error:
        raise LakegateError(f"{where}: not JSON ({error})") from error
    if not isinstance(body, dict):
        raise LakegateError(f"{where}: not a JSON object")
    return body


def json_type(value: object) -> str:
    """The JSON type of a decoded value: string, number, boolean, object, array, null."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list | tuple):
        return "array"
    raise TypeError(f"{type(value).__name__} has no JSON type")
