"""Rasa graph components backed by bot/: entities, the safety check, and the policy
that answers a crisis first.

PolicyEntityExtractor adds `plan`, `specialty` and `provider` entities, and `language`
when a message says which language the member writes in (bot/nlp/language.py). MessageGuard
runs last: a message the safety check (bot.safety) finds a crisis in becomes intent
`emergency`, carrying the crisis (`safety`: category and language) in its parse
data, whatever the classifier thought, so 911/988 never depends on a model's
confidence; keyboard mash
becomes `nlu_fallback`, since a classifier is confidently wrong on noise; and a
question the classifier was unsure of goes to the rights topic its keywords name.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot import safety
from bot.nlp import language
from bot.nlp.pipeline import extract, looks_like_gibberish
from bot.nlp.topics import corrected_intent

SAFETY = "safety"  # the key of the crisis in a message's parse data
ENTITY_NAMES = {"PLAN": "plan", "SPECIALTY": "specialty", "PROVIDER": "provider"}


class _Stateless(GraphComponent):
    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class PolicyEntityExtractor(_Stateless, EntityExtractorMixin):
    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        language.warm_up()  # lingua loads its models at start-up, not on a member's turn
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            spans = extract(text).spans
            found = [
                {
                    "entity": ENTITY_NAMES[label],
                    "value": value,
                    "start": start,
                    "end": end,
                    "confidence_entity": 1.0,
                    "extractor": "PolicyEntityExtractor",
                }
                for label, value, start, end, _ in spans
            ]
            lang = language.detect(text, spans)  # names found once, for both
            if lang:
                found.append(
                    {
                        "entity": "language",
                        "value": lang,
                        "confidence_entity": 1.0,
                        "extractor": "PolicyEntityExtractor",
                    }
                )
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class MessageGuard(_Stateless):
    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        safety.warm_up()  # the classifier trains once, at start-up, not on a member's turn
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            crisis = safety.check(text)
            if crisis:
                _force_intent(message, "emergency")
                message.set(SAFETY, {"category": crisis.category, "lang": crisis.lang}, add_to_output=True)
            elif looks_like_gibberish(text) and not text.startswith("/"):
                _force_intent(message, "nlu_fallback")
            elif not text.startswith("/"):
                top = message.get(INTENT) or {}
                better = corrected_intent(
                    top.get("name"), top.get("confidence", 0.0), message.get(INTENT_RANKING_KEY) or [], text
                )
                if better:
                    _force_intent(message, *better)
        return messages


def _force_intent(message: Message, name: str, confidence: float = 1.0) -> None:
    top = {"name": name, "confidence": confidence}
    ranking = [top] + [r for r in message.get(INTENT_RANKING_KEY, []) or [] if r.get("name") != name]
    message.set(INTENT, top, add_to_output=True)
    message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
