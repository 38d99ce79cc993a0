"""The floor of `tracker verify --full` (issue 17): a lean hash-chain check of a journal.

Reads each line, parses it (orjson, as the store does), and checks that its ``prev`` is
the hash of the line before and that the line without its ``hash`` field hashes to it;
nothing else (no replay, no checkpoints, no state). Standalone, so that it costs only the
interpreter's start and the check itself:

    python bench/chain.py DB.history      # exit 1 and a count if a line fails
"""

from __future__ import annotations

import hashlib
import sys

import orjson

GENESIS = "0" * 64


def check(path: str) -> int:
    """How many lines of the journal at ``path`` fail the chain or their hash."""
    previous, bad = GENESIS, 0
    with open(path, "rb") as journal:
        for line in journal:
            line = line[:-1]
            event = orjson.loads(line)
            digest = event["hash"]
            field = b'"hash":"' + digest.encode() + b'"'
            body = line.replace(b"," + field, b"", 1) if b"," + field in line \
                else line.replace(field + b",", b"", 1)
            if event["prev"] != previous or hashlib.sha256(body).hexdigest() != digest:
                bad += 1
            previous = digest
    return bad


if __name__ == "__main__":
    failed = check(sys.argv[1])
    if failed:
        print(f"{failed} lines fail the chain", file=sys.stderr)
    sys.exit(1 if failed else 0)
