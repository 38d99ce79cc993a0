"""Message catalogs (Simplified Chinese and English) and the current language.

Every string a user sees is looked up here by key. The catalogs live in
``tracker/locales/*.py``: each module defines ``EN`` and ``ZH`` dicts with the same keys
(a test checks it). Parameters are filled with ``str.format``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from tracker.locales import catalogs

LANGUAGES = ("zh", "en")
_current = "en"


def language_from_env(environ: Mapping[str, str] | None = None) -> str:
    """The language the locale asks for: zh for any zh_* locale, else en.

    The first of LANGUAGE, LC_ALL, LC_MESSAGES and LANG that is set decides.
    """
    env = os.environ if environ is None else environ
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if value:
            return "zh" if value.split(":")[0].lower().startswith("zh") else "en"
    return "en"


def set_language(lang: str) -> None:
    global _current
    if lang not in LANGUAGES:
        raise ValueError(lang)
    _current = lang


def get_language() -> str:
    return _current


def _(key: str, /, **params: Any) -> str:
    """The message for ``key`` in the current language, with ``params`` filled in."""
    return translate(_current, key, **params)


def translate(lang: str, key: str, /, **params: Any) -> str:
    catalog = catalogs()[lang]
    template = catalog.get(key)
    if template is None:
        template = catalogs()["en"].get(key, key)
    if not params:
        return template
    return template.format(**params)
