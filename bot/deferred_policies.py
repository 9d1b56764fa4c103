"""TED and memoization run only when their answer could be chosen.

Rasa runs every policy for every prediction, then keeps the most confident one (ties go
to the higher priority). TED and memoization rank below the rules, the form and the
safety answer, and never predict with more than full confidence, so when a policy above
them has already decided (full confidence, or a prediction that must win over anything
based on the member's words), their answer cannot change what is done. TED alone was
still a quarter of Rasa's time on a turn, for nothing.

Here their nodes in the prediction graph also receive the predictions of the policies
above them, so they run after those, and answer "no opinion" without working when the
choice is already made, by the ensemble's own rules (`decided_above`). Everything else,
including when they do run, is as before. `bot.rasa_server` installs it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from rasa.core.policies.ensemble import PolicyPredictionEnsemble
from rasa.core.policies.memoization import MemoizationPolicy
from rasa.core.policies.policy import PolicyPrediction
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.engine.graph import ExecutionContext, GraphNodeHook, GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActionExecutionRejected
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import TEXT

DECIDED = "decided_by_"  # prefix of the inputs carrying the predictions of the policies above


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


class _Deferred:
    """A policy asked after the policies above it, with their predictions."""

    priority: int

    def could_use_text(self) -> bool:
        return False

    def predict_unless_decided(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **inputs: Any,
    ) -> PolicyPrediction:
        above = [v for k, v in inputs.items() if k.startswith(DECIDED)]
        if above and decided_above(self.priority, above, tracker, domain, self.could_use_text()):
            return self._prediction(self._default_predictions(domain))  # type: ignore[attr-defined]
        rest = {k: v for k, v in inputs.items() if not k.startswith(DECIDED)}
        prediction: PolicyPrediction = self.predict_action_probabilities(  # type: ignore[attr-defined]
            tracker, domain, rule_only_data, **rest
        )
        return prediction


class DeferredTEDPolicy(_Deferred, TEDPolicy):
    """Rasa's TED, loaded from the same trained model."""

    def could_use_text(self) -> bool:
        return bool(self.only_e2e or TEXT in self.fake_features)


class DeferredMemoizationPolicy(_Deferred, MemoizationPolicy):
    """Rasa's memoization (it never predicts from the member's text), from the same model."""


DEFERRED = {TEDPolicy: DeferredTEDPolicy, MemoizationPolicy: DeferredMemoizationPolicy}


def _priority(node: SchemaNode) -> Any:
    return {**node.uses.get_default_config(), **node.config}.get("priority")


def with_policies_deferred(schema: GraphSchema) -> GraphSchema:
    """The prediction graph with TED and memoization fed the predictions of the policies
    above them (higher priority: so no policy waits for one that waits for it)."""
    nodes = dict(schema.nodes)
    for ensemble in [n for n in nodes.values() if issubclass(n.uses, PolicyPredictionEnsemble)]:
        policies = [name for key, name in ensemble.needs.items() if key.startswith("policy")]
        for name in policies:
            node = nodes[name]
            deferred = DEFERRED.get(node.uses)
            if deferred is None or node.fn != "predict_action_probabilities" or _priority(node) is None:
                continue
            above = [p for p in policies if (_priority(nodes[p]) or 0) > _priority(node)]
            nodes[name] = dataclasses.replace(
                node,
                uses=deferred,
                fn="predict_unless_decided",
                needs={**node.needs, **{f"{DECIDED}{i}": p for i, p in enumerate(above)}},
            )
    return GraphSchema(nodes)


class DeferringGraphRunner(DaskGraphRunner):
    """Rasa's graph runner, on the prediction graph with TED and memoization deferred."""

    @classmethod
    def create(
        cls,
        graph_schema: GraphSchema,
        model_storage: ModelStorage,
        execution_context: ExecutionContext,
        hooks: list[GraphNodeHook] | None = None,
    ) -> DaskGraphRunner:
        return cls(with_policies_deferred(graph_schema), model_storage, execution_context, hooks)
