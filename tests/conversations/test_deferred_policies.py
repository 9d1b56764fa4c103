"""TED and memoization are asked only when their answer could be chosen
(bot/deferred_policies.py). On the trained model, at every step of every story and rule
(training data and conversation tests), the assistant must do the same action, chosen by
the same policy, as when every policy runs; and the cases the ensemble's rules turn on
are checked one by one."""

from pathlib import Path

import numpy as np
import pytest
from rasa.core.policies.policy import PolicyPrediction
from rasa.engine.loader import load_predict_graph_runner
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActionExecutionRejected, UserUttered
from rasa.shared.core.generator import TrainingDataGenerator
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.core.training_data.loading import load_data_from_resource
from rasa.shared.core.training_data.structures import StoryGraph

from bot.deferred_policies import DeferredMemoizationPolicy, DeferredTEDPolicy, DeferringGraphRunner, decided_above
from bot.train import ROOT

STORY_FILES = ["data/stories", "data/rules", "tests/conversations"]
DOMAIN = Domain.from_dict({"intents": ["greet"], "actions": ["action_a", "action_b"]})


def prediction(action, confidence, priority, **flags):
    probabilities = [0.0] * len(DOMAIN.action_names_or_texts)
    if action:
        probabilities[DOMAIN.index_for_action(action)] = confidence
    return PolicyPrediction(probabilities, f"policy{priority}", priority, **flags)


def tracker(*events):
    return DialogueStateTracker.from_events("t", [ActionExecuted("action_listen"), UserUttered("hi"), *events])


@pytest.mark.parametrize(
    ("others", "events", "decided"),
    [
        ([prediction("action_a", 1.0, 6)], [], True),  # a rule decided
        ([prediction("action_a", 1.0, 3)], [], True),  # memorised
        ([prediction("action_a", 0.9, 6)], [], False),  # not sure: TED may win
        ([prediction(None, 0.0, 6)], [], False),  # nobody predicts anything
        ([prediction("action_a", 0.0, 7, is_no_user_prediction=True)], [], True),  # only such predictions compete
        ([prediction("action_a", 1.0, 6)], [ActionExecutionRejected("action_a")], False),  # the rule's action refused
        ([prediction("action_a", 1.0, 1)], [], False),  # same priority as TED: the tie is not settled
    ],
)
def test_decided_above_follows_the_ensemble(others, events, decided):
    assert decided_above(1, others, tracker(*events), DOMAIN) is decided


def test_a_ted_that_could_answer_from_the_text_is_deferred_only_to_a_no_user_prediction():
    rule = prediction("action_a", 1.0, 6)
    assert decided_above(1, [rule], tracker(), DOMAIN, could_use_text=True) is False
    no_user = prediction("action_a", 1.0, 7, is_no_user_prediction=True)
    assert decided_above(1, [no_user], tracker(), DOMAIN, could_use_text=True) is True


def story_trackers(domain):
    files = sorted(f for folder in STORY_FILES for f in (ROOT / folder).glob("*.yml"))
    steps = [s for f in files for s in load_data_from_resource(str(f), domain)]
    return TrainingDataGenerator(
        StoryGraph(steps), domain, remove_duplicates=False, augmentation_factor=0, use_story_concatenation=False
    ).generate_story_trackers()


@pytest.fixture(scope="module")
def runners(trained_model, tmp_path_factory):
    made = []
    for runner_class in (DaskGraphRunner, DeferringGraphRunner):
        storage = Path(tmp_path_factory.mktemp(runner_class.__name__))
        made.append(load_predict_graph_runner(storage, Path(trained_model), LocalModelStorage, runner_class))
    return made


@pytest.mark.slow
def test_every_step_of_every_story_is_decided_as_with_every_policy(runners):
    (metadata, every_policy), (_, deferring) = runners
    target, domain = metadata.core_target, metadata.domain
    assert nodes_of(deferring, DeferredTEDPolicy) and nodes_of(deferring, DeferredMemoizationPolicy)
    deferred_nodes = nodes_of(deferring, DeferredTEDPolicy) + nodes_of(deferring, DeferredMemoizationPolicy)
    memo_waits_for = deferring._graph_schema.nodes[nodes_of(deferring, DeferredMemoizationPolicy)[0]].needs.values()
    assert not set(nodes_of(deferring, DeferredTEDPolicy)) & set(memo_waits_for)  # only policies above it
    steps = deferred = 0
    for story in story_trackers(domain):
        events = list(story.events)
        for i, event in enumerate(events):
            if not isinstance(event, ActionExecuted) or i == 0:
                continue
            before = DialogueStateTracker.from_events(story.sender_id, events[:i], domain.slots)
            expected = every_policy.run(inputs={"__tracker__": before}, targets=[target])[target]
            results = deferring.run(inputs={"__tracker__": before}, targets=[target, *deferred_nodes])
            got = results[target]
            assert (np.argmax(got.probabilities), got.policy_name) == (
                np.argmax(expected.probabilities),
                expected.policy_name,
            ), f"{story.sender_id}, before {event.action_name}"
            steps += 1
            deferred += all(max(results[n].probabilities) == 0 for n in deferred_nodes)
    assert steps > 100
    assert deferred > steps / 2  # the point: most steps are decided without them


def nodes_of(runner, policy):
    return [name for name, node in runner._graph_schema.nodes.items() if node.uses is policy]


@pytest.mark.slow
def test_ted_answers_as_before_when_nothing_above_it_decided(runners):
    (metadata, _), (_, deferring) = runners
    domain = metadata.domain
    ted = deferring._instantiated_nodes[nodes_of(deferring, DeferredTEDPolicy)[0]]._component
    story = story_trackers(domain)[0]
    unsure = PolicyPrediction([0.0] * len(domain.action_names_or_texts), "RulePolicy", 6)
    asked = ted.predict_unless_decided(story, domain, decided_by_0=unsure)
    assert max(asked.probabilities) > 0
    assert asked.probabilities == ted.predict_action_probabilities(story, domain).probabilities
