"""Every member-facing text exists in both languages ("Todo en español").

- bot/messages/es.yml has every key of en.yml and no other, with the same {placeholders},
  the same line breaks and the same strftime directives; domain.yml holds no text (its
  `utter_` responses are said from the catalogs, buttons by payload).
- Spanish texts ask members to type Spanish words (SÍ, PARAR, AYUDA, 'persona'), never
  the English keywords.
- Every language-keyed text in policies_kb/ (answers, citations, labels, ride texts) has
  both `en` and `es`, with the same placeholders and the same numbers: a Spanish answer
  may not add or drop a deadline, an amount or a phone number.
- Readability of the Spanish texts (Fernández Huerta, textstat) is reported, not yet
  enforced; skipped when textstat is not installed.
"""

from __future__ import annotations

import re
import statistics
import string
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = ROOT / "bot" / "messages"
KB = ROOT / "policies_kb"
DOMAIN = ROOT / "domain.yml"
LANGS = ("en", "es")
# Keys whose value holds member-facing text in a language-keyed mapping {en: ..., es: ...}.
KB_TEXT_KEYS = ("answer", "explain", "next_steps", "citation", "label", "vehicle", "pcs", "menu")


def _load(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


EN = _load(MESSAGES / "en.yml")
ES = _load(MESSAGES / "es.yml")


def placeholders(text: str) -> list[str]:
    return sorted(name for _, name, _, _ in string.Formatter().parse(text) if name is not None)


def numbers(text: str) -> list[str]:
    """The numbers a text states, without the '1.' '2.' that start numbered lines."""
    text = re.sub(r"(?m)^\s*\d+\.\s", "", text)
    return sorted(re.findall(r"\d+", text))


def strftime_directives(pattern: str) -> list[str]:
    return sorted(re.findall(r"%-?[A-Za-z]", pattern))


# -- the two catalogs -----------------------------------------------------------------
def test_every_english_key_has_a_spanish_text():
    missing = [k for k in EN if k not in ES]
    assert not missing, f"keys of en.yml missing from es.yml: {missing}"


def test_spanish_has_no_key_english_lacks():
    extra = [k for k in ES if k not in EN]
    assert not extra, f"keys of es.yml that en.yml does not have: {extra}"


def test_no_member_facing_text_is_left_in_the_domain():
    """The assistant's own responses (utter_*) are only declared in domain.yml; their
    texts are the catalogs' (bot/nlg.py)."""
    responses = (_load(DOMAIN) or {}).get("responses") or {}
    assert responses
    for name, variations in responses.items():
        assert name in EN and name in ES, name
        assert [v["text"] for v in variations] == [f"(bot/messages: {name})"], name


@pytest.mark.parametrize("key", [k for k in EN if k in ES])
def test_same_placeholders_line_breaks_and_numbers(key):
    if isinstance(EN[key], list):  # names of days and months
        assert isinstance(ES[key], list) and len(ES[key]) == len(EN[key]), key
        return
    if isinstance(EN[key], dict):  # button titles by payload
        assert isinstance(ES[key], dict) and set(ES[key]) == set(EN[key]), key
        assert all(isinstance(t, str) and t.strip() for t in ES[key].values()), key
        return
    en, es = str(EN[key]), str(ES[key])
    assert isinstance(ES[key], str) and ES[key].strip(), key
    assert placeholders(es) == placeholders(en), (key, placeholders(en), placeholders(es))
    assert es.count("\n") == en.count("\n"), f"{key}: the line structure differs"
    assert es.endswith(" ") == en.endswith(" "), f"{key}: a trailing space is part of the text"
    assert numbers(es) == numbers(en), (key, numbers(en), numbers(es))


@pytest.mark.parametrize("key", [k for k in EN if k.endswith("_format")])
def test_date_formats_keep_the_same_strftime_directives(key):
    assert strftime_directives(str(ES[key])) == strftime_directives(str(EN[key])), key


def _english_keywords() -> list[str]:
    """The quoted words en.yml asks members to say ('agent', 'start over', ...)."""
    quoted = re.findall(r"(?<!\w)'([A-Za-z](?:[a-z ]|'s)*[a-z])'(?!\w)", " ".join(str(v) for v in EN.values()))
    return sorted(set(quoted))


def test_spanish_texts_ask_for_spanish_words():
    words = _english_keywords()
    assert "agent" in words and "start over" in words  # the check reads en.yml
    for key, es in ES.items():
        if not isinstance(es, str):
            continue
        for english in ("YES", "STOP", "HELP"):
            assert not re.search(rf"\b{english}\b", es), f"{key}: says {english} in Spanish"
        for word in words:
            assert f"'{word}'" not in es, f"{key}: asks for the English '{word}'"
    for key, en in EN.items():
        for english, spanish in (("YES", "SÍ"), ("STOP", "PARAR"), ("HELP", "AYUDA")):
            if re.search(rf"\b{english}\b", str(en)):
                assert spanish in ES[key], f"{key}: '{english}' should become {spanish}"


# -- the knowledge base ---------------------------------------------------------------
def language_texts(node, where: str) -> Iterator[tuple[str, dict]]:
    """(where, {lang: text}) for every language-keyed text in a KB document: each mapping
    that holds a language key, and each value under a text key (a bare string there has
    no language and is reported as such)."""
    if isinstance(node, dict):
        if any(k in node for k in LANGS):
            yield where, node
        for key, value in node.items():
            if key in KB_TEXT_KEYS and not isinstance(value, dict):
                yield f"{where}/{key}", {"?": value}
            yield from language_texts(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from language_texts(value, f"{where}[{i}]")


def kb_texts() -> Iterator[tuple[str, dict]]:
    for path in sorted(KB.glob("*.yml")):
        yield from language_texts(_load(path), path.stem)


KB_TEXTS = list(kb_texts())


def test_the_knowledge_base_texts_are_found():
    wheres = [w for w, _ in KB_TEXTS]
    assert len(KB_TEXTS) > 80
    assert any(w.endswith("topics/situations/answer") for w in wheres)
    assert any(w.endswith("/citation") for w in wheres)


@pytest.mark.parametrize("where,texts", KB_TEXTS, ids=[w for w, _ in KB_TEXTS])
def test_every_kb_text_is_in_both_languages(where, texts):
    for lang in LANGS:
        assert isinstance(texts.get(lang), str) and texts[lang].strip(), f"{where} lacks {lang}"
    en, es = texts["en"], texts["es"]
    assert placeholders(es) == placeholders(en), (where, placeholders(en), placeholders(es))
    assert numbers(es) == numbers(en), (where, numbers(en), numbers(es))


def test_a_missing_spanish_answer_is_caught():
    doc = {"topics": {"cost": {"answer": {"en": "It costs nothing."}}, "report": {"answer": "A bare string"}}}
    found = dict(language_texts(doc, "x"))
    assert set(found) == {"x/topics/cost/answer", "x/topics/report/answer"}
    assert all("es" not in texts for texts in found.values())


# -- readability (reported, not enforced yet) -------------------------------------------
def spanish_texts() -> list[tuple[str, str]]:
    """(where, text) of every Spanish member-facing text, placeholders filled with a word."""

    def fill(text: str) -> str:
        text = text.replace("{plan}", "Partnership").replace("{plan_short}", "Partnership")
        return re.sub(r"\{[^}]*\}", "Kern", text)

    out = []
    for key, value in ES.items():
        if key.endswith("_format"):
            continue
        for sub, text in value.items() if isinstance(value, dict) else [("", value)]:
            text = fill(str(text))
            if len(re.findall(r"[^\W\d_]+", text)) >= 3:  # not a bare "{x}: {y}"
                out.append((f"messages/{key}{'/' + sub if sub else ''}", text))
    out += [
        (where, fill(texts["es"]))
        for where, texts in KB_TEXTS  # a plan's menu label is its name
        if isinstance(texts.get("es"), str) and not where.endswith("/menu")
    ]
    return out


def test_spanish_readability_report(capsys):
    textstat = pytest.importorskip("textstat", reason="textstat is not installed: readability not measured")
    textstat.set_lang("es")
    scored = sorted(((textstat.fernandez_huerta(t), w, t) for w, t in spanish_texts()), key=lambda s: s[0])
    median = statistics.median(s for s, _, _ in scored)
    with capsys.disabled():
        print(
            f"\nFernández Huerta, {len(scored)} Spanish texts: median {median:.1f} "
            f"(higher is easier; 80-90 is about 6th grade)"
        )
        for score, where, text in scored[:10]:
            print(f"  {score:6.1f}  {where}: {text[:90]}")
    assert scored


def test_every_specialty_members_name_has_a_name_in_both_languages():
    from bot.nlp.pipeline import vocabulary

    assert set(EN["specialty_names"]) == set(vocabulary()["specialties"]) == set(ES["specialty_names"])
