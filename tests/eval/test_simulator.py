"""The member simulator (eval/): its phrasings are held out from the NLU training data,
every kind of answer has at least 8 of them, it recognises every question the catalog
asks; after the reference, it answers the notify question as the persona decided, asks
for the status and checks the consent stored and the status given (against a scripted
assistant here); and a few members, by REST and by SMS, get their request opened with
every field right (slow: the real assistant)."""

import random
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import pytest
import yaml

from bot.messages import catalog, text
from bot.web.sms import split_message
from eval.conversation import Conversation
from eval.personas import NOTIFY, make_persona, make_personas, values
from eval.phrasings import fill, leaves, names_in
from eval.phrasings import templates as phrasings_of
from eval.questions import (
    FOLLOW_UPS,
    NOTIFY_QUESTIONS,
    QUESTIONS,
    asked,
    last_four_offered,
    notify_asked,
    notify_told,
    patterns,
    status_answered,
    status_line,
)

DATA = Path(__file__).resolve().parents[2] / "data"
SEED = 20261202
SAMPLE_REFERENCE = "SO-7K3M-Q9PA"  # a reference as the assistant gives them
AFTER_THE_REFERENCE = ("notify.yes", "notify.no", "notify.number", "status.with_reference", "status.without_reference")
REFERENCES = re.compile(r"\b(?:so|rd|gr) [a-z0-9]{4} [a-z0-9]{4}\b")
PHONES = re.compile(r"\b1? ?\d{3} ?\d{3} ?\d{4}\b")


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
        values(p, random.Random(p.index), corrected, reference=SAMPLE_REFERENCE)
        for p in make_personas(120, SEED)
        for corrected in (False, True)
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


def masked(phrase: str) -> str:
    """Normalised, with any reference and phone number standing as one word: "status of
    SO-3MXP-6YNU?" in data/ is the same phrasing as "status of {reference}?" here."""
    return PHONES.sub("phone", REFERENCES.sub("ref", norm(phrase)))


@pytest.mark.parametrize("lang", ["en", "es"])
def test_no_notify_or_status_phrasing_is_in_the_training_data_whatever_the_reference_or_number(lang):
    """The answers to "a text when there is news?" and the status questions, compared with
    the reference and the number masked in both (data/nlu/request_status.yml names
    references of its own), are in no example of data/."""
    data = "\n".join(masked(e) for e in training_examples())
    found = []
    for kind in AFTER_THE_REFERENCE:
        for template in phrasings_of(kind, lang):
            said = masked(template.replace("{reference}", SAMPLE_REFERENCE).replace("{phone}", "(559) 555-0147"))
            if not bare(template, said) and said in data:
                found.append(f"{kind}: {template!r}")
    assert not found, f"phrasings found in data/: {found}"


@pytest.mark.parametrize("lang", ["en", "es"])
def test_after_the_reference_every_list_is_there_and_the_status_ones_name_the_reference_or_not(lang):
    for kind in AFTER_THE_REFERENCE:
        assert len(phrasings_of(kind, lang)) >= 8, kind
    assert all("{reference}" in t for t in phrasings_of("status.with_reference", lang))
    assert not any("{reference}" in t for t in phrasings_of("status.without_reference", lang))
    assert all("{phone}" in t for t in phrasings_of("notify.number", lang))
    # a number is read from every digit of the answer: no other digits
    for kind in AFTER_THE_REFERENCE[:3]:
        assert not any(re.search(r"\d", t.replace("{phone}", "")) for t in phrasings_of(kind, lang)), kind


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


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_notify_questions_are_recognised_by_web_and_by_text(lang):
    reference = text("request_received", lang) if "request_received" in catalog(lang) else ""
    for key in NOTIFY_QUESTIONS:
        question = text(key, lang, last_four="0102")
        reply = f"{reference} {SAMPLE_REFERENCE}.\n{question}"
        assert notify_asked(reply) == key
        assert notify_asked(" ".join(split_message(reply))) == key
        assert asked(reply) is None  # not taken for a request question
    assert last_four_offered(text("ask_notify_answer", lang, last_four="0102")) == "0102"
    assert notify_told(text("notify_yes", lang, last_four="0147") + " " + text("ride_offer", lang)) == "notify_yes"
    assert notify_told(text("notify_no", lang) + " " + text("ride_offer", lang)) == "notify_no"
    assert notify_told(text("notify_yes_here", lang) + " " + text("ride_offer", lang)) == "notify_yes_here"


def test_the_persona_decides_the_notify_answer_about_a_third_each_and_half_name_the_reference():
    people = make_personas(120, SEED, spanish=30)
    said = {answer: sum(p.notify == answer for p in people) for answer in NOTIFY}
    assert all(30 <= n <= 70 for n in said.values()), said
    assert 50 <= sum(p.status_with_reference for p in people) <= 100
    assert len({p.other_phone for p in people}) > 50
    assert all(p.phone_on_file for p in people)  # the demo roster has a number for everyone
    again = make_personas(120, SEED, spanish=30)
    assert [(p.notify, p.other_phone, p.status_with_reference) for p in again] == [
        (p.notify, p.other_phone, p.status_with_reference) for p in people
    ]


