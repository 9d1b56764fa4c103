"""Grievances: rights first (with sources), then the member's account, then filing."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import answer_rights, interrupts, lang_of, latest_text, plan_name, say, texting
from actions.forms import MemberForm, question_action
from actions.verification import member_or_refusal, record_plan
from bot import nlp
from bot.deadlines import to_pacific
from bot.grievances import file_grievance, rights_sentences
from bot.messages import moment, text
from bot.policy import kb
from bot.second_opinions import latest_request_for

GRIEVANCE_SLOTS = ("grievance_about", "grievance_text", "grievance_expedited", "grievance_confirmed")
ASK_ACTIONS = [question_action(slot) for slot in ("grievance_about", "grievance_text", "grievance_expedited")]


class ActionStartGrievance(Action):
    """Explain the member's rights before collecting anything."""

    def name(self) -> str:
        return "action_start_grievance"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        say(dispatcher, tracker, "grievance_intro")
        plan = record_plan(tracker)
        if plan in kb().plans:
            for sentence in rights_sentences(plan, lang_of(tracker)):
                dispatcher.utter_message(text=sentence)
        else:
            for rule, source in kb().grievance_rights(lang_of(tracker)):
                say(dispatcher, tracker, "general_rule", rule=rule, source=source)
            say(dispatcher, tracker, "grievance_plan_rule_later")
        return [SlotSet(s, None) for s in GRIEVANCE_SLOTS]


class ValidateGrievanceForm(MemberForm):
    def name(self) -> str:
        return "validate_grievance_form"

    def validate_dob(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        result = super().validate_dob(value, dispatcher, tracker, domain)
        if result.get("verified") and not tracker.get_slot("member_plan"):
            answer_rights(dispatcher, tracker, result["member_plan"], "refused")  # the plan's own rule, now known
        return result

    def validate_grievance_about(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if interrupts(tracker, latest_text(tracker)):
            return self._not_an_answer("grievance_about", dispatcher, tracker)
        return {"grievance_about": nlp.parse_grievance_about(str(value or ""))}

    def validate_grievance_text(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._free_text("grievance_text", value, dispatcher, tracker, 4000)

    def validate_grievance_expedited(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        message = str(value or "")
        if nlp.parse_urgency(message) == "urgent":
            return {"grievance_expedited": "yes"}
        return self._yes_no("grievance_expedited", value, dispatcher, tracker)

    def validate_grievance_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if nlp.parse_yes_no(str(value or "")) is True:
            return {"grievance_confirmed": "yes"}
        return self._not_an_answer("grievance_confirmed", dispatcher, tracker)


class ActionAskGrievanceConfirmed(Action):
    def name(self) -> str:
        return "action_ask_grievance_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        plan = record_plan(tracker)
        say(
            dispatcher,
            tracker,
            "grievance_summary",
            plan_name=plan_name(plan),
            about=text(f"label_about_{tracker.get_slot('grievance_about')}", lang_of(tracker)),
            account=(
                text("sms_details_withheld", lang_of(tracker))
                if texting(tracker)
                else tracker.get_slot("grievance_text")
            ),
            expedited=text(f"label_{tracker.get_slot('grievance_expedited')}", lang_of(tracker)),
        )
        say(dispatcher, tracker, "grievance_ask_confirmed")
        return []


class ActionFileGrievance(Action):
    def name(self) -> str:
        return "action_file_grievance"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        member = member_or_refusal(dispatcher, tracker)
        if member is None:
            return []
        member_id, plan = member.member_id, member.plan
        about = tracker.get_slot("grievance_about")
        linked = tracker.get_slot("request_reference") or (
            latest_request_for(member_id) if about == "denied_request" else None
        )
        row = file_grievance(
            plan,
            about,
            tracker.get_slot("grievance_text"),
            tracker.get_slot("grievance_expedited") == "yes",
            tracker.sender_id,
            member_id,
            linked,
        )
        say(
            dispatcher,
            tracker,
            "grievance_filed",
            reference=row.reference,
            plan_name=plan_name(plan),
            ack_due=moment(to_pacific(row.acknowledge_due_at), "short_due_format", lang_of(tracker)),
            resolve_due=moment(to_pacific(row.resolve_due_at), "short_due_format", lang_of(tracker)),
        )
        say(dispatcher, tracker, "grievance_help_center")
        return [SlotSet(s, None) for s in GRIEVANCE_SLOTS]
