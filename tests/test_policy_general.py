"""General Medi-Cal rules (grievances, appeals, rides): each fact names a public source,
and they stay separate from the plans' policies."""

import pytest

from bot.policy import kb


def test_grievance_rights_each_have_a_public_source():
    rights = kb().grievance_rights()
    assert len(rights) == 6
    for text, source in rights:
        assert text and source and any(w in source for w in ("CFR", "Code"))
    joined = " ".join(t for t, _ in rights)
    for must in (
        "any time",
        "60 days",
        "120 days",
        "Independent Medical Review",
        "72 hours",
        "1-888-466-2219",
        "1-877-688-9891",
        "www.dmhc.ca.gov",
    ):
        assert must in joined, must


def test_dmhc_statement_is_the_1368_02_text():
    statement = kb().dmhc_statement()
    assert statement.startswith(
        "The California Department of Managed Health Care is responsible for regulating health care service plans."
    )
    assert "1-888-466-2219" in statement and "1-877-688-9891" in statement


@pytest.mark.parametrize(
    "which,expected",
    [("acknowledge", ("calendar_days", 5)), ("resolve", ("calendar_days", 30)), ("resolve_expedited", ("hours", 72))],
)
def test_grievance_deadlines(which, expected):
    assert kb().grievance_deadline(which) == expected


@pytest.mark.parametrize(
    "mobility,mode,pcs",
    [
        ("walks", "nmt", False),
        ("cane_walker", "nmt", False),
        ("wheelchair", "nemt", True),
        ("cannot_sit_up", "nemt", True),
    ],
)
def test_mobility_decides_the_kind_of_ride(mobility, mode, pcs):
    ride = kb().ride_for(mobility)
    assert (ride.mode, ride.pcs_required) == (mode, pcs)
    assert (ride.pcs_text is not None) == pcs and ride.source


def test_lead_time_is_plan_configuration_for_every_plan():
    for plan in kb().plans:
        assert kb().ride_lead_business_days(plan) >= 1


@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_list_in_an_answer_is_shown_as_short_numbered_lines(lang):
    from bot.policy import kb

    lines = kb().answer("khs", "situations", lang).text.splitlines()
    assert [line[:2] for line in lines[1:]] == ["1.", "2.", "3.", "4.", "5."], lines


@pytest.mark.parametrize("lang", ["en", "es"])
def test_no_sentence_is_said_twice_in_what_a_plan_requires(lang):
    import re

    from bot.policy import NETWORKS, URGENCIES, kb

    for plan in kb().plan_ids():
        for network in NETWORKS:
            for urgency in URGENCIES:
                text = " ".join(kb().requirement(plan, network, urgency, lang).sentences())
                said = [s.strip().lower() for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]
                assert len(said) == len(set(said)), (plan, network, urgency, text)
