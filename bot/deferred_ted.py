"""TED runs only when its answer could be chosen.

Rasa runs every policy for every prediction, then keeps the most confident one (ties go
to the higher priority). TED has the lowest priority and never more than full
confidence, so when a policy above it has already decided (a rule, the form, the safety
answer: full confidence, or a prediction that must win over anything based on the
member's words), TED's answer cannot change what is done. It was still a quarter of
Rasa's time on a turn, for nothing.

Here TED's node in the prediction graph also receives the other policies' predictions,
so it runs after them, and it answers "no opinion" without running its model when the
choice is already made, by the ensemble's own rules (`decided_above`). Everything
else, including when TED does run, is as before. `bot.rasa_server` installs it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from rasa.core.policies.ensemble import PolicyPredictionEnsemble
from rasa.core.policies.policy import PolicyPrediction
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.engine.graph import ExecutionContext, GraphNodeHook, GraphSchema
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActionExecutionRejected
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import TEXT

DECIDED = "decided_by_"  # prefix of the inputs carrying the other policies' predictions


def rejected_action(tracker: DialogueStateTracker) -> str | None:
    """The action whose run was just rejected (the ensemble zeroes it in every prediction)."""
    last = next((e for e in reversed(tracker.events) if isinstance(e, (ActionExecutionRejected, ActionExecuted))), None)
    return last.action_name if isinstance(last, ActionExecutionRejected) else None


def decided_above(
    priority: int,
    others: list[PolicyPrediction],
    tracker: DialogueStateTracker,
    domain: Domain,
    could_use_text: bool = False,
) -> bool:
    """Whether the ensemble's choice among `others` stands whatever a policy of this
    `priority` predicts (with a confidence of at most 1). A prediction from the member's
    text outranks any from their intent, so for a policy that could make one only a
    "no user" prediction (which outranks both) decides."""
    if any(p.is_no_user_prediction for p in others):
        return True  # only such predictions compete
    if could_use_text:
        return False
    rejected = rejected_action(tracker)
    skip = domain.index_for_action(rejected) if rejected else None
    return any(
        p.policy_priority > priority
        and max((c for i, c in enumerate(p.probabilities) if i != skip), default=0.0) >= 1.0
        for p in others
    )


class DeferredTEDPolicy(TEDPolicy):
    """Rasa's TED, loaded from the same trained model, asked after the other policies."""

    def predict_unless_decided(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **inputs: Any,
    ) -> PolicyPrediction:
        others = [v for k, v in inputs.items() if k.startswith(DECIDED)]
        could_use_text = self.only_e2e or TEXT in self.fake_features
        if others and decided_above(self.priority, others, tracker, domain, could_use_text):
            return self._prediction(self._default_predictions(domain))
        rest = {k: v for k, v in inputs.items() if not k.startswith(DECIDED)}
        return self.predict_action_probabilities(tracker, domain, rule_only_data, **rest)


def with_ted_deferred(schema: GraphSchema) -> GraphSchema:
    """The prediction graph with each TED node fed the other policies' predictions."""
    nodes = dict(schema.nodes)
    for ensemble in [n for n in nodes.values() if issubclass(n.uses, PolicyPredictionEnsemble)]:
        policies = [name for key, name in ensemble.needs.items() if key.startswith("policy")]
        for name in policies:
            node = nodes[name]
            if node.uses is not TEDPolicy or node.fn != "predict_action_probabilities":
                continue
            others = {f"{DECIDED}{i}": other for i, other in enumerate(policies) if other != name}
            nodes[name] = dataclasses.replace(
                node, uses=DeferredTEDPolicy, fn="predict_unless_decided", needs={**node.needs, **others}
            )
    return GraphSchema(nodes)


class DeferringGraphRunner(DaskGraphRunner):
    """Rasa's graph runner, on the prediction graph with TED deferred."""

    @classmethod
    def create(
        cls,
        graph_schema: GraphSchema,
        model_storage: ModelStorage,
        execution_context: ExecutionContext,
        hooks: list[GraphNodeHook] | None = None,
    ) -> DaskGraphRunner:
        return cls(with_ted_deferred(graph_schema), model_storage, execution_context, hooks)
