"""The state is parsed by orjson where it reads the same values as the standard library
(storage.atomic.parse_state): whatever the file holds, the tables are the same as
json.loads gives, and a file neither accepts is refused with json's line and column."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from storage.atomic import parse_state
from storage.store import Store
from tracker.commands import Measure
from tracker.errors import StorageError
from tracker.plan import builtin_plan

SAME = [
    b'{"a": 1, "b": 2, "a": 3}',  # duplicate keys: the last wins, in the first's place
    b'{"big": 123456789012345678901234567890, "neg": -9999999999999999999}',
    b'{"edge": [18446744073709551615, -9223372036854775808, -0, -0.0, 1E2, 5e-324]}',
    b'{"nan": NaN, "inf": Infinity, "huge": 1e400}',  # json takes these; orjson not
    b'{"lone": "\\ud800", "pair": "\\ud83d\\ude00", "zh": "\xe7\xbb\xa5\xe4\xb8\xad"}',
    b'{"floats": [0.1, 0.30000000000000004, 2.2250738585072011e-308, 1.7976931348623157e308]}',
]


@pytest.mark.parametrize("raw", SAME)
def test_the_values_are_those_json_reads(raw: bytes) -> None:
    got = parse_state(raw, Path("x.json"))
    want = json.loads(raw.decode())
    assert repr(got) == repr(want)  # repr: keeps 1 apart from 1.0 and shows NaN
    assert list(got) == list(want)


@pytest.mark.parametrize(("raw", "words"), [
    (b'{"a": 1,\n "b": }', "line 2"),
    (b"\xef\xbb\xbf{}", "line 1"),
    (b"", ""),
    (b'{"a": "\xff"}', ""),
])
def test_a_file_neither_reads_is_refused_in_one_line(raw: bytes, words: str) -> None:
    with pytest.raises(StorageError) as caught:
        parse_state(raw, Path("x.json"))
    assert words in caught.value.message
    assert "\n" not in caught.value.message


def test_a_count_beyond_64_bits_is_read_back_as_the_same_integer(tmp_path: Path) -> None:
    db = tmp_path / "tracker.json"
    store = Store(db)
    store.create(builtin_plan())
    huge = 10**20 + 1
    store.apply(Measure("211421", "staff", huge, date(2018, 1, 1), "季报"))
    entry = Store(db).view().county_doc("211421")["measurements"]["staff"]
    assert entry["value"] == huge and isinstance(entry["value"], int)
