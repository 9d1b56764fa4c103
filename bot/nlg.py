"""What the assistant says by itself (greeting, goodbye, "I'm a bot", ...): Rasa asks
this generator for each `utter_` action and it answers from the catalog of the member's
language (bot/messages), so no member-facing text lives in domain.yml.

Configured in endpoints.yml (`nlg: type: bot.nlg.CatalogNLG`); it runs inside the Rasa
server, no HTTP call.
"""

from __future__ import annotations

from typing import Any

from rasa.core.nlg.generator import NaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.messages import DEFAULT_LANG, catalog, text

LANGUAGE_SLOT = "language"


class CatalogNLG(NaturalLanguageGenerator):
    def __init__(self, endpoint_config: EndpointConfig | None = None, domain: Domain | None = None) -> None:
        self.domain = domain

    async def generate(
        self, utter_action: str, tracker: DialogueStateTracker, output_channel: str, **kwargs: Any
    ) -> dict[str, Any] | None:
        if utter_action not in catalog(DEFAULT_LANG):
            return None
        lang = tracker.get_slot(LANGUAGE_SLOT) or DEFAULT_LANG
        response: dict[str, Any] = {"text": text(utter_action, lang)}
        buttons = catalog(lang).get(f"{utter_action}_buttons") or catalog(DEFAULT_LANG).get(f"{utter_action}_buttons")
        if buttons:
            response["buttons"] = [{"title": title, "payload": payload} for payload, title in buttons.items()]
        return response
