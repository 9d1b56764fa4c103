"""One simulated member talking with the assistant: an opening message, then an answer
to whichever question each reply asks, until a reference number comes back.

The member answers the question actually asked (recognised from the catalog), in a
phrasing drawn from eval/phrasings.yml, and says the same thing again in other words
when asked again. At its planned question it sends a crisis message instead, and at the
read-back the one correction it planned.

Then (`follow_up`) the member answers whether they want a text when there is news (yes,
no, or another number, as the persona decides; again in other words if not understood),
and asks how their request stands in their own words, with or without the reference
(once more in other words if the status does not come back). What went wrong becomes the
conversation's `problem`; the consent stored on the request is checked by `consent_wrong`."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from eval.personas import Persona, phone_said, values
from eval.phrasings import choose
from eval.questions import (
    asked,
    clip,
    last_four_offered,
    last_said,
    notify_asked,
    notify_told,
    reference_in,
    safety_first,
    said_key,
    says,
    status_answered,
    status_miss,
)

MAX_TURNS = 30  # member messages before the member gives up
MAX_NUDGES = 3  # "i still need the second opinion" when no question was asked
NOTIFY_TRIES = 3  # answers to the notify question before the member moves on
VERIFY_TRIES = 4  # member ID and date of birth asked again before the status
Send = Callable[[str], list[str]]


@dataclass
class Conversation:
    persona: Persona
    rng: random.Random
    lines: list[tuple[str, str]] = field(default_factory=list)
    used: dict[str, set[str]] = field(default_factory=dict)
    corrected: bool = False
    month_in_words: bool = False  # asked to write the month of their birth date in words
    questions: int = 0
    crisis_first: bool | None = None  # None: no crisis message was sent
    false_alarms: list[str] = field(default_factory=list)  # messages with no crisis answered as one
    reference: str | None = None
    problem: str | None = None
    reference_at: int | None = None  # len(lines) when the reference came back
    after_reference: str = ""  # the reply that gave the reference
    # After the reference: the notify exchange and the status question.
    notify_question: str | None = None  # the first notify question asked (NOTIFY_QUESTIONS)
    last_four: str | None = None  # of the number on file, as ask_notify_answer offered it
    notify_said: str | None = None  # yes | no | number: what the member answered
    notify_phone_said: str | None = None  # E.164: the number the member gave, if any
    notify_unclear: int = 0  # answers the assistant did not understand ("reply YES, NO ...")
    notify_confirmed: str | None = None  # NOTIFY_TOLD: what the assistant said back
    status_asks: list[str] = field(default_factory=list)  # the member's status questions
    status_ok: bool | None = None  # the first status question got this request's status
    status_second_try: bool | None = None  # asked again in other words, the status came then
    reverified: bool = False  # asked for the member ID or birth date again before the status
    problems: list[str] = field(default_factory=list)

    @property
    def turns(self) -> int:
        return sum(who == "member" for who, _ in self.lines)

    @property
    def request_turns(self) -> int:
        """Member messages until the reference came back (all of them if it never did)."""
        lines = self.lines if self.reference_at is None else self.lines[: self.reference_at]
        return sum(who == "member" for who, _ in lines)

    def run(self, send: Send) -> Conversation:
        reply, nudges = self.say(send, self.phrase(f"opener.{self.persona.opener}")), 0
        while self.turns < MAX_TURNS:
            self.reference = reference_in(reply)
            if self.reference:
                self.reference_at, self.after_reference = len(self.lines), reply
                return self
            question = asked(reply)
            if question is None:
                if nudges == MAX_NUDGES:
                    self.problem = f"no question asked, stuck at {last_said(reply) or 'a text not in the catalog'}"
                    return self
                nudges += 1
                reply = self.say(send, self.phrase("nudge"))
                continue
            self.questions += 1
            if self.questions == self.persona.crisis_at:
                reply = self.say(send, self.phrase("crisis"), crisis=True)
            else:
                self.month_in_words = self.month_in_words or says(reply, "dob_month_in_words")
                reply = self.say(send, self.answer(question))
        self.problem = f"no reference after {MAX_TURNS} messages"
        return self

    def say(self, send: Send, message: str, crisis: bool = False) -> str:
        self.lines.append(("member", message))
        texts = send(message)
        self.lines += [("assistant", t) for t in texts]
        if crisis:
            self.crisis_first = safety_first(texts)
        elif safety_first(texts):
            self.false_alarms.append(message)
        return "\n".join(texts)

    def phrase(self, kind: str) -> str:
        said = values(self.persona, self.rng, self.corrected, self.month_in_words, self.reference)
        return choose(kind, said, self.rng, self.used.setdefault(kind, set()), self.persona.lang)

    def answer(self, question: str) -> str:
        kind = self.kind_of_answer(question)
        said = self.phrase(kind)
        self.corrected = self.corrected or kind == f"confirmed.{correction_said(self.persona)}"
        return said

    def kind_of_answer(self, question: str) -> str:
        """Which phrasings answer `question`, for what this member says now."""
        p = self.persona.said(self.corrected)
        if question == "ask_confirmed":
            planned = self.persona.correction and not self.corrected
            return f"confirmed.{correction_said(self.persona)}" if planned else "confirmed.yes"
        if question == "ask_which_change":
            return f"which_change.{self.persona.correction if self.corrected else 'nothing'}"
        if question == "ask_preferred_name" and not p.preferred:
            question = "ask_preferred_provider"
        slot = question[len("ask_") :]
        by_truth = {
            "reason_text": p.reason,
            "initial_date": "unknown" if p.when.kind == "unknown" else "known",
            "requested_by": p.requested_by,
            "network": p.network,
            "preferred_provider": "named" if p.preferred else "none",
            "urgency": p.urgency,
        }
        return f"{slot}.{by_truth[slot]}" if slot in by_truth else slot

    # -- after the reference ------------------------------------------------------------

    def follow_up(self, send: Send) -> Conversation:
        """Answer the notify question, then ask how the request stands. Needs the reference."""
        assert self.reference is not None
        reply = self.notify(send, self.after_reference)
        self.ask_status(send, reply)
        return self

    def notify(self, send: Send, reply: str) -> str:
        """Answer "a text when there is news?" as the persona decided; say it again in
        other words while the assistant asks again. Returns the last reply."""
        question = notify_asked(reply)
        if question is None:
            self.fail(f"not asked whether to text when there is news (the reply ended on {self.said(reply)})")
            return reply
        self.notify_question, self.last_four = question, last_four_offered(reply)
        for _ in range(NOTIFY_TRIES):
            self.notify_unclear += question == "notify_unclear"
            reply = self.say(send, self.notify_answer(question))
            self.notify_confirmed = notify_told(reply) or self.notify_confirmed
            self.last_four = self.last_four or last_four_offered(reply)
            question = notify_asked(reply)
            if self.notify_confirmed or question is None:
                break
        if not self.notify_confirmed:
            still = f"asked again ({question})" if question else f"said {self.said(reply)}"
            self.fail(f"the answer to the notify question ({self.notify_said}) was not taken: the assistant {still}")
        if self.notify_unclear:
            self.fail(f"the notify answer was not understood {self.notify_unclear} time(s) (notify_unclear)")
        return reply

    def notify_answer(self, question: str) -> str:
        p = self.persona
        if question == "ask_notify_phone":  # a yes with no number on file: which number?
            if p.notify == "no":
                self.notify_said = "no"
                return self.phrase("notify.no")
            self.notify_said = self.notify_said or "yes"
            self.notify_phone_said = p.other_phone
            return phone_said(p)
        self.notify_said = p.notify
        if p.notify == "number":
            self.notify_phone_said = p.other_phone
        return self.phrase(f"notify.{p.notify}")

    def ask_status(self, send: Send, reply: str) -> None:
        """How does my request stand? In their own words, with or without the reference;
        once more in other words when the status does not come back."""
        assert self.reference is not None
        kind = "status.with_reference" if self.persona.status_with_reference else "status.without_reference"
        misses = []
        for _ in range(2):
            message = self.phrase(kind)
            self.status_asks.append(message)
            reply = self.verify_again(send, self.say(send, message))
            if status_answered(reply, self.reference, self.persona.lang):
                break
            misses.append(status_miss(reply, self.reference, self.persona.lang))
        self.status_ok = not misses
        if misses:
            self.status_second_try = len(misses) == 1
            then = "then it came" if self.status_second_try else f"not then either ({misses[1]})"
            self.fail(
                f"the status was not given for {self.status_asks[0]!r}: {misses[0]}; "
                f"asked again as {self.status_asks[1]!r}, {then}"
            )

    def verify_again(self, send: Send, reply: str) -> str:
        """Already verified in this conversation; if asked for the member ID or birth date
        anyway, answer (and note it)."""
        for _ in range(VERIFY_TRIES):
            question = asked(reply)
            if question not in ("ask_member_id", "ask_dob"):
                return reply
            if not self.reverified:
                self.reverified = True
                self.fail("asked for the member ID or date of birth again, though verified in this conversation")
            reply = self.say(send, self.phrase(question[len("ask_") :]))
        return reply

    def fail(self, problem: str) -> None:
        self.problems.append(problem)
        self.problem = "; ".join(self.problems)

    @staticmethod
    def said(reply: str) -> str:
        return said_key(reply) or clip(reply)

    def consent_wrong(self, stored: dict) -> str | None:
        """Whether the consent stored on the request is what the member said: None when it is,
        else why not. `stored`: notify_by_text, notify_phone, notify_answered_at."""
        said = {"number": "another number"}.get(self.notify_said or "", self.notify_said)
        if said is None:
            return f"the member was never asked, stored {describe(stored)}"
        if said == "no":
            right = stored["notify_by_text"] is False and not stored["notify_phone"]
            expected = "no texts"
        else:
            phone = self.notify_phone_said or self.number_on_file()
            right = stored["notify_by_text"] is True and stored["notify_phone"] == phone
            expected = f"texts to {phone}" + (" (the number on file)" if not self.notify_phone_said else "")
        if right and stored["notify_answered_at"] is None:
            return f"said {said}, stored {describe(stored)} but no time it was answered"
        return None if right else f"said {said} (expected {expected}), stored {describe(stored)}"

    def number_on_file(self) -> str | None:
        """The number a plain yes goes to: for a texting member offered a text "here", the
        one they text from (the gateway fills it in); otherwise the roster's."""
        p = self.persona
        if self.notify_question == "ask_notify_answer_sms":
            return p.sms_phone
        return p.phone_on_file


def describe(stored: dict) -> str:
    if stored["notify_by_text"] is None:
        return "no answer"
    return f"texts to {stored['notify_phone']}" if stored["notify_by_text"] else "no texts"


def correction_said(p: Persona) -> str | None:
    """The kind of correction: the field, or the new value when it names one."""
    return {"urgency": p.urgency, "network": p.network}.get(p.correction, p.correction)
