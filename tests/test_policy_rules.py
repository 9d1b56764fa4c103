"""Table-driven checks of the rule engine. The expected values below were read from
the seed policies by hand (section noted on each row), not from the engine."""

import pytest

from bot.policy import kb

# plan, network, urgency -> (authorization required, timeline kind, unit, amount)
EXPECTED = [
    # KHS 3.09-P IV.A: all requests reviewed by the CMO; 72 h urgent, 7 calendar days routine.
    ("khs", "in_network", "urgent", True, "fixed", "hours", 72),
    ("khs", "in_network", "routine", True, "fixed", "calendar_days", 7),
    # KHS IV.B: non-contracted only when no contracted provider; same IV.A timeline.
    ("khs", "out_of_network", "urgent", True, "fixed", "hours", 72),
    ("khs", "out_of_network", "routine", True, "fixed", "calendar_days", 7),
    # UM16 III.A: no authorization in network. III.C: OON "timely and expeditious", no number.
    ("hpsj", "in_network", "urgent", False, "none", None, None),
    ("hpsj", "in_network", "routine", False, "none", None, None),
    ("hpsj", "out_of_network", "urgent", True, "not_stated", None, None),
    ("hpsj", "out_of_network", "routine", True, "not_stated", None, None),
    ("mvhp", "in_network", "urgent", False, "none", None, None),
    ("mvhp", "in_network", "routine", False, "none", None, None),
    ("mvhp", "out_of_network", "urgent", True, "not_stated", None, None),
    ("mvhp", "out_of_network", "routine", True, "not_stated", None, None),
    # MPUP3078 VI.A: no permission in network; prior auth OON. VI.D: 72 h / 5 business days.
    ("partnership", "in_network", "urgent", False, "none", None, None),
    ("partnership", "in_network", "routine", False, "none", None, None),
    ("partnership", "out_of_network", "urgent", True, "fixed", "hours", 72),
    ("partnership", "out_of_network", "routine", True, "fixed", "business_days", 5),
    # Health Net: referral approved for one consultation; "timely", no number.
    ("health_net", "in_network", "urgent", True, "not_stated", None, None),
    ("health_net", "in_network", "routine", True, "not_stated", None, None),
    ("health_net", "out_of_network", "urgent", True, "not_stated", None, None),
    ("health_net", "out_of_network", "routine", True, "not_stated", None, None),
]


@pytest.mark.parametrize("plan,network,urgency,auth,kind,unit,amount", EXPECTED)
def test_requirement(plan, network, urgency, auth, kind, unit, amount):
    req = kb().requirement(plan, network, urgency)
    assert req.authorization_required is auth
    assert (req.timeline.kind, req.timeline.unit, req.timeline.amount) == (kind, unit, amount)
    assert req.citations, "a requirement must cite its source"
    text = " ".join(req.sentences())
    if kind == "fixed":
        assert str(amount) in text
    if kind == "not_stated":
        assert "no number" in text
    if not auth:
        assert "No approval" in text or "do not need permission" in text


def test_every_plan_network_urgency_is_covered():
    covered = {(p, n, u) for p, n, u, *_ in EXPECTED}
    assert covered == {
        (p, n, u) for p in kb().plans for n in ("in_network", "out_of_network") for u in ("urgent", "routine")
    }


@pytest.mark.parametrize(
    "plan,decider_words",
    [
        ("khs", "Chief Medical Officer"),
        ("partnership", "prior authorization"),
        ("health_net", "medical group"),
    ],
)
def test_who_decides(plan, decider_words):
    req = kb().requirement(plan, "in_network" if plan != "partnership" else "out_of_network", "routine")
    assert decider_words in req.decided_by


@pytest.mark.parametrize("plan", ["khs", "hpsj", "mvhp", "partnership", "health_net"])
def test_out_of_network_only_when_no_network_provider(plan):
    cond = kb().requirement(plan, "out_of_network", "routine").condition
    assert cond and ("no " in cond.lower() or "not" in cond.lower())


# topic -> plans whose policy is silent on it (read from the seeds)
SILENT = {
    "report": {"partnership", "health_net"},  # only KHS IV.B and UM16 III.G speak
    "disagree": {"partnership", "health_net"},  # KHS IV.C; UM16 III.G (additional opinions)
    "refused": {"khs"},  # UM16 III.C.1, MPUP3078 VI.E-F, HN OON
    "transportation": {"khs", "partnership", "health_net"},  # only UM16 III.F
    "who_can_request": set(),
    "cost": set(),
    "timeline": set(),
    "who_gives": set(),
    "authorization": set(),
    "situations": set(),
}


@pytest.mark.parametrize("topic,silent_plans", SILENT.items())
def test_silence_is_where_the_seeds_are_silent(topic, silent_plans):
    for plan in kb().plans:
        assert kb().answer(plan, topic).silent is (plan in silent_plans), (plan, topic)


def test_answers_name_their_plan_not_another():
    for plan_id in kb().plans:
        for topic in ("authorization", "refused"):
            text = kb().answer(plan_id, topic).text
            others = [p.name for pid, p in kb().plans.items() if pid != plan_id]
            assert not any(o in text for o in others), (plan_id, topic)


@pytest.mark.parametrize(
    "plan,fact,expected",
    [
        ("partnership", "who_can_request", "authorized representative"),  # MPUP3078 VI.A
        ("khs", "who_can_request", "does not say whether a family member"),  # 3.09-P silent
        ("hpsj", "cost", "no cost"),  # UM16 II.A
        ("khs", "cost", "copayment"),  # 3.09-P IV.B
        ("health_net", "cost", "copayments"),  # HN manual
        ("partnership", "cost", "does not say anything about costs for a network provider"),
        ("mvhp", "transportation", "ride"),  # UM16 III.F
    ],
)
def test_answer_content(plan, fact, expected):
    assert expected in kb().answer(plan, fact).text


def test_five_situations_each_traced_to_every_policy():
    sits = kb().situations()
    assert [s.id for s in sits] == [
        "surgery_necessity",
        "serious_condition",
        "unclear_diagnosis",
        "not_improving",
        "serious_concerns",
    ]
    for s in sits:
        assert {c.source_file for c in s.sources} == {
            "000_14cdcfe36f226927.txt",
            "002_a2da064d8dde2b23.txt",
            "003_a1b14b3ef8989b13.txt",
            "004_67f06cf55a1d1a52.txt",
        }
