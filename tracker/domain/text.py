"""User-entered text is data: strip what could drive the terminal, keep everything else.

Removed: C0 controls except tab and newline, DEL, C1 controls (including the 8-bit CSI
and OSC introducers), Unicode bidi embedding/override/isolate controls, and lone
surrogates (which cannot be written as UTF-8). Markup-looking text such as ``[bold]`` is
kept as typed; it is rendered literally by the CLI and the app.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\ud800-\udfff]"
)


def clean_text(text: str, *, single_line: bool = False) -> str:
    """``text`` without terminal control characters (and newlines when ``single_line``)."""
    cleaned = _CONTROL.sub("", text.replace("\r\n", "\n"))
    if single_line:
        cleaned = " ".join(cleaned.split())
    return cleaned.strip()
