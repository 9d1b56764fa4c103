"""Member-facing texts spoken by custom actions, keyed by id, one file per language.

A second language is a second file (es.yml) with the same keys; a missing key falls
back to English. Sentences are never built in Python: callers fill named slots.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import yaml

DIR = Path(__file__).resolve().parent
DEFAULT_LANG: Final = "en"


@lru_cache(maxsize=8)
def catalog(lang: str) -> dict[str, Any]:  # the catalog's YAML: texts, lists of names, button maps
    path = DIR / f"{lang}.yml"
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}


def text(key: str, lang: str = DEFAULT_LANG, **values: Any) -> str:
    template = catalog(lang).get(key) or catalog(DEFAULT_LANG)[key]
    return str(template).format(**values) if values else str(template)


# strftime's names are the C locale's (English); these come from the catalog instead.
NAMED = {
    "%A": ("day_names", "%w"),
    "%a": ("day_abbrs", "%w"),
    "%B": ("month_names", "%m"),
    "%b": ("month_abbrs", "%m"),
    "%p": ("am_pm", "%p"),
}


def moment(value: datetime, format_key: str, lang: str = DEFAULT_LANG) -> str:
    """A date and time written with the catalog's format and its day and month names:
    "Thursday, December 3, 2026 at 1:51 PM" / "jueves 3 de diciembre de 2026, 1:51 p. m."."""

    def name(match: re.Match[str]) -> str:
        key, code = NAMED[match.group(0)]
        names: list[str] = catalog(lang).get(key) or catalog(DEFAULT_LANG)[key]
        if code == "%p":
            return names[0 if value.hour < 12 else 1]
        index = int(value.strftime(code)) - (1 if code == "%m" else 0)
        return names[index]

    return value.strftime(re.sub(r"%[AaBbp]", lambda m: name(m).replace("%", "%%"), text(format_key, lang)))
