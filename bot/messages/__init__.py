"""Member-facing texts spoken by custom actions, keyed by id, one file per language.

A second language is a second file (es.yml) with the same keys; a missing key falls
back to English. Sentences are never built in Python: callers fill named slots.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Dict

import yaml

DIR = Path(__file__).resolve().parent
DEFAULT_LANG = "en"


@lru_cache(maxsize=8)
def catalog(lang: str) -> Dict[str, object]:
    path = DIR / f"{lang}.yml"
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}


def text(key: str, lang: str = DEFAULT_LANG, **values) -> str:
    template = catalog(lang).get(key) or catalog(DEFAULT_LANG)[key]
    return str(template).format(**values) if values else str(template)
