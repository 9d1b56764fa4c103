"""Verifying a member (member ID plus date of birth), shared by every form that
opens or reads back a member's records. Whether the conversation is verified, and as
whom, comes from bot.verification (the database), never from the tracker's slots:
those are set here only for the conversation's own flow and the agent's summary."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import interrupts, lang_of, language_shown, plan_name, say, say_if_another_plan_named
from actions.conversation import say_member_services
from bot import members, verification
from bot.members import MemberView
from bot.policy import kb
from bot.second_opinions import take_denial_to_offer

VERIFIED = members.VERIFIED_MARKER  # what the dob slot holds once checked: never the date itself
WAIT_TEXT = "verify_wait"  # a try too soon after failed ones: not read, asked again


def gateway_source(tracker: Tracker) -> str | None:
    metadata = tracker.latest_message.get("metadata") or {}
    source = metadata.get("source") if isinstance(metadata, dict) else None
    return str(source)[:200] if source else None


def verified_member(tracker: Tracker) -> MemberView | None:
    return verification.verified_member(tracker.sender_id)


def member_or_refusal(dispatcher: CollectingDispatcher, tracker: Tracker) -> MemberView | None:
    """The conversation's verified member; if none, say why nothing can be done."""
    member = verified_member(tracker)
    if member is None:
        say(dispatcher, tracker, "verify_locked" if tracker.get_slot("verification_locked") else "not_verified")
        say_member_services(dispatcher, tracker)
    return member


def record_plan(tracker: Tracker) -> str:
    """A verified member's plan from their record, else the plan they named."""
    member = verified_member(tracker)
    return member.plan if member else tracker.get_slot("plan")


def plan_of(member: MemberView, dispatcher: CollectingDispatcher, tracker: Tracker) -> str:
    """The member's plan; if their message names another one, say so instead of guessing."""
    say_if_another_plan_named(member.plan, dispatcher, tracker)
    return member.plan


class VerificationValidators:
    """Mixin for a FormValidationAction whose form starts with member_id and dob.
    It needs `_not_an_answer(slot, dispatcher, tracker)` from the form."""

    if TYPE_CHECKING:  # provided by the form the mixin is used in (actions.forms.MemberForm)

        def _not_an_answer(
            self, slot: str, dispatcher: CollectingDispatcher, tracker: Tracker, example: str = "unclear_answer"
        ) -> dict[str, Any]: ...

    def validate_member_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        # An ID is a code ("KHS-778899"), so the prose checks (gibberish) do not apply.
        text_value = str(value or "")
        if members.parse_dob(text_value):
            say(dispatcher, tracker, "member_id_not_a_date")
            return {"member_id": None}
        dob_text = members.dob_in(text_value)
        member_id = members.find_member_id(text_value.replace(dob_text, " ") if dob_text else text_value)
        if member_id and dob_text:
            # "DEMO1001 4/9/61": both asked at once, both answered (the message is hidden
            # at rest like any date-of-birth answer: bot/store/redaction.py)
            return {"member_id": member_id, **self._check_dob(member_id, dob_text, dispatcher, tracker)}
        if member_id:
            return {"member_id": member_id}
        if interrupts(tracker, text_value, prose=False):
            return self._not_an_answer("member_id", dispatcher, tracker)
        say(dispatcher, tracker, "member_id_unclear")
        return {"member_id": None}

    def validate_dob(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value == VERIFIED:
            return self._still_verified(tracker)
        if (
            members.parse_dob(str(value or "")) is None
            and members.dob_in(str(value or "")) is None
            and interrupts(tracker, str(value or ""), prose=False)
        ):
            return self._not_an_answer("dob", dispatcher, tracker)
        return self._check_dob(tracker.get_slot("member_id") or "", str(value or ""), dispatcher, tracker)

    def _check_dob(
        self, member_id: str, said: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        if lang_of(tracker) != "en" and members.reads_both_ways(members.dob_in(said) or said):
            say(dispatcher, tracker, "dob_month_in_words")  # which is the day? not a guess counted
            return {"dob": None}
        dob = members.parse_dob(said) or members.parse_dob(members.dob_in(said) or "")
        if dob is None:
            say(dispatcher, tracker, "dob_unclear")
            return {"dob": None}
        outcome = verification.attempt(member_id, dob, tracker.sender_id, gateway_source(tracker))
        if outcome.status == verification.VERIFIED:
            assert outcome.member is not None  # a verified outcome always carries the member
            return self._verified(outcome.member, dispatcher, tracker)
        if outcome.status == verification.WAIT:
            say(dispatcher, tracker, WAIT_TEXT)
            return {"dob": None}
        return self._verification_failed(outcome, dispatcher, tracker)

    def _still_verified(self, tracker: Tracker) -> dict[str, Any]:
        """A form being activated re-validates slots already filled: still verified, as
        this member? Otherwise (expired, started over, never) ask again."""
        member = verified_member(tracker)
        if member and member.member_id == members.normalize_member_id(tracker.get_slot("member_id") or ""):
            return {"dob": VERIFIED}
        return {"dob": None, "verified": False}

    def _verified(self, member: MemberView, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
        lang = lang_of(tracker) if language_shown(tracker) else member.language
        if lang != lang_of(tracker):
            tracker.slots["language"] = lang  # this turn's texts already in the record's language
        say(dispatcher, tracker, "verified", first_name=member.first_name, plan_name=plan_name(member.plan))
        named = tracker.get_slot("plan")
        if named in kb().plans and named != member.plan:
            say(dispatcher, tracker, "plan_mismatch", plan_name=plan_name(member.plan), named_plan=plan_name(named))
        denial = take_denial_to_offer(member.member_id)
        if denial:
            say(dispatcher, tracker, "denial_offer", reference=denial[0], reasons=denial[1])
        # The date of birth itself is not kept in the conversation's slots.
        return {"dob": VERIFIED, "verified": True, "member_plan": member.plan, "plan": member.plan, "language": lang}

    def _verification_failed(
        self, outcome: verification.Outcome, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        # The slot can only make this stricter: the database counts this conversation's tries.
        failures = max(int(tracker.get_slot("verify_failures") or 0) + 1, outcome.failures)
        if outcome.status == verification.LOCKED or failures >= verification.CONVERSATION_MAX_FAILURES:
            say(dispatcher, tracker, "verify_locked_now")
            return {"dob": None, "verify_failures": failures, "verification_locked": True, "handoff_reason": "locked"}
        say(
            dispatcher,
            tracker,
            "verify_failed",
            attempt=failures + 1,
            max_attempts=verification.CONVERSATION_MAX_FAILURES,
        )
        return {"member_id": None, "dob": None, "verify_failures": failures}

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        # Locked verification: nothing more to ask; the form ends and nothing is done.
        return [] if tracker.get_slot("verification_locked") else domain_slots
