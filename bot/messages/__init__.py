"""Member-facing texts spoken by custom actions, keyed by id, one file per language.

A second language is a second file (es.yml) with the same keys; a missing key falls
back to English. Sentences are never built in Python: callers fill named slots.

A few slots name lists that come from policies_kb/ and are filled here, in the text's
language, wherever they appear: `{plan_menu}` (the numbered plans of the plan question,
"1 Kern Health Systems (...), 2 ...", in the plans' menu order) and `{plan_names}` (the
plans served). Each item and the words between items are catalog texts too.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import yaml

from bot.policy import kb

DIR = Path(__file__).resolve().parent
DEFAULT_LANG: Final = "en"
LANGUAGES: Final = tuple(sorted(p.stem for p in DIR.glob("*.yml")))  # one catalog per language


@lru_cache(maxsize=8)
def catalog(lang: str) -> dict[str, Any]:  # the catalog's YAML: texts, lists of names, button maps
    path = DIR / f"{lang}.yml"
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}


def text(key: str, lang: str = DEFAULT_LANG, **values: Any) -> str:
    template = str(catalog(lang).get(key) or catalog(DEFAULT_LANG)[key])
    for name in _fields(template) & FROM_KB.keys() - values.keys():
        values[name] = FROM_KB[name](lang)
    return template.format(**values) if values else template


@lru_cache(maxsize=1024)
def _fields(template: str) -> frozenset[str]:
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


def listed(items: Sequence[str], lang: str, last: str) -> str:
    """Items joined with the catalog's words: `list_joiner` between them and `last`
    ("list_last_or", "list_last_and") before the last one: "a, b, or c" / "a, b o c"."""
    if len(items) < 2:
        return "".join(items)
    return text("list_joiner", lang).join(items[:-1]) + text(last, lang) + items[-1]


def plan_menu(lang: str = DEFAULT_LANG) -> str:
    """The plan question's numbered choices, from policies_kb/: a member's "2" is the
    plan numbered 2 there (bot.nlp.find_plan reads the same order)."""
    return listed(
        [text("plan_menu_item", lang, number=p.number, name=p.menu_name(lang)) for p in kb().plan_menu()],
        lang,
        "list_last_or",
    )


def plan_names(lang: str = DEFAULT_LANG) -> str:
    """The plans served, by name, in menu order."""
    return listed([p.name for p in kb().plan_menu()], lang, "list_last_and")


FROM_KB: dict[str, Callable[[str], str]] = {"plan_menu": plan_menu, "plan_names": plan_names}


def name_of(value: str, names_key: str, lang: str = DEFAULT_LANG) -> str:
    """A stored value's name for members ("surgery" is "cirugía" in Spanish), from a
    catalog mapping; a value the mapping does not know (the member's own words) as is."""
    names: dict[str, str] = catalog(lang).get(names_key) or catalog(DEFAULT_LANG).get(names_key) or {}
    return names.get(value, value)


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
