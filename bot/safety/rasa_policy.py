"""The dialogue policy that puts the safety answer first, whatever the conversation was
doing. The pipeline's MessageGuard has already marked a crisis message as intent
`emergency`; this policy, with a higher priority than any other, predicts
`action_safety` for it, then listens. Inside a form the form answers the crisis
itself, first, and goes on at the same question (actions/forms.py), so nothing the
member answered is lost; while a person holds the conversation (`handoff_open`) the
assistant answers only a crisis and otherwise stays silent.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

EMERGENCY_INTENT = "emergency"
SAFETY_ACTION = "action_safety"
HANDOFF_OPEN_SLOT = "handoff_open"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=False)
class SafetyPolicy(Policy):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"priority": 8}      # above every other policy: it wins every tie

    def train(self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        return self._resource

    def predict_action_probabilities(self, tracker: DialogueStateTracker, domain: Domain,
                                     rule_only_data: Optional[Dict[Text, Any]] = None,
                                     **kwargs: Any) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        action = next_action(tracker)
        if action is None:
            return self._prediction(probabilities)
        probabilities[domain.index_for_action(action)] = 1.0
        # "No user prediction": it outranks the form's own happy path, as a rule would not.
        return self._prediction(probabilities, is_no_user_prediction=True)


def next_action(tracker: DialogueStateTracker) -> Optional[str]:
    latest = tracker.latest_action_name
    crisis_now = (latest == ACTION_LISTEN_NAME and tracker.latest_message is not None
                  and tracker.latest_message.intent.get("name") == EMERGENCY_INTENT)
    if tracker.get_slot(HANDOFF_OPEN_SLOT):     # a person holds it: a crisis, else silence
        return SAFETY_ACTION if crisis_now else ACTION_LISTEN_NAME
    if crisis_now and not tracker.active_loop_name:
        return SAFETY_ACTION
    if latest == SAFETY_ACTION and not tracker.active_loop_name:
        return ACTION_LISTEN_NAME
    return None
