"""The held-out rights questions (eval/rights_questions.yml, run by `python -m eval.rights`):
they stay out of the training data, are spread over every topic, and a small fixed subset
is answered on the right topic by the running assistant."""

from collections import Counter

import pytest

from bot.policy import kb
from eval import rights

QUESTIONS = rights.load_questions()
BLIND = rights.load_questions(rights.BLIND_QUESTIONS)


def test_no_question_is_in_the_training_data_nor_a_training_example_in_a_question():
    found = rights.leaks(QUESTIONS + BLIND, rights.training_examples())
    assert not found, "held-out questions overlapping data/nlu (question | intent | example):\n" + "\n".join(
        f"  {q!r} | {intent} | {ex!r}" for q, intent, ex in found
    )


def test_the_leak_check_catches_what_it_must():
    q = [rights.Question(0, "How much does a Second Opinion cost??", "ask_cost")]
    assert rights.leaks(q, [("ask_cost", "how much does a second opinion cost")])  # equal
    assert rights.leaks(q, [("ask_cost", "so how much does a second opinion cost at kern")])  # inside one
    assert rights.leaks(q, [("ask_cost", "a second opinion cost")])  # one inside it
    assert not rights.leaks(q, [("inform_plan", "cost")])  # one word
    named = [rights.Question(0, "does kern family health care pay for it", "ask_cost", "khs")]
    assert not rights.leaks(named, [("inform_plan", "kern family health care")])  # a plan's name


def test_the_questions_are_many_spread_and_labelled_with_what_exists():
    assert len(QUESTIONS) >= 220
    assert len({rights.normalise(q.text) for q in QUESTIONS}) == len(QUESTIONS), "duplicate questions"
    per_topic = Counter(q.topic for q in QUESTIONS)
    assert set(per_topic) == set(rights.RIGHTS_INTENTS)
    assert min(per_topic.values()) >= 15, per_topic
    assert {q.plan for q in QUESTIONS if q.plan} == set(kb().plans)
    assert {q.network for q in QUESTIONS if q.network} <= set(rights.NETWORKS)
    named = sum(1 for q in QUESTIONS if q.plan)
    assert 0.28 <= named / len(QUESTIONS) <= 0.4, named


def test_a_question_labelled_with_a_plan_names_that_plan_and_no_other():
    from bot.nlp.pipeline import extract

    for q in QUESTIONS + BLIND:
        named = set(extract(q.text).plans)
        assert named == ({q.plan} if q.plan else set()), (q.text, named)


def test_every_rights_answer_is_told_apart_by_topic_and_plan():
    signatures = rights.answer_signatures()
    assert len(signatures) == len(kb().plans) * (len(rights.RIGHTS_INTENTS) - 1)
    assert len(set(signatures.values())) == len(signatures)
    for (plan, intent), message in signatures.items():
        reading = rights.read_reply([message])
        assert (reading.topics, reading.plans) == ([intent], [plan])


def test_replies_that_are_not_a_rights_answer_are_read_from_the_catalog():
    from bot.messages import text

    assert rights.read_reply([text("not_understood")]).outcome_if_not_rights == rights.NOT_UNDERSTOOD
    assert rights.read_reply([text("handoff_clinical")]).outcome_if_not_rights == rights.HANDOFF
    assert rights.read_reply([text("safety_mental"), text("safety_then_choose")]).outcome_if_not_rights == rights.SAFETY
    assert rights.answered_as(rights.read_reply([text("request_intro")]), "ask_cost") == rights.OTHER
    assert rights.plan_question_asked([text("ask_plan_for_question")])


def test_the_report_gives_accuracy_confusion_plans_misses_and_seed():
    cost = rights.Question(0, "how much is it at kern", "ask_cost", "khs")
    ride = rights.Question(1, "rides?", "ask_transportation")
    results = [
        rights.Result(cost, "ask_cost", None, False, ["khs"], "Any copayment ..."),
        rights.Result(ride, rights.NOT_UNDERSTOOD, "hpsj", True, [], "Sorry, I didn't understand that."),
    ]
    out = rights.report(results, seed=5, mode="test")
    assert "topic accuracy: 1/2 = 50.0%" in out and "plan right: 1/1" in out and out.endswith("seed: 5")
    assert "misses (1):" in out and "'rides?' -> not understood | (asked the plan, said hpsj) Sorry" in out
    row = next(line for line in out.splitlines() if line.startswith(rights.SHORT["ask_transportation"]))
    assert row.split()[-1] == "1"  # the "not understood" column, the last one here


# -- end to end: a fixed subset, two questions a topic --------------------------------------
def smoke_subset():
    """Per topic, the first question naming a plan and the first naming none."""
    chosen = []
    for topic in rights.RIGHTS_INTENTS:
        of_topic = [q for q in QUESTIONS if q.topic == topic]
        chosen.append(next(q for q in of_topic if q.plan))
        chosen.append(next(q for q in of_topic if not q.plan))
    return chosen


SMOKE = smoke_subset()


@pytest.fixture(scope="module")
def assistant(trained_model, tmp_path_factory):
    running = rights.start_assistant(tmp_path_factory.mktemp("rights-eval"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def smoke_results(assistant):
    return {r.question.index: r for r in rights.run(assistant, SMOKE, seed=20240611)}


@pytest.mark.slow
@pytest.mark.parametrize("question", SMOKE, ids=[f"{q.topic}-{q.index}" for q in SMOKE])
def test_a_held_out_question_is_answered_on_its_topic(smoke_results, question):
    result = smoke_results[question.index]
    assert result.answered == question.topic, f"{question.text!r} -> {result.answered}: {result.reply[:200]}"
    if question.plan:
        assert result.plan_right, f"{question.text!r}: expected {question.plan}'s policy: {result.reply[:200]}"