class Scripted:
    """An assistant that asks the notify question and answers the status, as the catalog
    words them; `understands` decides which member messages it takes."""

    def __init__(self, persona, reference, understands=lambda message: True, store_wrong=False):
        self.p, self.reference, self.understands = persona, reference, understands
        self.stored = dict(notify_by_text=None, notify_phone=None, notify_answered_at=None)
        self.stage, self.store_wrong = "notify", store_wrong

    def first(self) -> str:
        if self.p.channel == "sms":  # a text "here", at the number they text from
            return f"Reference {self.reference}.\n" + text("ask_notify_answer_sms", self.p.lang)
        return f"Reference {self.reference}.\n" + text("ask_notify_answer", self.p.lang, last_four="0101")

    def __call__(self, message: str) -> list[str]:
        lang = self.p.lang
        if self.stage == "notify":
            if not self.understands(message):
                return [text("notify_unclear", lang)]
            self.stage = "status"
            digits = re.sub(r"\D", "", message)[-10:]
            yes = self.p.notify != "no"
            here = len(digits) != 10 and self.p.channel == "sms"
            phone = f"+1{digits}" if len(digits) == 10 else self.p.sms_phone if here else self.p.phone_on_file
            if self.store_wrong:
                yes = not yes
            self.stored = dict(notify_by_text=yes, notify_phone=phone if yes else None, notify_answered_at="now")
            said = text("notify_yes", lang, last_four=phone[-4:]) if yes else text("notify_no", lang)
            said = text("notify_yes_here", lang) if yes and here else said
            return [said, text("ride_offer", lang)]
        if not self.understands(message):
            return [text("ride_offer", lang)]
        return [text("status_intro", lang), status_line(self.reference, lang)]


def follow(persona, **script) -> tuple[Conversation, Scripted]:
    talk = Conversation(persona, random.Random(persona.index))
    assistant = Scripted(persona, SAMPLE_REFERENCE, **script)
    talk.reference, talk.after_reference = SAMPLE_REFERENCE, assistant.first()
    talk.follow_up(assistant)
    return talk, assistant


@pytest.mark.parametrize("index", [0, 1, 2, 3, 4, 5, 20, 1000, 1001, 1002, 1003, 1004, 1005])
def test_after_the_reference_the_member_says_what_the_persona_decided_and_asks_the_status(index):
    persona = make_persona(index, SEED)
    talk, assistant = follow(persona)
    assert talk.problem is None and talk.status_ok is True
    assert talk.notify_said == persona.notify and talk.notify_confirmed
    assert talk.consent_wrong(assistant.stored) is None
    notify_message, status_message = [m for who, m in talk.lines if who == "member"]
    assert (persona.other_phone[-4:] in re.sub(r"\D", "", notify_message)) == (persona.notify == "number")
    assert (SAMPLE_REFERENCE in status_message) == persona.status_with_reference
    assert status_answered("\n".join(m for who, m in talk.lines if who == "assistant"), SAMPLE_REFERENCE, persona.lang)


def test_a_consent_stored_wrong_a_notify_answer_not_understood_and_a_status_not_given_are_problems():
    persona = make_persona(1, SEED)
    talk, assistant = follow(persona, store_wrong=True)
    assert "said" in talk.consent_wrong(assistant.stored)
    tries = iter([False, True])
    talk, _ = follow(persona, understands=lambda message: next(tries, False))
    assert talk.notify_unclear == 1 and "not understood 1 time" in talk.problem
    member = [m for who, m in talk.lines if who == "member"]
    assert member[0] != member[1]  # said again in other words
    assert talk.status_ok is False and talk.status_second_try is False
    assert "the status was not given for" in talk.problem and "not then either" in talk.problem
    assert member[2] != member[3]


def test_a_status_in_the_other_language_is_not_an_answer():
    assert not status_answered(status_line(SAMPLE_REFERENCE, "en"), SAMPLE_REFERENCE, "es")
    assert status_answered(status_line(SAMPLE_REFERENCE, "es"), SAMPLE_REFERENCE, "es")
    assert not status_answered(status_line("SO-AAAA-BBBB", "en"), SAMPLE_REFERENCE, "en")


@pytest.mark.slow
def test_a_few_members_by_rest_and_sms_complete_with_every_field_right(trained_model, tmp_path):
    from eval.members import simulate_all, transcript

    personas = [make_persona(i, SEED) for i in range(0, 60, 11)]  # every plan, both channels
    assert {p.channel for p in personas} == {"rest", "sms"} and len({p.plan for p in personas}) == 5
    results = simulate_all(personas, SEED, tmp_path, quiet=True)
    failed = [transcript(r, SEED) for r in results if not r.all_right]
    assert not failed, "\n\n".join(failed)
