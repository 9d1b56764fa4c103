"""Verifying a member (member ID plus date of birth), shared by every form that
opens or reads back a member's records."""
from __future__ import annotations

from typing import Any, Dict, Text

from actions.common import asked_topic, latest_intent, looks_like_question, plan_name, say
from actions.conversation import say_member_services
from bot import members
from bot.policy import kb
from bot.requests import take_denial_to_offer


VERIFIED = members.VERIFIED_MARKER   # what the dob slot holds once checked: never the date itself


def refused_unverified(dispatcher, tracker) -> bool:
    """Say why nothing can be done for an unverified member; True if so."""
    if tracker.get_slot("verified"):
        return False
    say(dispatcher, tracker, "verify_locked" if tracker.get_slot("verification_locked") else "not_verified")
    say_member_services(dispatcher, tracker)
    return True


def record_plan(tracker) -> str:
    """A verified member's plan from their record, else the plan they named."""
    return tracker.get_slot("member_plan") or tracker.get_slot("plan")


class VerificationValidators:
    """Mixin for a FormValidationAction whose form starts with member_id and dob.
    It needs `_not_an_answer(slot, dispatcher, tracker)` from the form."""

    def validate_member_id(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        # An ID is a code ("KHS-778899"), so the prose checks (gibberish) do not apply.
        text_value = str(value or "")
        if members.parse_dob(text_value):
            say(dispatcher, tracker, "member_id_not_a_date")
            return {"member_id": None}
        member_id = members.find_member_id(text_value)
        if member_id:
            return {"member_id": member_id}
        intent, confidence = latest_intent(tracker)
        if (asked_topic(tracker, 0.6) and looks_like_question(text_value)) or \
                (intent == "human_handoff" and confidence >= 0.8):
            return self._not_an_answer("member_id", dispatcher, tracker)
        say(dispatcher, tracker, "member_id_unclear")
        return {"member_id": None}

    def validate_dob(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if value == VERIFIED and tracker.get_slot("verified"):
            # A form being activated re-validates slots already filled: stay verified.
            return {"dob": VERIFIED}
        dob = members.parse_dob(str(value or ""))
        if dob is None:
            intent, confidence = latest_intent(tracker)
            if (asked_topic(tracker, 0.6) and looks_like_question(str(value or ""))) or \
                    (intent == "human_handoff" and confidence >= 0.8):
                return self._not_an_answer("dob", dispatcher, tracker)
            say(dispatcher, tracker, "dob_unclear")
            return {"dob": None}
        member = members.verify(tracker.get_slot("member_id") or "", dob)
        if member is None:
            return self._verification_failed(dispatcher, tracker)
        say(dispatcher, tracker, "verified", first_name=member.first_name, plan_name=plan_name(member.plan))
        named = tracker.get_slot("plan")
        if named in kb().plans and named != member.plan:
            say(dispatcher, tracker, "plan_mismatch", plan_name=plan_name(member.plan), named_plan=plan_name(named))
        denial = take_denial_to_offer(member.member_id)
        if denial:
            say(dispatcher, tracker, "denial_offer", reference=denial[0], reasons=denial[1])
        # The date of birth itself is not kept in the conversation's slots.
        return {"dob": VERIFIED, "verified": True, "member_plan": member.plan, "plan": member.plan}

    def _verification_failed(self, dispatcher, tracker) -> Dict[Text, Any]:
        failures = int(tracker.get_slot("verify_failures") or 0) + 1
        if failures >= members.MAX_VERIFY_ATTEMPTS:
            say(dispatcher, tracker, "verify_locked_now")
            return {"dob": None, "verify_failures": failures, "verification_locked": True,
                    "handoff_reason": "locked"}
        say(dispatcher, tracker, "verify_failed", attempt=failures + 1, max_attempts=members.MAX_VERIFY_ATTEMPTS)
        return {"member_id": None, "dob": None, "verify_failures": failures}

    async def required_slots(self, domain_slots, dispatcher, tracker, domain):
        # Locked verification: nothing more to ask; the form ends and nothing is done.
        return [] if tracker.get_slot("verification_locked") else domain_slots
