"""ASCII for the glyphs of East Asian Ambiguous width (``--ascii``, ``ascii = true``).

The status marks, bars and rules (◐ ● – · ▒ ▓ █ ─ ≥ ...) are one column wide in most
terminals but two in one set to treat ambiguous characters as wide (common with Chinese
fonts), where tables then misalign. With ASCII on, :func:`shown` replaces each with an
ASCII stand-in: the app applies it to its own marks and bars, the CLI to everything it
prints as text (not to ``--json``, which is data). A process-wide choice, like the
language: set once at start (:func:`use_ascii`).
"""

from __future__ import annotations

from typing import Any, TextIO

REPLACEMENTS: dict[str, str] = {
    "◐": "o", "●": "*", "○": "o", "–": "-", "—": "-", "·": ".", "…": "...",
    "░": ".", "▒": ":", "▓": "%", "█": "#", "▁": "_", "▂": "_", "▃": "=", "▄": "=",
    "▅": "=", "▆": "#", "▇": "#", "┄": "-", "─": "-", "━": "=", "│": "|", "┃": "|",
    "┌": "+", "┐": "+", "└": "+", "┘": "+", "├": "+", "┤": "+", "┬": "+", "┴": "+",
    "┼": "+", "╇": "+", "┡": "+", "┩": "+", "╸": "-", "≥": ">=", "≤": "<=",
    "→": "->", "←": "<-", "✔": "v", "✓": "v", "✗": "x", "×": "x", "“": '"', "”": '"',
    "‘": "'", "’": "'", "§": "S", "°": "o",
}
TABLE = str.maketrans(REPLACEMENTS)
_on = False


def use_ascii(on: bool) -> None:
    global _on
    _on = on


def ascii_mode() -> bool:
    return _on


def shown(text: str) -> str:
    """``text`` as it is shown: with ASCII stand-ins when ASCII is on."""
    return text.translate(TABLE) if _on else text


class AsciiStream:
    """A text stream that writes through ``inner`` with the ASCII stand-ins (the CLI's
    standard output under ``--ascii``); ``inner`` stays reachable for data (JSON)."""

    def __init__(self, inner: TextIO) -> None:
        self.inner = inner

    def write(self, text: str) -> int:
        self.inner.write(text.translate(TABLE))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)
