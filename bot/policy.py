"""The one place plan rules are answered: a pure reader over `policies_kb/`.

Nothing here decides a rule in code. Every answer is read from the YAML facts, each
of which names its source file, section and a quote. Callers (actions, API, tests)
ask this module; none re-decides a rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.settings import get_settings

KB_DIR = get_settings().policies_kb  # as configured at import; kb() reads the setting each time
# The plans' policies, copied from the project's shared seeds (../shared/seeds) into the
# repository so a clone alone can check every quote; a test keeps the copy identical.
SEEDS_DIR = get_settings().policy_seeds
SHARED_SEEDS_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "seeds"

TOPICS = (
    "situations",
    "who_can_request",
    "authorization",
    "cost",
    "timeline",
    "who_gives",
    "report",
    "disagree",
    "refused",
    "transportation",
)
NETWORKS = ("in_network", "out_of_network")
URGENCIES = ("urgent", "routine")
TIMELINE_UNITS = ("hours", "calendar_days", "business_days")
DEFAULT_LANG = "en"


class UnknownPlan(KeyError):
    pass


@dataclass(frozen=True)
class Citation:
    label: str  # "Partnership policy MPUP3078"
    section: str
    quote: str
    source_file: str


@dataclass(frozen=True)
class Plan:
    id: str
    name: str
    short_name: str
    aliases: tuple[str, ...]
    policy_id: str
    number: int  # its number in the plan question ("Reply 1 ...")
    _citation: dict[str, str] = field(compare=False, repr=False)
    _menu: dict[str, str] = field(compare=False, repr=False)

    def citation_label(self, lang: str = DEFAULT_LANG) -> str:
        return _pick(self._citation, lang)

    def menu_name(self, lang: str = DEFAULT_LANG) -> str:
        """How the plan question names it: "Kern Health Systems (Kern Family Health Care)"."""
        return _pick(self._menu, lang)

    @property
    def names_typed(self) -> tuple[str, ...]:
        """Every way a member may write the plan, lower case: its name, short name and aliases."""
        return tuple(dict.fromkeys((self.name.lower(), self.short_name.lower(), *self.aliases)))


@dataclass(frozen=True)
class Answer:
    plan: str
    topic: str
    text: str
    silent: bool  # the policy does not address this topic
    citation: Citation | None  # None when silent
    policy_label: str  # which policy was read, even when silent


@dataclass(frozen=True)
class Timeline:
    """How fast a decision comes. `unit` is one of TIMELINE_UNITS, or None when no
    decision is needed ("none") or the policy sets no number ("not_stated")."""

    kind: str  # "fixed" | "none" | "not_stated"
    unit: str | None = None
    amount: int | None = None
    text: str | None = None
    citation: Citation | None = None


@dataclass(frozen=True)
class Requirement:
    plan: str
    network: str
    urgency: str
    authorization_required: bool
    explain: str
    decided_by: str | None
    condition: str | None
    next_steps: str | None
    timeline: Timeline
    citations: tuple[Citation, ...]

    def sentences(self) -> list[str]:
        """The member-facing sentences, in reading order, all from policies_kb."""
        parts = [
            self.explain,
            self.decided_by,
            self.condition,
            self.timeline.text,
            None if self.authorization_required else self.next_steps,
        ]
        return [p for p in parts if p]


@dataclass(frozen=True)
class RideKind:
    mobility: str
    mode: str  # "nmt" | "nemt"
    vehicle: str
    description: str
    pcs_required: bool  # a Physician Certification Statement is needed
    pcs_text: str | None
    source: str


@dataclass(frozen=True)
class Situation:
    id: str
    number: int
    label: str
    sources: tuple[Citation, ...]


LIST_ITEM = re.compile(r"(?:\d{1,2}[.)]|[-•])\s")


def _with_list_lines(raw: str) -> str:
    """A KB text as one paragraph, except that each numbered item keeps its own line."""
    lines = [" ".join(line.split()) for line in raw.splitlines() if line.strip()]
    return "".join(("\n" if LIST_ITEM.match(line) else " ") + line for line in lines).strip()


def _pick(texts: dict[str, str], lang: str) -> str:
    return texts.get(lang) or texts[DEFAULT_LANG]


class KnowledgeBase:
    def __init__(self, kb_dir: Path = KB_DIR):
        self.kb_dir = Path(kb_dir)
        self.policies: dict[str, dict[str, Any]] = {}
        self.plans: dict[str, Plan] = {}
        self.statute: dict[str, Any] = {}
        self.general: dict[str, dict[str, Any]] = {}  # general Medi-Cal rules, public sources
        for path in sorted(self.kb_dir.glob("*.yml")):
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
            if "statute" in doc:
                self.statute = doc
            elif "policy" in doc:
                self._add_policy(doc)
            elif "general" in doc:
                self.general[doc["general"]["id"]] = doc
        numbers = sorted(p.number for p in self.plans.values())
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError(
                f"{self.kb_dir}: the plans' menu numbers must run 1..{len(numbers)}, one each; found {numbers}"
            )

    def _add_policy(self, doc: dict[str, Any]) -> None:
        pid = doc["policy"]["id"]
        self.policies[pid] = doc
        for plan_id, p in doc["plans"].items():
            self.plans[plan_id] = Plan(
                id=plan_id,
                name=p["name"],
                short_name=p["short_name"],
                aliases=tuple(a.lower() for a in p.get("aliases", [])),
                policy_id=pid,
                number=int(p["menu"]["number"]),
                _citation=p["citation"],
                _menu={k: v for k, v in p["menu"].items() if k != "number"},
            )

    # -- look-ups ---------------------------------------------------------------
    def plan_menu(self) -> tuple[Plan, ...]:
        """The plans in the order the plan question numbers them (1 .. n)."""
        return tuple(sorted(self.plans.values(), key=lambda p: p.number))

    def plan_ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.plan_menu())

    def plan(self, plan_id: str) -> Plan:
        try:
            return self.plans[plan_id]
        except KeyError:
            raise UnknownPlan(plan_id) from None

    def _policy_of(self, plan_id: str) -> dict[str, Any]:
        return self.policies[self.plan(plan_id).policy_id]

    def _citation(self, plan_id: str, fact: dict[str, Any], lang: str) -> Citation:
        policy = self._policy_of(plan_id)
        return Citation(
            label=self.plan(plan_id).citation_label(lang),
            section=str(fact["section"]),
            quote=fact["quote"],
            source_file=policy["policy"]["source_file"],
        )

    def _text(self, plan_id: str, texts: dict[str, str] | None, lang: str) -> str | None:
        if not texts:
            return None
        plan = self.plan(plan_id)
        text = _with_list_lines(_pick(texts, lang))
        return text.replace("{plan}", plan.name).replace("{plan_short}", plan.short_name)

    def _required_text(self, plan_id: str, texts: dict[str, str], lang: str) -> str:
        """A text every entry has (an answer, an explanation): the knowledge base's checks
        (tests/messages/test_catalogs.py) make sure it is there."""
        text = self._text(plan_id, texts, lang)
        assert text is not None, f"{plan_id}: a required text is missing"
        return text

    def answer(self, plan_id: str, topic: str, lang: str = DEFAULT_LANG) -> Answer:
        if topic not in TOPICS:
            raise KeyError(f"unknown topic {topic!r}")
        fact = self._policy_of(plan_id)["topics"][topic]
        silent = bool(fact.get("silent"))
        return Answer(
            plan=plan_id,
            topic=topic,
            text=self._required_text(plan_id, fact["answer"], lang),
            silent=silent,
            citation=None if silent else self._citation(plan_id, fact, lang),
            policy_label=self.plan(plan_id).citation_label(lang),
        )

    def requirement(
        self, plan_id: str, network: str | None, urgency: str | None, lang: str = DEFAULT_LANG
    ) -> Requirement:
        if network not in NETWORKS or urgency not in URGENCIES:
            raise ValueError(f"bad network/urgency {network!r}/{urgency!r}")
        rule = self._policy_of(plan_id)["requests"][network]
        citations = [self._citation(plan_id, rule, lang)]
        decided_by, condition = rule.get("decided_by"), rule.get("condition")
        for extra in (decided_by, condition):
            if extra:
                citations.append(self._citation(plan_id, extra, lang))
        timeline = self._timeline(plan_id, rule["timeline"][urgency], lang)
        if timeline.citation:
            citations.append(timeline.citation)
        return Requirement(
            plan=plan_id,
            network=network,
            urgency=urgency,
            authorization_required=bool(rule["authorization_required"]),
            explain=self._required_text(plan_id, rule["explain"], lang),
            decided_by=self._text(plan_id, decided_by, lang) if decided_by else None,
            condition=self._text(plan_id, condition, lang) if condition else None,
            next_steps=self._text(plan_id, rule.get("next_steps"), lang),
            timeline=timeline,
            citations=tuple(dict.fromkeys(citations)),
        )

    def _timeline(self, plan_id: str, fact: Any, lang: str) -> Timeline:  # "none" or a dict
        if fact == "none":
            return Timeline(kind="none")
        citation = self._citation(plan_id, fact, lang)
        text = self._text(plan_id, {k: v for k, v in fact.items() if len(k) == 2}, lang)
        if fact.get("not_stated"):
            return Timeline(kind="not_stated", text=text, citation=citation)
        ((unit, amount),) = [(u, fact[u]) for u in TIMELINE_UNITS if u in fact]
        return Timeline(kind="fixed", unit=unit, amount=int(amount), text=text, citation=citation)

    def situations(self, lang: str = DEFAULT_LANG) -> list[Situation]:
        out = []
        for sid, s in self.statute["situations"].items():
            sources = tuple(
                Citation(
                    label=self.policies[src["policy"]]["policy"]["number"],
                    section=str(src["section"]),
                    quote=src["quote"],
                    source_file=self.policies[src["policy"]]["policy"]["source_file"],
                )
                for src in s["sources"]
            )
            out.append(Situation(id=sid, number=int(s["number"]), label=_pick(s["label"], lang), sources=sources))
        return sorted(out, key=lambda s: s.number)

    def situation_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.situations())

    # -- general Medi-Cal rules (grievances, appeals, rides) --------------------------
    GRIEVANCE_RIGHTS_ORDER = (
        "grievance_any_time",
        "appeal_60_days",
        "state_hearing_120_days",
        "independent_medical_review",
        "expedited",
        "dmhc_help_center",
    )

    def grievance_rights(self, lang: str = DEFAULT_LANG) -> list[tuple[str, str]]:
        """(member-facing sentence, public source) for each grievance/appeal right."""
        facts = self.general["medi_cal_grievance_rights"]["facts"]
        return [(_pick(facts[k], lang).strip(), facts[k]["source"]) for k in self.GRIEVANCE_RIGHTS_ORDER]

    def dmhc_statement(self, lang: str = DEFAULT_LANG) -> str:
        fact = self.general["medi_cal_grievance_rights"]["facts"]["dmhc_statement"]
        return " ".join(_pick(fact, lang).split())

    def grievance_deadline(self, which: str) -> tuple[str, int]:
        """(unit, amount) for "acknowledge", "resolve" or "resolve_expedited"."""
        rule = self.general["medi_cal_grievance_rights"]["deadlines"][which]
        ((unit, amount),) = [(u, rule[u]) for u in TIMELINE_UNITS if u in rule]
        return unit, int(amount)

    def ride_for(self, mobility: str, lang: str = DEFAULT_LANG) -> RideKind:
        doc = self.general["medi_cal_transportation"]
        how = doc["mobility"][mobility]
        mode = doc["modes"][how["mode"]]
        return RideKind(
            mobility=mobility,
            mode=how["mode"],
            vehicle=_pick(how["vehicle"], lang),
            description=_pick(mode, lang),
            pcs_required=bool(mode["pcs_required"]),
            pcs_text=_pick(mode["pcs"], lang) if mode.get("pcs") else None,
            source=mode["source"],
        )

    def ride_mobilities(self) -> tuple[str, ...]:
        """How a member may get around, each deciding a kind of ride."""
        return tuple(self.general["medi_cal_transportation"]["mobility"])

    def ride_lead_business_days(self, plan_id: str) -> int:
        """The plan's configured lead time; a plan the configuration does not list yet
        gets `unknown_plan`'s."""
        days = self.general["medi_cal_transportation"]["lead_time"]["business_days"]
        return int(days.get(self.plan(plan_id).id, days["unknown_plan"]))

    def member_services_hours(self, plan_id: str | None) -> tuple[str, str]:
        """(opens, closes) as "HH:MM" Pacific, on business days. Plan configuration."""
        hours = self.general["member_services"]["hours"]
        row = (hours.get(plan_id) if plan_id in self.plans else None) or hours["unknown_plan"]
        return row["opens"], row["closes"]

    def member_services_phone(self, plan_id: str | None) -> str | None:
        return self.general["member_services"]["phone"].get(plan_id) if plan_id in self.plans else None

    def handoff_claim_timeout_minutes(self) -> float:
        return float(self.general["member_services"]["claim_timeout_minutes"])

    def all_quotes(self) -> Iterator[tuple[str, str, str]]:
        """(source_file, quote, where) for every quote in the knowledge base."""
        for pid, doc in self.policies.items():
            src = doc["policy"]["source_file"]
            for where, node in _walk(doc, pid):
                yield src, node["quote"], where
        for sid, s in self.statute.get("situations", {}).items():
            for src in s["sources"]:
                yield self.policies[src["policy"]]["policy"]["source_file"], src["quote"], f"statute/{sid}"


def _walk(node: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        if "quote" in node:
            yield where, node
        for key, value in node.items():
            yield from _walk(value, f"{where}/{key}")


def kb() -> KnowledgeBase:
    """The knowledge base of the configured folder (POLICIES_KB, read through bot.settings).
    What is derived from it elsewhere (plan patterns, plan menus) is cached per
    KnowledgeBase, so another folder brings its own plans everywhere."""
    return _kb_at(Path(get_settings().policies_kb))


@lru_cache(maxsize=2)
def _kb_at(kb_dir: Path) -> KnowledgeBase:
    return KnowledgeBase(kb_dir)
