"""The dialogue policy that puts the safety answer first, whatever the conversation was
doing. The pipeline's MessageGuard has already marked a crisis message as intent
`emergency`; this policy, with a higher priority than any other, predicts
`action_safety` for it, then listens. Inside a form the form answers the crisis
itself, first, and goes on at the same question (actions/forms.py), so nothing the
member answered is lost; while a person holds the conversation (`handoff_open`) the
assistant answers only a crisis and otherwise stays silent.
"""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.trackers import DialogueStateTracker

from bot.deciding_policy import DecidingPolicy

EMERGENCY_INTENT = "emergency"
SAFETY_ACTION = "action_safety"
HANDOFF_OPEN_SLOT = "handoff_open"
LISTEN: str = ACTION_LISTEN_NAME  # Rasa's "action_listen" (rasa is untyped)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=False)
class SafetyPolicy(DecidingPolicy):
    PRIORITY = 8  # above every other policy: it wins every tie

    @staticmethod
    def next_action(tracker: DialogueStateTracker) -> str | None:
        return next_action(tracker)


def next_action(tracker: DialogueStateTracker) -> str | None:
    latest = tracker.latest_action_name
    crisis_now = (
        latest == ACTION_LISTEN_NAME
        and tracker.latest_message is not None
        and tracker.latest_message.intent.get("name") == EMERGENCY_INTENT
    )
    if tracker.get_slot(HANDOFF_OPEN_SLOT):  # a person holds it: a crisis, else silence
        return SAFETY_ACTION if crisis_now else LISTEN
    if crisis_now and not tracker.active_loop_name:
        return SAFETY_ACTION
    if latest == SAFETY_ACTION and not tracker.active_loop_name:
        return LISTEN
    return None
