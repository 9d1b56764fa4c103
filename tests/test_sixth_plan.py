"""A sixth plan is one more file in policies_kb/ (with its source), and nothing else.

The knowledge base is copied to a temporary folder, the fictional Sierra Foothills
Health Plan of tests/fixtures/sixth_plan/ is added to the copy, and POLICIES_KB points
at it, as an operator would configure it. With no change to any code or catalog, the
plan is then offered in the plan question (English and Spanish), read from a member's
words (its name, a nickname, a typo, its menu number), accepted by the API, and its own
rules are answered (authorization, timelines) from its own entry.
"""

import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from actions.request import ValidateSecondOpinionForm
from actions.rights import ActionAnswerRights
from bot import nlp
from bot.messages import text
from bot.nlp.answers import reads_as_answer
from bot.nlp.topics import may_be_question, names_the_benefit
from bot.policy import kb
from bot.second_opinions import RequestDraft, open_request
from bot.settings import get_settings
from eval.questions import plan_number
from tests.actions_helpers import run, slots_set, tracker
from tests.messages.test_catalogs import language_texts, numbers, placeholders

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "sixth_plan"
PLAN_FILE = FIXTURE / "sierra_foothills_um07.yml"
SOURCE = FIXTURE / "sources" / "900_sierra_foothills_um07.txt"
SIXTH = "sierra_foothills"
TOKEN = "test-token-" + "y" * 20
AUTH = {"Authorization": f"Bearer {TOKEN}"}
FORM = "second_opinion_form"


@pytest.fixture(scope="module")
def kb_with_sixth_plan(tmp_path_factory) -> Path:
    """A copy of the configured knowledge base with the sixth plan's file and source."""
    folder = tmp_path_factory.mktemp("kb") / "policies_kb"
    shutil.copytree(get_settings().policies_kb, folder)
    shutil.copy(PLAN_FILE, folder)
    shutil.copy(SOURCE, folder / "sources")
    return folder


@pytest.fixture()
def sixth_plan(kb_with_sixth_plan, monkeypatch):
    """That copy in use, as an operator configures it (POLICIES_KB), for one test."""
    monkeypatch.setenv("POLICIES_KB", str(kb_with_sixth_plan))
    return kb()


def test_without_the_file_there_are_five_plans_and_no_sierra_foothills():
    assert kb().plan_ids() == ("khs", "hpsj", "mvhp", "partnership", "health_net")
    assert "Sierra" not in text("ask_plan") and nlp.find_plan("im with sierra foothills") is None
    assert nlp.find_plan("6") is None


# -- offered ----------------------------------------------------------------------------
def test_the_plan_question_offers_it_as_number_6_in_english(sixth_plan):
    assert sixth_plan.plan_ids()[-1] == SIXTH
    assert text("ask_plan", "en") == (
        "Which health plan are you with? Reply 1 Kern Health Systems (Kern Family Health Care), 2 Health Plan of "
        "San Joaquin, 3 Mountain Valley Health Plan, 4 Partnership HealthPlan, 5 Health Net, or 6 Sierra Foothills "
        "Health Plan."
    )
    assert text("ask_plan_for_question", "en").endswith("5 Health Net, or 6 Sierra Foothills Health Plan.")
    assert "Health Net and Sierra Foothills Health Plan. If you have another plan" in text("plan_not_served", "en")
    assert plan_number("Sierra Foothills Health Plan") == 6 and plan_number("Health Net") == 5


def test_the_plan_question_offers_it_as_number_6_in_spanish(sixth_plan):
    assert text("ask_plan", "es") == (
        "¿Cuál es su plan de salud? Conteste 1 Kern Health Systems (Kern Family Health Care), 2 Health Plan of "
        "San Joaquin, 3 Mountain Valley Health Plan, 4 Partnership HealthPlan, 5 Health Net o 6 Sierra Foothills "
        "Health Plan."
    )
    assert text("ask_plan_for_question", "es").endswith("5 Health Net o 6 Sierra Foothills Health Plan.")
    assert "Health Net y Sierra Foothills Health Plan. Si tiene otro plan" in text("plan_not_served", "es")


async def test_a_rights_question_without_a_plan_offers_it(sixth_plan):
    said, events = await run(ActionAnswerRights(), tracker("how much does it cost", "ask_cost", language="es"))
    assert "6 Sierra Foothills Health Plan" in said and slots_set(events)["pending_topic"] == "cost"


# -- parsed -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "words,plan",
    [
        ("im with sierra foothills", SIXTH),
        ("Sierra Foothills Health Plan", SIXTH),
        ("sfhp", SIXTH),
        ("my plan is SFHP", SIXTH),
        ("sierra fothills helth plan", SIXTH),
        ("6", SIXTH),
        ("#6", SIXTH),
        ("1", "khs"),
        ("2", "hpsj"),
        ("5", "health_net"),
        ("kern family", "khs"),
        ("7", None),
    ],
)
def test_a_members_words_name_it(sixth_plan, words, plan):
    assert nlp.find_plan(words) == plan


def test_its_names_count_where_the_topic_patterns_name_plans(sixth_plan):
    assert nlp.extract("im with sierra foothills").spans[0][:2] == ("PLAN", SIXTH)
    assert may_be_question("my cousin said does sierra foothills pay for it")
    assert names_the_benefit("how long does sfhp take")
    assert reads_as_answer("plan", "sfhp") and reads_as_answer("plan", "6")


def test_its_names_are_not_plan_words_without_it():
    assert not may_be_question("my cousin said does sierra foothills pay for it")
    assert not names_the_benefit("how long does sfhp take")


