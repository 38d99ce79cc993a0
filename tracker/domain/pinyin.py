"""Chinese place names as colleagues type them in Latin letters, and in the order Chinese
readers expect: pinyin (pypinyin, the README says why).

- :func:`pinyin_keys`: what a filter may match for a name: its full pinyin without
  spaces (``suizhongxian``) and its initials (``szx``), with ``v`` also as ``u`` (旅顺:
  ``lvshun`` or ``lushun``). A filter word in Latin letters matches a name when it is a
  substring of one of them (``suizhong``, ``szx``, ``sui zhong`` as two words).
- :func:`sort_key`: a name's place in pinyin order (syllable by syllable, tone next),
  for lists sorted by name (东港市 before 东洲区 before 中山区).

The plan's names are few (114 in the built-in plan): each is converted once per process
(``functools.cache``) on first use. pypinyin itself is imported only then (its
dictionaries take 100-300 ms to load), never by a command that does not filter by name,
so the CLI's one-shot commands and the app's start do not pay for it.

pypinyin's phrase dictionary reads a few place names by another sense of a character
(长海 as zhǎng, 朝阳 as zhāo); :data:`PLACE_READINGS` gives it their readings as places.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import Any

# Place names whose usual reading pypinyin's phrases get wrong (checked against the
# built-in plan's 114 names: tests/tracker/test_pinyin.py).
PLACE_READINGS: dict[str, list[list[str]]] = {
    "长海": [["cháng"], ["hǎi"]],
    "朝阳": [["cháo"], ["yáng"]],
    "弓长岭": [["gōng"], ["cháng"], ["lǐng"]],
}

_loaded = threading.Lock()
_ready = False


def _pypinyin() -> Any:
    """pypinyin, with the place readings registered (once, thread-safe: the app warms
    it in a worker)."""
    global _ready
    import pypinyin

    with _loaded:
        if not _ready:
            pypinyin.load_phrases_dict(PLACE_READINGS)
            _ready = True
    return pypinyin


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@cache
def syllables(name: str) -> tuple[str, ...]:
    """The name's pinyin, one plain syllable (no tone) per character; characters that
    are not Chinese are kept as they are, folded."""
    return tuple(s.casefold() for s in _pypinyin().lazy_pinyin(name, errors="default"))


@cache
def pinyin_keys(name: str) -> str:
    """What a Latin-letter filter matches for a Chinese name (space-separated):
    ``"suizhongxian szx"``; "" for a name without Chinese characters."""
    if not has_chinese(name):
        return ""
    parts = [s for s in syllables(name) if s.strip()]
    full = "".join(parts)
    initials = "".join(s[0] for s in parts if s[0].isalpha())
    keys = [full, initials]
    if "v" in full:
        keys.append(full.replace("v", "u"))
    return " ".join(dict.fromkeys(keys))


def search_word(word: str) -> str:
    """A filter word as it is compared with pinyin keys: folded, without the
    apostrophes and hyphens people put between syllables (``xi'an``)."""
    return word.casefold().replace("'", "").replace("-", "")


def matches(query: str, name: str) -> bool:
    """Whether ``query`` (Latin letters, any case; several words must all match) is
    found in ``name``'s pinyin keys."""
    words = [search_word(w) for w in query.split()]
    if not words or not all(w.isascii() and w.isalpha() for w in words):
        return False
    keys = pinyin_keys(name)
    return bool(keys) and all(w in keys for w in words)


@cache
def sort_key(name: str) -> tuple[tuple[str, ...], str]:
    """A name's place in pinyin order: its syllables with tone numbers (``sui2``), then
    the name itself (the same reading, then by character)."""
    if not has_chinese(name):
        return ((name.casefold(),), name)
    module = _pypinyin()
    readings = module.lazy_pinyin(name, style=module.Style.TONE3, errors="default")
    return tuple(s.casefold() for s in readings), name


def name_order(name: str) -> tuple[tuple[str, ...], str]:
    """The key to sort a list by a name in either language: pinyin for Chinese, folded
    letters otherwise."""
    return sort_key(name)


def warm(names: list[str]) -> None:
    """Convert ``names`` now (a worker at the app's start, so that the first filter
    or sort by name does not wait for pypinyin)."""
    for name in names:
        pinyin_keys(name)
        sort_key(name)


def keys_of(*names: str) -> str:
    """The pinyin keys of several names in one string, for a filter's search text."""
    return " ".join(k for k in map(pinyin_keys, names) if k)
