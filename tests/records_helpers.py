"""A complete second-opinion request for tests (the answers a member gives), changed
where a test says: `a_draft(plan="hpsj", network="out_of_network")`."""

from dataclasses import replace
from typing import Any

from bot.second_opinions import RequestDraft

KNEE_SURGERY = RequestDraft(
    plan="khs",
    reason="surgery_necessity",
    reason_text="my surgeon wants to operate on my knee and i am not sure",
    initial_provider="Dr. Osei",
    initial_specialty="orthopedics",
    initial_recommendation="knee replacement",
    initial_date_text="last week",
    initial_date=None,
    requested_by="member",
    network="in_network",
    preferred_provider=None,
    urgency="routine",
)


def a_draft(**changes: Any) -> RequestDraft:
    return replace(KNEE_SURGERY, **changes)
