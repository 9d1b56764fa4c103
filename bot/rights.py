"""A rights answer as the member reads it, built in this one place: what the plan's own
policy says on a topic, with the policy and section named, or, where that policy is
silent, what applies and which policy says nothing. Facts from policies_kb/ (through
bot.policy), words from bot/messages."""

from __future__ import annotations

from bot.messages import text
from bot.policy import DEFAULT_LANG, kb


def rights_answer(plan: str, topic: str, lang: str = DEFAULT_LANG) -> str:
    answer = kb().answer(plan, topic, lang)
    if answer.silent or answer.citation is None:  # a citation whenever not silent
        return text("rights_answer_silent", lang, answer=answer.text, citation=answer.policy_label)
    return text(
        "rights_answer", lang, answer=answer.text, citation=answer.citation.label, section=answer.citation.section
    )
