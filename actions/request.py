"""The request flow: start, the form's questions and answers, confirm, open.

Every answer is read by a bot.nlp parser; what the plan requires comes from
bot.second_opinions (which asks bot.policy). Nothing here decides a rule.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import lang_of, latest_intent, latest_text, plan_name, say, texting
from actions.forms import MemberForm, clip, question_action
from actions.safety import RESUME_SLOT
from actions.verification import member_or_refusal, plan_of, record_plan, verified_member
from bot import nlp
from bot.deadlines import pacific_today
from bot.messages import name_of, text
from bot.nlp.answers import START_FOR_INTENT
from bot.nlp.opinion import opinion_facts
from bot.policy import kb
from bot.second_opinions import (
    ANSWERS,
    NO_PREFERRED,
    NOT_GIVEN,
    RequestDraft,
    draft_from_answers,
    open_request,
    requirement_for,
)
from bot.status import due_label

NOT_A_KIND_OF_DOCTOR = {"me", "myself", "i", "you", "him", "her", "them", "he", "she", "a doctor", "doctor"}
FORM_SLOTS = (
    "member_id",
    "dob",
    "plan",
    "reason_text",
    "reason",
    "initial_provider",
    "initial_specialty",
    "initial_recommendation",
    "initial_date",
    "requested_by",
    "network",
    "preferred_provider",
    "urgency",
    "confirmed",
)
# Which slots to clear when the member wants to change one answer.
CLEARS = {"reason": ("reason_text", "reason"), "initial_provider": ("initial_provider", "initial_specialty")}


def facts_not_yet_given(message: str, tracker: Tracker, answering: str | None = None) -> dict[str, str]:
    """What one message says about the first opinion, for the question being answered
    and for questions not answered yet."""
    facts = opinion_facts(message, pacific_today(), answering_provider=answering == "initial_provider")
    if answering == "initial_provider":  # told in answer to who gave it: what they say wins
        return facts
    return {slot: value for slot, value in facts.items() if slot == answering or not tracker.get_slot(slot)}


def draft_from(tracker: Tracker, plan: str | None = None) -> RequestDraft:
    return draft_from_answers(plan or record_plan(tracker), {slot: tracker.get_slot(slot) for slot in ANSWERS})


class ActionStartRequest(Action):
    """Begin the form; keep what the first message already told us."""

    def name(self) -> str:
        return "action_start_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        if tracker.get_slot("request_reference"):  # a new request after one was opened
            events += [SlotSet(s, None) for s in FORM_SLOTS if s not in ("member_id", "dob", "plan")]
            events.append(SlotSet("request_reference", None))
        message = latest_text(tracker)
        reason = nlp.classify_reason(message)
        if reason and len(message.split()) >= 6 and not tracker.get_slot("reason_text"):
            events += [SlotSet("reason_text", clip(message)), SlotSet("reason", reason)]
            events += [SlotSet(slot, value) for slot, value in facts_not_yet_given(message, tracker).items()]
        if not tracker.get_slot("plan"):
            plan = nlp.find_plan(message)
            if plan:
                events.append(SlotSet("plan", plan))
        say(dispatcher, tracker, "request_intro")
        return events


class ActionAskReason(Action):
    """The five situations as a numbered list, from policies_kb."""

    def name(self) -> str:
        return "action_ask_reason"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        lang = lang_of(tracker)
        lines = "\n".join(
            text("reason_choice_line", lang, number=s.number, label=s.label) for s in kb().situations(lang)
        )
        say(dispatcher, tracker, "ask_reason_choices", choices=lines)
        return []


ASK_ACTIONS = [question_action(slot) for slot in FORM_SLOTS if slot not in ("reason", "confirmed")]  # reason: own ask


class ActionAskConfirmed(Action):
    """Read back the answers and what the plan requires for exactly this case."""

    def name(self) -> str:
        return "action_ask_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if tracker.get_slot("change_pending"):
            say(dispatcher, tracker, "ask_which_change")
            return []
        draft = draft_from(tracker)
        # By text, no health details are repeated back (texts are not encrypted).
        summary = "sms_request_summary" if texting(tracker) else "request_summary"
        say(dispatcher, tracker, summary, **summary_values(draft, lang_of(tracker)))
        requirement = requirement_for(draft, lang_of(tracker))
        say(
            dispatcher,
            tracker,
            "requirement",
            plan_name=plan_name(draft.plan),
            requirement=" ".join(requirement.sentences()),
            citation=requirement.citations[0].label,
        )
        say(dispatcher, tracker, "ask_confirmed")
        return []


def summary_values(draft: RequestDraft, lang: str) -> dict[str, str | None]:
    situation = next(s for s in kb().situations(lang) if s.id == draft.reason)
    unknown = text("label_unknown", lang)
    return dict(
        plan_name=plan_name(draft.plan),
        reason_label=situation.label,
        reason_text=draft.reason_text,
        initial_provider=draft.initial_provider,
        initial_specialty=name_of(draft.initial_specialty, "specialty_names", lang)
        if draft.initial_specialty
        else unknown,
        initial_date=draft.initial_date_text or unknown,
        initial_recommendation=draft.initial_recommendation,
        requested_by_label=text(f"label_requested_by_{draft.requested_by}", lang),
        network_label=text(f"label_{draft.network}", lang),
        preferred_label=(
            text("label_preferred_provider", lang, name=draft.preferred_provider)
            if draft.preferred_provider
            else text("label_no_preferred_provider", lang)
        ),
        urgency_label=text(f"label_{draft.urgency}", lang),
    )


class ActionOpenRequest(Action):
    def name(self) -> str:
        return "action_open_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        member = member_or_refusal(dispatcher, tracker)
        if member is None:
            return []
        draft = draft_from(tracker, member.plan)
        opened = open_request(
            draft,
            conversation_id=tracker.sender_id,
            member_id=member.member_id,
            channel=tracker.get_latest_input_channel() or "rest",
            lang=lang_of(tracker),
        )
        if not opened.newly_opened:
            say(dispatcher, tracker, "request_already_open", reference=opened.reference)
            return [SlotSet("request_reference", opened.reference)]
        say(dispatcher, tracker, "request_opened", reference=opened.reference)
        req, name = opened.requirement, plan_name(draft.plan)
        if not req.authorization_required:
            say(dispatcher, tracker, "no_authorization_needed", next_steps=req.next_steps or "")
        elif opened.decision_due_at is not None:
            due = due_label(opened.decision_due_at, lang_of(tracker))
            say(dispatcher, tracker, "decision_due", plan_name=name, due=due, timeline=req.timeline.text)
        else:
            say(dispatcher, tracker, "decision_no_date", timeline=req.timeline.text)
        # Then: a text when there is news? (actions/notify.py, which offers the ride after)
        return [SlotSet("request_reference", opened.reference), FollowupAction("notify_form")]


class ActionAfterAffirm(Action):
    """A "yes" outside any question: most often a repeated confirmation."""

    def name(self) -> str:
        return "action_after_affirm"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        resume = tracker.get_slot(RESUME_SLOT)
        if resume in START_FOR_INTENT:  # "keep going" after a safety answer: what that message asked
            return [SlotSet(RESUME_SLOT, None), FollowupAction(START_FOR_INTENT[resume])]
        reference = tracker.get_slot("request_reference")
        if reference:
            say(dispatcher, tracker, "request_already_open", reference=reference)
        else:
            dispatcher.utter_message(response="utter_how_can_help")
        return []


def answers_another_question(said: str) -> bool:
    """A short answer that belongs to a later question of the form (who asks, which
    network, yes or no): taken for what the doctor recommended, it would be stored wrong."""
    if nlp.says_who_asks(said) and not opinion_facts(said, pacific_today()).get("initial_recommendation"):
        return True
    return len(said.split()) <= 3 and bool(
        nlp.parse_requester(said) or nlp.parse_network(said) or nlp.parse_yes_no(said) is not None
    )


class ValidateSecondOpinionForm(MemberForm):
    def name(self) -> str:
        return "validate_second_opinion_form"

    # -- one validator per question ---------------------------------------------------
    def validate_plan(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        member = verified_member(tracker)
        if member:
            return {"plan": plan_of(member, dispatcher, tracker)}
        plan = value if value in kb().plans else nlp.find_plan(str(value or ""))
        if plan:
            return {"plan": plan}
        intent, _ = latest_intent(tracker)
        if intent == "inform_plan":
            say(dispatcher, tracker, "plan_not_served")
            return {"plan": None}
        return self._not_an_answer("plan", dispatcher, tracker)

    def validate_reason_text(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        result = self._free_text("reason_text", value, dispatcher, tracker)
        if result["reason_text"]:
            result["reason"] = nlp.classify_reason(result["reason_text"])
            result.update(facts_not_yet_given(result["reason_text"], tracker))
        return result

    def validate_reason(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        reason = nlp.classify_reason(str(value or ""), numbered=True)
        if reason:
            return {"reason": reason}
        facts = facts_not_yet_given(latest_text(tracker), tracker)
        if facts.get("initial_provider"):  # "dr okafor, cardiology, saw him last tuesday": kept for later
            say(dispatcher, tracker, "noted_for_later")
            return {"reason": None, **facts}
        return self._not_an_answer("reason", dispatcher, tracker)

    def validate_initial_provider(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        result = self._free_text("initial_provider", value, dispatcher, tracker)
        if result["initial_provider"]:
            result.update(facts_not_yet_given(result["initial_provider"], tracker, answering="initial_provider"))
            result["initial_provider"] = clip(result["initial_provider"], 200)
        return result

    def validate_initial_specialty(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if isinstance(value, str) and (nlp.doesnt_remember(value) or nlp.sounds_unsure(value)):
            return {"initial_specialty": NOT_GIVEN}
        if (
            isinstance(value, str)
            and not nlp.extract(value).specialties
            and (nlp.parse_yes_no(value) is not None or value.strip().lower() in NOT_A_KIND_OF_DOCTOR)
        ):
            return self._not_an_answer("initial_specialty", dispatcher, tracker)
        result = self._free_text("initial_specialty", value, dispatcher, tracker, 120)
        if result["initial_specialty"]:
            found = nlp.extract(result["initial_specialty"]).specialties
            result["initial_specialty"] = found[0] if found else result["initial_specialty"]
        return result

    def validate_initial_recommendation(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        said = str(value or "")
        if answers_another_question(said):  # "yo", "yes", "in network": not what the doctor recommended
            return self._not_an_answer(
                "initial_recommendation", dispatcher, tracker, example="example_what_was_recommended"
            )
        result = self._free_text("initial_recommendation", value, dispatcher, tracker)
        when = nlp.find_date(said, pacific_today()) if result["initial_recommendation"] else None
        if when and len(said.lower().replace(when[1].lower(), " ").split()) <= 2:
            # "last month" to "what did they recommend?" is when, not what: keep it as
            # the date and ask what again, with an example
            say(dispatcher, tracker, "example_initial_recommendation")
            return {"initial_recommendation": None, "initial_date": clip(said, 200)}
        if result["initial_recommendation"]:
            told = facts_not_yet_given(result["initial_recommendation"], tracker)
            result.update({k: v for k, v in told.items() if k == "initial_date"})
        return result

    def validate_initial_date(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        message = str(value or "")
        if nlp.doesnt_remember(message):
            return {"initial_date": NOT_GIVEN}
        if nlp.parse_date_hint(message, pacific_today()) is not None:
            return {"initial_date": clip(message, 200)}
        if nlp.find_date(message, date.max) is not None:  # a date, but after today
            say(dispatcher, tracker, "date_in_future")
            return {"initial_date": None}
        return self._not_an_answer("initial_date", dispatcher, tracker, example="example_initial_date")

    def validate_requested_by(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        who = nlp.parse_requester(str(value or ""))
        return {"requested_by": who} if who else self._not_an_answer("requested_by", dispatcher, tracker)

    def validate_network(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        network = nlp.parse_network(str(value or ""))
        if network == "unsure":
            say(dispatcher, tracker, "network_unsure")
            return {"network": "in_network"}
        return {"network": network} if network else self._not_an_answer("network", dispatcher, tracker)

    def validate_preferred_provider(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        message = str(value or "")
        if nlp.parse_none(message) or nlp.no_one_in_particular(message):
            return {"preferred_provider": NO_PREFERRED}
        name = nlp.provider_named(message)
        if name:
            return {"preferred_provider": clip(name, 200)}
        if nlp.parse_yes_no(message):
            say(dispatcher, tracker, "ask_preferred_name")
            return {"preferred_provider": None}
        return self._not_an_answer("preferred_provider", dispatcher, tracker, example="example_preferred_provider")

    def validate_urgency(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        message = str(value or "")
        urgency = nlp.parse_urgency(message)
        if urgency:
            return {"urgency": urgency}
        if nlp.sounds_unsure(message):
            say(dispatcher, tracker, "urgency_unsure")
            return {"urgency": "routine"}
        return self._not_an_answer("urgency", dispatcher, tracker)

    def validate_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        message = str(value or "")
        field, new_value = nlp.parse_correction(message)
        if tracker.get_slot("change_pending") or (field and new_value is not None):  # "actually it's urgent"
            return self._apply_change(field, new_value, dispatcher, tracker)
        answer = nlp.parse_yes_no(message)
        if answer is True and not nlp.says_correction(message):
            return {"confirmed": "yes", "change_pending": False}
        if field:  # "change the doctor"
            return self._apply_change(field, None, dispatcher, tracker)
        if answer is False or nlp.says_correction(message):
            return {"confirmed": None, "change_pending": True}
        return self._not_an_answer("confirmed", dispatcher, tracker)

    def _apply_change(
        self, field: str | None, new_value: str | None, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        if field is None:
            say(dispatcher, tracker, "unclear_answer")
            return {"confirmed": None, "change_pending": True}
        if new_value is not None:
            return {field: self._corrected(field, new_value, tracker), "confirmed": None, "change_pending": False}
        cleared = {slot: None for slot in CLEARS.get(field, (field,))}
        return {**cleared, "confirmed": None, "change_pending": False}
