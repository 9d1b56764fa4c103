"""Each plan's decision deadline, end to end through bot.second_opinions, for a request
received on Friday Nov 20 2026, 10:00 Pacific (the week of Thanksgiving).
Expected values worked out by hand from the seed policies and a calendar."""

from datetime import datetime

import pytest

from bot.deadlines import PACIFIC, to_pacific
from bot.second_opinions import RequestDraft, open_request

RECEIVED = datetime(2026, 11, 20, 10, 0, tzinfo=PACIFIC)

TABLE = [
    # plan, network, urgency, due (Pacific) or None
    ("khs", "in_network", "urgent", datetime(2026, 11, 23, 10, 0)),  # 3.09-P: 72 hours
    ("khs", "in_network", "routine", datetime(2026, 11, 27, 10, 0)),  # 7 calendar days (holidays count)
    ("khs", "out_of_network", "urgent", datetime(2026, 11, 23, 10, 0)),
    ("khs", "out_of_network", "routine", datetime(2026, 11, 27, 10, 0)),
    ("partnership", "out_of_network", "urgent", datetime(2026, 11, 23, 10, 0)),  # VI.D.1: 72 hours
    # VI.D.2: 5 business days: Mon 23, Tue 24, Wed 25, (Thanksgiving, day after), Mon 30, Tue Dec 1
    ("partnership", "out_of_network", "routine", datetime(2026, 12, 1, 10, 0)),
    ("partnership", "in_network", "urgent", None),  # no permission needed
    ("partnership", "in_network", "routine", None),
    ("hpsj", "in_network", "routine", None),  # UM16 III.A: no authorization
    ("hpsj", "out_of_network", "urgent", None),  # UM16 III.C: no number set
    ("mvhp", "out_of_network", "routine", None),
    ("health_net", "in_network", "urgent", None),  # "timely", no number set
    ("health_net", "out_of_network", "routine", None),
]


@pytest.mark.parametrize("plan,network,urgency,due", TABLE)
def test_decision_due(plan, network, urgency, due):
    draft = RequestDraft(
        plan=plan,
        reason="not_improving",
        reason_text="still hurts",
        initial_provider="Dr. A",
        initial_specialty=None,
        initial_recommendation="rest",
        initial_date_text=None,
        initial_date=None,
        requested_by="member",
        network=network,
        preferred_provider=None,
        urgency=urgency,
    )
    opened = open_request(draft, f"table-{plan}-{network}-{urgency}", "rest", now=RECEIVED)
    got = opened.decision_due_at
    assert (to_pacific(got).replace(tzinfo=None) if got else None) == due


def test_received_time_round_trips_in_utc():
    from bot.store import session_scope
    from bot.store.models import SecondOpinionRequest
    from bot.store.repository import as_utc, by_reference

    draft = RequestDraft(
        plan="khs",
        reason="not_improving",
        reason_text="x",
        initial_provider="Dr. A",
        initial_specialty=None,
        initial_recommendation="rest",
        initial_date_text=None,
        initial_date=None,
        requested_by="member",
        network="in_network",
        preferred_provider=None,
        urgency="urgent",
    )
    opened = open_request(draft, "table-roundtrip", "rest", now=RECEIVED)
    with session_scope() as s:
        row = by_reference(s, SecondOpinionRequest, opened.reference)
        assert as_utc(row.received_at) == RECEIVED
        assert as_utc(row.decision_due_at) - as_utc(row.received_at) == __import__("datetime").timedelta(hours=72)
