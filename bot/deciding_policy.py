"""A dialogue policy that decides in code, from the tracker, with no training: the safety
answer (bot/safety/rasa_policy.py) and "the question asked decides"
(bot/nlp/answer_first.py) are two."""

from __future__ import annotations

from typing import Any

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker


class DecidingPolicy(Policy):
    PRIORITY = 7

    @classmethod
    def get_default_config(cls) -> dict[str, Any]:
        return {"priority": cls.PRIORITY}

    def train(self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        return self._resource

    @staticmethod
    def next_action(tracker: DialogueStateTracker) -> str | None:
        raise NotImplementedError

    def predict_action_probabilities(
        self, tracker: DialogueStateTracker, domain: Domain, rule_only_data: dict[str, Any] | None = None, **kwargs: Any
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        action = self.next_action(tracker)
        if action is None:
            return self._prediction(probabilities)
        probabilities[domain.index_for_action(action)] = 1.0
        # "No user prediction": it outranks the form's own happy path, as a rule would not.
        return self._prediction(probabilities, is_no_user_prediction=True)
