"""Held-out evaluation of rights questions, end to end.

Starts the real assistant (tests/harness.py: trained model, Rasa's REST channel and the
action server, on a temporary SQLite database), sends each question of
eval/rights_questions.yml in a fresh conversation, answers "which plan?" when asked
(the labelled plan, or a seeded random one), and decides which topic the ANSWER is about.

How an answer is read (nothing English is written here; every text comes from the
product's own sources):
- a rights topic: the reply holds the message `actions.common.answer_rights` says for
  (plan, topic), rendered from bot.policy (policies_kb/) and the catalog
  (bot/messages/en.yml) for every plan. Which plan's message it is tells which policy the
  answer named.
- the overview: the reply holds the catalog's `rights_menu` (the list of what one can ask)
  with a rights answer.
- otherwise the catalog says what it was: `handoff_*` -> handoff, `not_understood` /
  `unclear_answer` -> not understood, `safety_*` -> safety, anything else -> other.

    .venv/bin/python -m eval.rights               # end to end; exits 1 below 95 % topic accuracy
    .venv/bin/python -m eval.rights --no-fail     # explore
    .venv/bin/python -m eval.rights --nlu-only    # only Rasa's /model/parse (fast, for iterating)
    .venv/bin/python -m eval.rights --seed 7      # the plans given when asked, reproducibly

In --nlu-only mode the intent is graded by what the assistant would answer for it: the
answer `actions.rights.ActionAnswerRights` gives for that intent is rendered and read as
above (so two intents the assistant answers identically count the same).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = Path(__file__).with_name("rights_questions.yml")
# Written by someone who saw neither data/ nor the keyword lists nor the set above; 88 of
# its questions are in Spanish (`lang: es`). Run with --questions eval/rights_questions_blind.yml.
BLIND_QUESTIONS = Path(__file__).with_name("rights_questions_blind.yml")
NLU_DATA = ROOT / "data" / "nlu"

OVERVIEW = "ask_rights_overview"
RIGHTS_INTENTS = (
    OVERVIEW,
    "ask_situations",
    "ask_who_can_request",
    "ask_authorization",
    "ask_cost",
    "ask_timeline",
    "ask_who_gives",
    "ask_report",
    "ask_disagree",
    "ask_refused",
    "ask_transportation",
)
HANDOFF, NOT_UNDERSTOOD, SAFETY, OTHER = "handoff", "not understood", "safety", "other"
OUTCOMES = RIGHTS_INTENTS + (HANDOFF, NOT_UNDERSTOOD, SAFETY, OTHER)
NETWORKS = ("in_network", "out_of_network")
LANGS = ("en", "es")
TARGET = 0.95
SHORT = {
    OVERVIEW: "overv",
    "ask_situations": "situa",
    "ask_who_can_request": "whoreq",
    "ask_authorization": "auth",
    "ask_cost": "cost",
    "ask_timeline": "time",
    "ask_who_gives": "whogiv",
    "ask_report": "report",
    "ask_disagree": "disagr",
    "ask_refused": "refus",
    "ask_transportation": "ride",
    HANDOFF: "handof",
    NOT_UNDERSTOOD: "n/u",
    SAFETY: "safety",
    OTHER: "other",
}


# -- the questions ------------------------------------------------------------------------
@dataclass(frozen=True)
class Question:
    index: int
    text: str
    topic: str
    plan: str | None = None
    network: str | None = None
    lang: str = "en"


def load_questions(path: Path = QUESTIONS) -> list[Question]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Question(i, str(q["q"]), q["topic"], q.get("plan"), q.get("network"), q.get("lang", "en"))
        for i, q in enumerate(doc["questions"])
    ]


def normalise(text: str) -> str:
    """Lower case, punctuation removed, spaces collapsed (for the held-out check)."""
    return " ".join(re.sub(r"[^\w\s]|_", " ", text.lower()).split())


def training_examples(nlu_dir: Path = NLU_DATA) -> list[tuple[str, str]]:
    """(intent, example) of every NLU training example in data/nlu/*.yml."""
    out = []
    for path in sorted(nlu_dir.glob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in doc.get("nlu") or []:
            for line in str(block.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    example = re.sub(r"\[([^\]]*)\](\{[^}]*\}|\([^)]*\))", r"\1", line[2:])  # entity markup
                    out.append((block.get("intent") or block.get("synonym") or block.get("lookup") or "", example))
    return out


def plan_names() -> set:
    """Every plan's name, short name and aliases (policies_kb/), normalised."""
    from bot.policy import kb

    return {normalise(n) for p in kb().plans.values() for n in (p.name, p.short_name, *p.aliases)}


def leaks(
    questions: Iterable[Question], examples: Iterable[tuple[str, str]], min_words: int = 3
) -> list[tuple[str, str, str]]:
    """(question, intent, example) where the normalised question equals or is contained in a
    training example, or a training example is contained in the question. Containment is
    on whole words, and a contained text must have at least `min_words` words; a training
    example that is only a plan's name ("kern family health care") does not count as
    contained: naming the plan is what a third of the questions must do."""
    names = plan_names()
    norm_examples = [(intent, ex, normalise(ex)) for intent, ex in examples]
    found = []
    for q in questions:
        nq = normalise(q.text)
        for intent, ex, ne in norm_examples:
            if not ne:
                continue
            if (
                nq == ne
                or (_contains(ne, nq) and len(nq.split()) >= min_words)
                or (_contains(nq, ne) and len(ne.split()) >= min_words and ne not in names)
            ):
                found.append((q.text, intent, ex))
    return found


def _contains(outer: str, inner: str) -> bool:
    return f" {inner} " in f" {outer} "


# -- what the assistant can say, from the product's own sources ----------------------------
def _squash(text: str) -> str:
    return " ".join(text.split())


@lru_cache(maxsize=1)
@cache
def answer_signatures(lang: str = "en") -> dict[tuple[str, str], str]:
    """(plan, rights intent) -> the message actions.common.answer_rights says, for every
    plan and topic (bot.policy + the catalog), in one language."""
    from rasa_sdk.executor import CollectingDispatcher

    from actions.common import QUESTION_INTENTS, answer_rights
    from bot.policy import kb

    out = {}
    for plan in kb().plans:
        for intent, topic in QUESTION_INTENTS.items():
            dispatcher = CollectingDispatcher()
            answer_rights(dispatcher, _tracker(intent, plan, lang=lang), plan, topic)
            (message,) = [m["text"] for m in dispatcher.messages]
            out[(plan, intent)] = _squash(message)
    return out


def _tracker(intent: str | None, plan: str | None, text: str = "", lang: str = "en"):
    from rasa_sdk import Tracker

    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0} if intent else {}, "entities": []}
    return Tracker(
        "eval-rights",
        {"plan": plan, "language": lang},
        latest,
        [{"event": "user", "text": text}],
        False,
        None,
        {},
        "action_listen",
    )


@lru_cache(maxsize=1)
def catalog_patterns() -> list[tuple[str, re.Pattern]]:
    """(key, regex) for every text of both catalogs, its {names} as wildcards."""
    from bot.messages import catalog

    out = []
    for key, template in [item for lang in LANGS for item in catalog(lang).items()]:
        if not isinstance(template, str):
            continue
        parts = re.split(r"\{[a-z_]+\}", _squash(template))
        if not re.search(r"[A-Za-z]", "".join(parts)):
            continue  # only {names}, like "{pcs_text}": would match anything
        out.append((key, re.compile(r"\s*" + r"(.+?)".join(re.escape(p) for p in parts) + r"\s*", re.S)))
    return out


def catalog_keys(message: str) -> list[str]:
    message = _squash(message)
    return [key for key, pattern in catalog_patterns() if pattern.fullmatch(message)]


def plan_question_asked(messages: Sequence[str]) -> bool:
    return any("ask_plan_for_question" in catalog_keys(m) for m in messages)


@dataclass
class Reading:
    """What a reply was about."""

    topics: list[str]  # rights intents whose answer is in the reply
    plans: list[str]  # the plans whose policy those answers named
    overview: bool  # the list of what one can ask (rights_menu)
    outcome_if_not_rights: str  # handoff / not understood / safety / other
    keys: list[str] = field(default_factory=list)


def read_reply(messages: Sequence[str]) -> Reading:
    joined = _squash(" ".join(messages))
    topics, plans = [], []
    for (plan, intent), signature in [item for lang in LANGS for item in answer_signatures(lang).items()]:
        if signature in joined:
            topics.append(intent)
            plans.append(plan)
    keys = [k for m in messages for k in catalog_keys(m)]
    if any(k.startswith("safety_") for k in keys):
        other = SAFETY
    elif any(k.startswith("handoff_") for k in keys):
        other = HANDOFF
    elif any(k in ("not_understood", "unclear_answer") for k in keys):
        other = NOT_UNDERSTOOD
    else:
        other = OTHER
    return Reading(topics, plans, "rights_menu" in keys, other, keys)


def answered_as(reading: Reading, expected: str) -> str:
    """The topic the reply answered, as graded against `expected`."""
    if expected == OVERVIEW and reading.overview and reading.topics:
        return OVERVIEW
    if expected in reading.topics:
        return expected
    if reading.topics:
        return reading.topics[0]
    if reading.overview:
        return OVERVIEW
    return reading.outcome_if_not_rights


# -- running --------------------------------------------------------------------------------
@dataclass
class Result:
    question: Question
    answered: str
    plan_given: str | None  # the plan we answered "which plan?" with
    asked_plan: bool
    plans_named: list[str]  # the plans whose policy the answer named
    reply: str

    @property
    def topic_right(self) -> bool:
        return self.answered == self.question.topic

    @property
    def plan_right(self) -> bool | None:
        """For a question naming a plan: the answer named that plan's policy, without
        asking which plan."""
        if not self.question.plan:
            return None
        return (
            not self.asked_plan
            and self.plans_named == [self.question.plan] * len(self.plans_named)
            and bool(self.plans_named)
        )


def plans_to_give(questions: Sequence[Question], seed: int) -> dict[int, str]:
    """The plan to answer "which plan?" with: the labelled plan, else a seeded random one."""
    from bot.nlp.pipeline import plan_choices

    rng = random.Random(seed)
    drawn = {q.index: rng.choice(plan_choices()) for q in questions}  # one draw each, labelled or not
    return {q.index: q.plan or drawn[q.index] for q in questions}


def plan_reply(plan: str) -> str:
    from bot.policy import kb

    return kb().plan(plan).name


def ask(assistant, question: Question, plan: str, run_id: str) -> Result:
    sender = f"eval-rights-{run_id}-{question.index}"
    first = assistant.send(sender, question.text)
    asked = plan_question_asked(first)
    reply = assistant.send(sender, plan_reply(plan)) if asked else first
    reading = read_reply(reply)
    answered = answered_as(reading, question.topic)
    named = [p for p, t in zip(reading.plans, reading.topics, strict=True) if t == answered] or reading.plans
    return Result(question, answered, plan if asked else None, asked, named, _squash(" ".join(reply)))


def parse(assistant, text: str) -> dict:
    import httpx

    r = httpx.post(f"{assistant.url}/model/parse", params={"token": assistant.token}, json={"text": text}, timeout=60)
    r.raise_for_status()
    return r.json()


@cache
def _simulated_reply(intent: str, plan: str) -> tuple[str, ...]:
    """What actions.rights.ActionAnswerRights says for `intent` when the plan is known."""
    from rasa_sdk.executor import CollectingDispatcher

    from actions.rights import ActionAnswerRights

    dispatcher = CollectingDispatcher()
    asyncio.run(ActionAnswerRights().run(dispatcher, _tracker(intent, plan), {}))
    return tuple(m.get("text") or "" for m in dispatcher.messages)


NLU_OUTCOMES = {
    "human_handoff": HANDOFF,
    "ask_clinical": HANDOFF,
    "provider_conduct": HANDOFF,
    "nlu_fallback": NOT_UNDERSTOOD,
    "emergency": SAFETY,
}


def ask_nlu(assistant, question: Question, plan: str, run_id: str) -> Result:
    parsed = parse(assistant, question.text)
    intent = (parsed.get("intent") or {}).get("name") or ""
    named = sorted({e.get("value") for e in parsed.get("entities", []) if e.get("entity") == "plan"})
    if intent in RIGHTS_INTENTS:
        answered = answered_as(read_reply(_simulated_reply(intent, question.plan or plan)), question.topic)
    else:
        answered = NLU_OUTCOMES.get(intent, OTHER)
    asked = intent in RIGHTS_INTENTS and len(named) != 1
    return Result(question, answered, None, asked, named, f"(intent {intent or 'none'})")


def start_assistant(workdir: Path, attempts: int = 4, wait: float = 60):
    """The running assistant on a fresh SQLite database. A start that fails (the lead may be
    retraining the model) is retried after a minute."""
    from bot.members import seed_demo_roster
    from bot.store import migrate
    from tests import harness

    url = f"sqlite:///{workdir / 'eval.db'}"
    migrate(url)
    seed_demo_roster(url)
    for attempt in range(1, attempts + 1):
        try:
            return harness.start(workdir, url)
        except Exception as e:  # noqa: BLE001 (a model being rewritten, a training run failing)
            if attempt == attempts:
                raise
            print(f"start failed ({type(e).__name__}: {str(e)[:200]}); retrying in {wait:.0f} s", file=sys.stderr)
            time.sleep(wait)


def run(assistant, questions: Sequence[Question], seed: int, nlu_only: bool = False, workers: int = 3) -> list[Result]:
    for lang in LANGS:
        answer_signatures(lang)  # render once, before the threads
    catalog_patterns()
    given = plans_to_give(questions, seed)
    run_id = uuid.uuid4().hex[:8]
    one = ask_nlu if nlu_only else ask
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda q: one(assistant, q, given[q.index], run_id), questions))


# -- the report ---------------------------------------------------------------------------
def accuracy(results: Sequence[Result]) -> float:
    return sum(r.topic_right for r in results) / len(results) if results else 0.0


def report(results: Sequence[Result], seed: int, mode: str, source: Path = QUESTIONS) -> str:
    lines = []
    n = len(results)
    right = sum(r.topic_right for r in results)
    with_plan = [r for r in results if r.question.plan]
    with_network = [r for r in results if r.question.network]
    lines.append(f"Rights questions, held out ({source.relative_to(ROOT)}), {mode}")
    lines.append(f"questions: {n} ({len(with_plan)} name a plan, {len(with_network)} an in/out-of-network case)")
    lines.append(f"topic accuracy: {right}/{n} = {100 * right / max(n, 1):.1f}% (target {100 * TARGET:.0f}%)")
    for lang in sorted({r.question.lang for r in results}):
        rs = [r for r in results if r.question.lang == lang]
        ok = sum(r.topic_right for r in rs)
        lines.append(f"  language {lang}: {ok}/{len(rs)} = {100 * ok / len(rs):.1f}%")
    by_topic = defaultdict(list)
    for r in results:
        by_topic[r.question.topic].append(r)
    for topic in RIGHTS_INTENTS:
        rs = by_topic.get(topic, [])
        ok = sum(r.topic_right for r in rs)
        lines.append(f"  {topic:<22} {ok:>3}/{len(rs):<3} {100 * ok / max(len(rs), 1):5.1f}%")
    for network in NETWORKS:
        rs = [r for r in with_network if r.question.network == network]
        if rs:
            ok = sum(r.topic_right for r in rs)
            lines.append(f"  naming {network:<15} {ok:>3}/{len(rs):<3} {100 * ok / len(rs):5.1f}%")
    plan_ok = sum(bool(r.plan_right) for r in with_plan)
    asked_again = sum(r.asked_plan for r in with_plan)
    right_topic = [r for r in with_plan if r.topic_right]
    lines.append(
        f"plan right: {plan_ok}/{len(with_plan)} (the answer named the named plan's policy without asking "
        f"which plan; {sum(bool(r.plan_right) for r in right_topic)}/{len(right_topic)} among right topics; "
        f"asked which plan although named: {asked_again})"
    )
    lines.append("")
    lines.append("confusion (rows: expected; columns: answered)")
    cols = [o for o in OUTCOMES if o in RIGHTS_INTENTS or any(r.answered == o for r in results)]
    table = Counter((r.question.topic, r.answered) for r in results)
    lines.append(" " * 8 + "".join(f"{SHORT[c]:>7}" for c in cols))
    for topic in RIGHTS_INTENTS:
        cells = "".join(f"{(table[(topic, c)] or '.'):>7}" for c in cols)
        lines.append(f"{SHORT[topic]:<8}{cells}")
    lines.append("")
    misses = [r for r in results if not r.topic_right]
    lines.append(f"misses ({len(misses)}):")
    for r in misses:
        plan = f" [{r.question.plan}]" if r.question.plan else ""
        asked = f"(asked the plan, said {r.plan_given}) " if r.asked_plan and r.plan_given else ""
        lines.append(f"  {r.question.topic}{plan}: {r.question.text!r} -> {r.answered} | {asked}{r.reply[:100]}")
    plan_misses = [r for r in with_plan if not r.plan_right and r.topic_right]
    if plan_misses:
        lines.append(f"plan misses among right topics ({len(plan_misses)}):")
        for r in plan_misses:
            why = "asked which plan" if r.asked_plan else f"named {','.join(r.plans_named) or 'no plan'}"
            lines.append(f"  {r.question.plan}: {r.question.text!r} -> {why} | {r.reply[:100]}")
    lines.append(f"seed: {seed}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.rights", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=None, help="seed for the plans given when asked (default: random)")
    parser.add_argument("--no-fail", action="store_true", help="exit 0 whatever the accuracy")
    parser.add_argument("--nlu-only", action="store_true", help="only ask Rasa's /model/parse for the intent")
    parser.add_argument("--topic", action="append", help="only these expected topics (repeatable)")
    parser.add_argument("--workers", type=int, default=3, help="questions in flight at once (default 3)")
    parser.add_argument("--questions", type=Path, default=QUESTIONS, help="the held-out set (default: %(default)s)")
    parser.add_argument("--lang", help="only questions in this language (en, es)")
    args = parser.parse_args(argv)
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 10**6)
    questions = load_questions(args.questions.resolve())
    if args.lang:
        questions = [q for q in questions if q.lang == args.lang]
    if args.topic:
        questions = [q for q in questions if q.topic in args.topic]
    with tempfile.TemporaryDirectory(prefix="eval-rights-") as tmp:
        assistant = start_assistant(Path(tmp))
        try:
            results = run(assistant, questions, seed, nlu_only=args.nlu_only, workers=args.workers)
        finally:
            assistant.stop()
    mode = "intent only (/model/parse)" if args.nlu_only else "end to end over the REST channel"
    print(report(results, seed, mode, args.questions.resolve()))
    by_language = [[r for r in results if r.question.lang == lang] for lang in LANGS]
    if any(rs and accuracy(rs) < TARGET for rs in by_language) and not args.no_fail:
        return 1  # every language on its own reaches the target
    return 0


if __name__ == "__main__":
    sys.exit(main())