@pytest.mark.parametrize("answer", ["6", "sierra foothills", "sfhp"])
async def test_the_request_form_takes_it(sixth_plan, answer):
    t = tracker(
        answer,
        "inform_plan",
        sender=f"sixth-form-{answer}",
        set_this_turn={"plan": answer},
        requested_slot="plan",
        active_loop=FORM,
    )
    domain = {"forms": {FORM: {"required_slots": ["plan"]}}, "slots": {}}
    _, events = await run(ValidateSecondOpinionForm(), t, domain)
    assert slots_set(events)["plan"] == SIXTH


# -- accepted by the API ------------------------------------------------------------------
@pytest.fixture()
def client(sixth_plan, monkeypatch, tmp_path):
    """The API on a database of its own: records of a plan the other tests' knowledge
    base does not have must not reach their listings."""
    from bot.store import migrate

    url = f"sqlite:///{tmp_path / 'sixth.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    migrate(url)
    monkeypatch.setenv("STAFF_API_TOKEN", TOKEN)
    from bot.web.app import create_app

    return TestClient(create_app())


def test_the_api_accepts_documents_and_returns_it(client):
    member = {"first_name": "Rosa", "last_name": "Test", "dob": "1970-05-06", "plan": SIXTH}
    r = client.put("/api/members/SFHP0001", json=member, headers=AUTH)
    assert r.status_code == 201 and r.json()["plan"] == SIXTH
    assert client.put("/api/members/SFHP0002", json={**member, "plan": "kaiser"}, headers=AUTH).status_code == 422
    schema = client.get("/openapi.json", headers=AUTH).json()["components"]["schemas"]
    assert SIXTH in schema["MemberIn"]["properties"]["plan"]["enum"]
    assert SIXTH in schema["RequestOut"]["properties"]["plan"]["enum"]

    draft = RequestDraft(
        plan=SIXTH,
        reason="not_improving",
        reason_text="my back is not getting better",
        initial_provider="Dr. Gomez",
        initial_specialty="orthopedics",
        initial_recommendation="more physical therapy",
        initial_date_text="in march",
        initial_date=None,
        requested_by="member",
        network="out_of_network",
        preferred_provider=None,
        urgency="urgent",
    )
    opened = open_request(draft, "sixth-plan-api", "rest", member_id="SFHP0001")
    body = client.get(f"/api/requests/{opened.reference}", headers=AUTH).json()
    assert body["plan"] == SIXTH and body["authorization_required"] is True
    assert opened.decision_due_at - opened.received_at == timedelta(hours=48)  # its own 48 hours


# -- answered from its own entry ------------------------------------------------------------
def test_its_rules_come_from_its_own_entry(sixth_plan):
    authorization = sixth_plan.answer(SIXTH, "authorization")
    assert "without prior authorization" in authorization.text
    assert (authorization.citation.label, authorization.citation.section) == (
        "Sierra Foothills Health Plan policy UM-07",
        "II.C",
    )
    inside = sixth_plan.requirement(SIXTH, "in_network", "routine")
    assert not inside.authorization_required and inside.timeline.kind == "none"
    urgent = sixth_plan.requirement(SIXTH, "out_of_network", "urgent")
    routine = sixth_plan.requirement(SIXTH, "out_of_network", "routine", "es")
    assert urgent.authorization_required and (urgent.timeline.unit, urgent.timeline.amount) == ("hours", 48)
    assert (routine.timeline.unit, routine.timeline.amount) == ("business_days", 4)
    assert "Director Médico de SFHP" in " ".join(routine.sentences()) and "4 días hábiles" in routine.timeline.text


async def test_a_member_who_names_it_is_answered_from_its_policy(sixth_plan):
    said, events = await run(
        ActionAnswerRights(), tracker("im with sierra foothills, do i need approval?", "ask_authorization")
    )
    assert "without prior authorization" in said and "Sierra Foothills Health Plan policy UM-07" in said
    assert slots_set(events)["plan"] == SIXTH
    said, _ = await run(ActionAnswerRights(), tracker("how long does it take?", "ask_timeline", slots={"plan": SIXTH}))
    assert "48 hours" in said and "4 business days" in said
    said, events = await run(
        ActionAnswerRights(), tracker("6", "inform_plan", slots={"pending_topic": "report"}, language="es")
    )
    assert "10 días calendario" in said and "póliza UM-07 de Sierra Foothills Health Plan" in said
    assert slots_set(events)["plan"] == SIXTH


def test_service_settings_it_is_not_listed_in_fall_back_to_the_unknown_plan_row(sixth_plan):
    assert sixth_plan.ride_lead_business_days(SIXTH) == sixth_plan.ride_lead_business_days("khs")
    assert sixth_plan.member_services_hours(SIXTH) == sixth_plan.member_services_hours(None)
    assert sixth_plan.member_services_phone(SIXTH) is None


# -- the fixture is held to the knowledge base's own rules ----------------------------------
def test_every_quote_of_the_sixth_plan_is_in_its_source(sixth_plan):
    source = " ".join(SOURCE.read_text(encoding="utf-8").split())
    quotes = [(q, where) for src, q, where in sixth_plan.all_quotes() if src == SOURCE.name]
    assert len(quotes) > 15
    for quote, where in quotes:
        assert " ".join(quote.split()) in source, where


def test_its_texts_are_in_both_languages_with_the_same_placeholders_and_numbers():
    import yaml

    for where, texts in language_texts(yaml.safe_load(PLAN_FILE.read_text(encoding="utf-8")), PLAN_FILE.stem):
        assert set(texts) >= {"en", "es"}, where
        assert placeholders(texts["es"]) == placeholders(texts["en"]), where
        assert numbers(texts["es"]) == numbers(texts["en"]), where
        assert not re.search(r"\{(?!plan\}|plan_short\})", texts["en"]), where
