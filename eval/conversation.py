"""One simulated member talking with the assistant: an opening message, then an answer
to whichever question each reply asks, until a reference number comes back.

The member answers the question actually asked (recognised from the catalog), in a
phrasing drawn from eval/phrasings.yml, and says the same thing again in other words
when asked again. At its planned question it sends a crisis message instead, and at the
read-back the one correction it planned."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from eval.personas import Persona, values
from eval.phrasings import choose
from eval.questions import asked, last_said, reference_in, safety_first, says

MAX_TURNS = 30  # member messages before the member gives up
MAX_NUDGES = 3  # "i still need the second opinion" when no question was asked
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

    @property
    def turns(self) -> int:
        return sum(who == "member" for who, _ in self.lines)

    def run(self, send: Send) -> Conversation:
        reply, nudges = self.say(send, self.phrase(f"opener.{self.persona.opener}")), 0
        while self.turns < MAX_TURNS:
            self.reference = reference_in(reply)
            if self.reference:
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
        said = values(self.persona, self.rng, self.corrected, self.month_in_words)
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


def correction_said(p: Persona) -> str | None:
    """The kind of correction: the field, or the new value when it names one."""
    return {"urgency": p.urgency, "network": p.network}.get(p.correction, p.correction)
