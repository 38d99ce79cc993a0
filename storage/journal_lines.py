"""Journal lines parsed by orjson, for what reads many of them (``verify`` and its clock
checks): twice the standard parser at 500,000 events. Imported by those functions only,
since importing orjson costs a one-shot command ~15 ms (see ``atomic.ORJSON_FROM``)."""

from __future__ import annotations

import json
from typing import Any

import orjson


def parse_line(line: bytes) -> Any:
    """A journal line parsed: orjson, the standard parser for what orjson refuses (NaN,
    Infinity, 1e999). orjson reads an integer past 64 bits as a float; the tracker never
    writes one (figures are below 2^53, docs/storage.md), and the chain hashes each line
    as written, so a line changed to carry one is still found."""
    return parse_line_by(line)[0]


def parse_line_by(line: bytes) -> tuple[Any, bool]:
    """``parse_line``, and whether orjson read it (verify compares checkpoints as
    orjson's bytes only then)."""
    try:
        return orjson.loads(line), True
    except orjson.JSONDecodeError:
        return json.loads(line), False
