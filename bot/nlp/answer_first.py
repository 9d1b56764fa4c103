"""Inside a form the question decides how an answer is read.

The intent classifier hears "no it's not an emergency" as "never mind" and "it's
urgent, they want to start chemo next week" as "start over". This policy, ranked above
the rules and below the safety answer, looks at the question being asked first:

- a message that reads as an answer to it goes to the form, whatever its intent;
- "stop" or "start over" that is not an answer asks once before anything is thrown
  away (`action_ask_interruption`); "yes" then stops or starts over, "no" goes on at the
  same question (`action_keep_going`), anything else is read as the answer.
"""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.constants import REQUESTED_SLOT
from rasa.shared.core.trackers import DialogueStateTracker

from bot.deciding_policy import DecidingPolicy
from bot.nlp.answers import PENDING_SLOT, next_in_form


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=False)
class AnswerFirstPolicy(DecidingPolicy):
    PRIORITY = 7  # above RulePolicy (6), below SafetyPolicy (8)

    @staticmethod
    def next_action(tracker: DialogueStateTracker) -> str | None:
        return next_action(tracker)


def next_action(tracker: DialogueStateTracker) -> str | None:
    message = tracker.latest_message
    return next_in_form(
        latest_action=tracker.latest_action_name,
        form=tracker.active_loop_name,
        asked=tracker.get_slot(REQUESTED_SLOT),
        pending=tracker.get_slot(PENDING_SLOT),
        intent=((message.intent or {}).get("name") if message else None),
        text=(message.text or "") if message else "",
    )
