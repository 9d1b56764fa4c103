"""The phrasings members use (eval/phrasings.yml, eval/phrasings_es.yml for members who
write in Spanish) and their world (eval/cases.yml): loading them and filling a phrasing in."""

from __future__ import annotations

import random
import string
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent


FILES = {"en": "phrasings.yml", "es": "phrasings_es.yml"}


@cache
def phrasings(lang: str = "en") -> dict:
    return yaml.safe_load((HERE / FILES[lang]).read_text(encoding="utf-8"))


@cache
def world() -> dict:
    return yaml.safe_load((HERE / "cases.yml").read_text(encoding="utf-8"))


def strings(node: list, path: str) -> list[str]:
    """YAML reads a bare YES or no as true/false: every phrasing must be written as text."""
    wrong = [t for t in node if not isinstance(t, str)]
    if wrong:
        raise TypeError(f"phrasings.yml {path}: quote {wrong}")
    return node


def templates(kind: str, lang: str = "en") -> list[str]:
    """The phrasings of one kind, by dotted path: "urgency.routine"."""
    node = phrasings(lang)
    for part in kind.split("."):
        node = node[part]
    return strings(node, kind)


def leaves(node=None, path: str = "", lang: str = "en") -> Iterator[tuple[str, list[str]]]:
    """Every list of phrasings with its dotted path."""
    node = phrasings(lang) if node is None else node
    if isinstance(node, list):
        yield path, strings(node, path)
        return
    for key, child in node.items():
        yield from leaves(child, f"{path}.{key}" if path else str(key), lang)


def names_in(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def fill(template: str, values: dict[str, str | None]) -> str | None:
    """The phrasing filled in, or None when it names something this member lacks."""
    if any(values.get(name) is None for name in names_in(template)):
        return None
    return template.format(**values)


def choose(kind: str, values: dict[str, str | None], rng: random.Random, used: set[str], lang: str = "en") -> str:
    """A phrasing of `kind` this member can say, preferring one not said yet."""
    usable = [t for t in templates(kind, lang) if fill(t, values) is not None]
    fresh = [t for t in usable if t not in used] or usable
    template = rng.choice(fresh)
    used.add(template)
    return fill(template, values)
