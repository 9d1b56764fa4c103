"""The member simulator (eval/): its phrasings are held out from the NLU training data,
every kind of answer has at least 8 of them, it recognises every question the catalog
asks; and a few members, by REST and by SMS, get their request opened with every
field right (slow: the real assistant)."""

import random
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import pytest
import yaml

from bot.messages import catalog, text
from bot.web.sms import split_message
from eval.personas import make_persona, make_personas, values
from eval.phrasings import fill, leaves, names_in
from eval.questions import FOLLOW_UPS, QUESTIONS, asked, patterns

DATA = Path(__file__).resolve().parents[2] / "data"
SEED = 20261202


def norm(phrase: str) -> str:
    phrase = phrase.lower().replace("’", "'").replace("'", "")
    return " " + " ".join(re.sub(r"[^a-z0-9]+", " ", phrase).split()) + " "


def training_examples() -> Iterator[str]:
    """Every example in data/: NLU examples (entity marks taken out) and story user turns."""

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "examples" and isinstance(value, str):
                    for line in value.splitlines():
                        if line.strip().startswith("- "):
                            yield re.sub(r"\[([^\]]*)\](\([^)]*\)|\{[^}]*\})", r"\1", line.strip()[2:])
                elif key == "user" and isinstance(value, str):
                    yield value
                else:
                    yield from walk(value)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    for path in sorted(DATA.rglob("*.yml")):
        yield from walk(yaml.safe_load(path.read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def member_values() -> list[dict]:
    """What many simulated members say, before and after a correction."""
    return [
        values(p, random.Random(p.index), corrected) for p in make_personas(120, SEED) for corrected in (False, True)
    ]


def renderings(template: str) -> set[str]:
    """A phrasing filled in for many simulated members, as they would say it."""
    return {filled for said in member_values() for filled in [fill(template, said)] if filled is not None}


def bare(template: str, said: str) -> bool:
    """Only the fact itself ("{dob}", "#{reason_number}", "yes", "2"): an answer, not a phrasing."""
    return not norm(re.sub(r"\{\w+\}", " ", template)).strip() or len(norm(said).split()) == 1


@pytest.mark.parametrize("lang", ["en", "es"])
def test_no_phrasing_is_in_the_training_data(lang):
    """Held out: no phrasing, filled in, is inside an example of data/. A phrasing that is
    only the fact itself ("{dob}", "yes", "2") is the answer, not a phrasing, and exempt."""
    examples = [norm(e) for e in training_examples()]
    assert len(examples) > 300
    data = "\n".join(examples)
    found, unused = [], []
    for path, templates in leaves(lang=lang):
        for template in templates:
            said = renderings(template)
            if not said:
                unused.append(f"{path}: {template}")
            found += [f"{path}: {s!r}" for s in said if not bare(template, s) and norm(s) in data]
    assert not unused, f"phrasings no member can say: {unused}"
    assert not found, f"phrasings found in data/: {found}"


@pytest.mark.parametrize("lang", ["en", "es"])
def test_every_kind_of_answer_has_at_least_8_phrasings_in_each_language(lang):
    short = {path: len(t) for path, t in leaves(lang=lang) if len(t) < 8}
    assert not short
    assert {path for path, _ in leaves(lang=lang)} == {path for path, _ in leaves()}


def question_texts(key: str) -> list[str]:
    out = []
    for lang in ("en", "es"):
        template = str(catalog(lang)[key])
        dummy = {name: "Dr. Lee" if "provider" in name else "1 one\n2 two" for name in names_in(template)}
        out.append(template.format(**dummy))
    return out


@pytest.mark.parametrize("key", [k for k in (*QUESTIONS, *FOLLOW_UPS) if k in catalog("en")])
def test_every_question_is_recognised_by_web_and_by_text(key):
    before = text("verified", first_name="Ana", plan_name="Health Net") + "\n" + text("unclear_answer")
    for question in question_texts(key):
        expected = FOLLOW_UPS.get(key, key)
        assert asked(before + "\n" + question) == expected
        assert asked(" ".join(split_message(before + "\n" + question))) == expected


def test_what_is_not_a_request_question_is_not_taken_for_one():
    recognised = set(patterns()) | {"ask_plan_for_question"}  # that one does ask the plan
    for key, template in catalog("en").items():
        if key not in recognised and isinstance(template, str):
            filled = re.sub(r"\{[^{}]*\}", "x", template)
            assert asked(filled) is None, key


@pytest.mark.slow
def test_a_few_members_by_rest_and_sms_complete_with_every_field_right(trained_model, tmp_path):
    from eval.members import simulate_all, transcript

    personas = [make_persona(i, SEED) for i in range(0, 60, 11)]  # every plan, both channels
    assert {p.channel for p in personas} == {"rest", "sms"} and len({p.plan for p in personas}) == 5
    results = simulate_all(personas, SEED, tmp_path, quiet=True)
    failed = [transcript(r, SEED) for r in results if not r.all_right]
    assert not failed, "\n\n".join(failed)
