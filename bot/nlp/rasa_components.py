"""Rasa graph components backed by bot/: entities, the safety check, and the policy
that answers a crisis first.

PolicyEntityExtractor adds `plan`, `specialty` and `provider` entities. MessageGuard
runs last: a message the safety check (bot.safety) finds a crisis in becomes intent
`emergency`, carrying the crisis (`safety`: category and language) in its parse
data, whatever the classifier thought, so 911/988 never depends on a model's
confidence; keyboard mash
becomes `nlu_fallback`, since a classifier is confidently wrong on noise; and a
question the classifier was unsure of goes to the rights topic its keywords name.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData


from bot import safety
from bot.nlp.pipeline import RIDE_INTENTS, extract, looks_like_gibberish, ride_intent
from bot.nlp.topics import asks_for_a_second_opinion, rerouted_intent, tells_a_situation


SAFETY = "safety"   # the key of the crisis in a message's parse data
# Above this the classifier's "emergency" stands even where the safety check found nothing.
TRUST_CLASSIFIER_EMERGENCY = 0.9
ENTITY_NAMES = {"PLAN": "plan", "SPECIALTY": "specialty", "PROVIDER": "provider"}


class _Stateless(GraphComponent):
    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> GraphComponent:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class PolicyEntityExtractor(_Stateless, EntityExtractorMixin):
    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            found = [
                {"entity": ENTITY_NAMES[label], "value": value, "start": start, "end": end,
                 "confidence_entity": 1.0, "extractor": "PolicyEntityExtractor"}
                for label, value, start, end, _ in extract(text).spans
            ]
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class MessageGuard(_Stateless):
    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> GraphComponent:
        safety.warm_up()        # the classifier trains once, at start-up, not on a member's turn
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            crisis = safety.check(text)
            if crisis:
                _force_intent(message, "emergency")
                message.set(SAFETY, {"category": crisis.category, "lang": crisis.lang}, add_to_output=True)
            elif looks_like_gibberish(text) and not text.startswith("/"):
                _force_intent(message, "nlu_fallback")
            elif intent_of(message) == "emergency" and not text.startswith("/") and \
                    (message.get(INTENT) or {}).get("confidence", 0) < TRUST_CLASSIFIER_EMERGENCY:
                # The intent classifier's own guess ("myself" heard as an emergency) when the
                # safety check, the one that decides, found none: its next guess instead.
                following = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != "emergency"]
                _force_intent(message, following[0]["name"] if following else "nlu_fallback",
                              confidence=following[0].get("confidence", 0.0) if following else 0.0)
            elif intent_of(message) in RIDE_INTENTS + ("nlu_fallback",) and ride_intent(text) \
                    not in (None, "request_ride"):
                _force_intent(message, ride_intent(text), confidence=0.8)    # which ride operation: keywords
            elif rerouted_intent(intent_of(message), text):
                _force_intent(message, rerouted_intent(intent_of(message), text), confidence=0.7)
            elif asks_for_a_second_opinion(intent_of(message), text):
                _force_intent(message, "request_second_opinion", confidence=0.7)
            elif tells_a_situation(intent_of(message), text):
                # "my test results conflict and nobody can tell me what is wrong" is one of
                # the statute's five situations told as a statement, not a question.
                _force_intent(message, "request_second_opinion", confidence=0.8)
            elif intent_of(message) in RIDE_INTENTS + ("nlu_fallback",) and ride_intent(text):
                _force_intent(message, "request_ride", confidence=0.8)
        return messages


def intent_of(message: Message) -> str:
    return (message.get(INTENT) or {}).get("name")


def _force_intent(message: Message, name: str, confidence: float = 1.0) -> None:
    top = {"name": name, "confidence": confidence}
    ranking = [top] + [r for r in message.get(INTENT_RANKING_KEY, []) or [] if r.get("name") != name]
    message.set(INTENT, top, add_to_output=True)
    message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
