"""Simulated members and their ground truth: who they are (the demo roster), what
happened to them (eval/cases.yml), and every answer the opened request must hold.

Every plan x network x urgency x who asks is one of 60 combinations; member i takes
combination i % 60, and the channels alternate so that each plan is tried on both.
Members from index 1000 (SPANISH_FROM) write in Spanish (eval/phrasings_es.yml).
The rest (story, date, opener, a crisis, a correction) is drawn from the seed; what they
do once the request is opened (a text when there is news: yes, no or another number; then
asking how the request stands, with or without its reference) from a stream of its own, so
that the request itself is drawn as before."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import yaml

from bot.members import DEMO_ROSTER
from bot.policy import kb
from eval.phrasings import choose, world
from eval.questions import plan_number

NETWORKS = ("in_network", "out_of_network")
URGENCIES = ("urgent", "routine")
REQUESTERS = ("member", "representative", "provider")
COMBINATIONS = 60  # 5 plans x 2 networks x 2 urgencies x 3 who asks
SPANISH_FROM = 1000  # members with this index or more write in Spanish
CORRECTABLE = ("urgency", "initial_date", "network")
NOTIFY = ("yes", "no", "number")  # a text when there is news: to the number on file, none, or to another
AREA_CODES = ("209", "559", "661", "530", "707", "916", "805", "760")  # the plans' counties and around
MESES = (
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
)
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def today() -> date:
    return datetime.now(ZoneInfo("America/Los_Angeles")).date()


@dataclass(frozen=True)
class When:
    """When the first opinion was given, as the member says it."""

    kind: str  # absolute | relative | unknown
    day: date | None = None
    tolerance: int = 0
    said: str | None = None

    @property
    def phrase(self) -> str | None:
        return f"on {self.said}" if self.kind == "absolute" else self.said


@dataclass(frozen=True)
class Persona:
    index: int
    channel: str  # rest | sms
    member_id: str
    dob: date
    plan: str
    case: dict
    when: When
    requested_by: str
    network: str
    preferred: str | None
    urgency: str
    opener: str  # plain | reason | plan
    crisis_at: int | None  # the question (1, 2, ...) answered with a crisis message instead
    correction: str | None  # the answer first given wrong, then corrected at the read-back
    wrong_when: When | None = None
    lang: str = "en"
    phone_on_file: str | None = None  # E.164, the roster's
    notify: str = "no"  # NOTIFY: the answer to "a text when there is news?"
    other_phone: str = "+12095550100"  # E.164: the number they give (notify "number", or when asked for one)
    status_with_reference: bool = False  # asks how the request stands naming its reference

    @property
    def sms_phone(self) -> str:
        """The number a texting member writes from."""
        return f"+155955{self.index:05d}"

    @property
    def reason(self) -> str:
        return self.case["reason"]

    def said(self, corrected: bool) -> Persona:
        """The member as they first answer: before a planned correction, one answer is wrong."""
        if self.correction is None or corrected:
            return self
        if self.correction == "urgency":
            return replace(self, urgency=other(URGENCIES, self.urgency))
        if self.correction == "network":
            return replace(self, network=other(NETWORKS, self.network))
        return replace(self, when=self.wrong_when)

    def truth(self) -> dict[str, object]:
        return dict(
            plan=self.plan,
            reason=self.reason,
            initial_provider=self.case["provider"],
            initial_specialty=self.case["specialty"],
            initial_recommendation=self.case["recommendation"],
            initial_date=self.when_truth(),
            requested_by=self.requested_by,
            network=self.network,
            preferred_provider=self.preferred,
            urgency=self.urgency,
        )

    def when_truth(self) -> str | None:
        if self.when.day is None:
            return None
        margin = f" (within {self.when.tolerance} days)" if self.when.tolerance else ""
        return f"{self.when.day.isoformat()}{margin}"


def other(pair, value):
    return pair[1 - pair.index(value)]


def roster() -> list[dict]:
    members = yaml.safe_load(DEMO_ROSTER.read_text(encoding="utf-8"))["members"]
    return sorted(members, key=lambda m: m["member_id"])


def make_personas(count: int, seed: int, channel: str = "both", spanish: int = 0) -> list[Persona]:
    """`count` members who write in English, then `spanish` who write in Spanish."""
    indexes = list(range(count)) + list(range(SPANISH_FROM, SPANISH_FROM + spanish))
    return [make_persona(i, seed, channel) for i in indexes]


def make_persona(index: int, seed: int, channel: str = "both") -> Persona:
    rng, after = random.Random(f"{seed}/persona/{index}"), random.Random(f"{seed}/after/{index}")
    combo = index % COMBINATIONS
    member = roster()[combo // 12]
    network, urgency = NETWORKS[combo // 6 % 2], URGENCIES[combo // 3 % 2]
    correction = rng.choice(CORRECTABLE) if rng.random() < 0.25 else None
    when, wrong_when = corrected_dates(rng) if correction == "initial_date" else (first_opinion_date(rng), None)
    named = rng.random() < (0.8 if network == "out_of_network" else 0.3)
    return Persona(
        index=index,
        channel=channel if channel != "both" else ("rest", "sms")[(index + index // COMBINATIONS) % 2],
        member_id=member["member_id"],
        dob=date.fromisoformat(str(member["dob"])),
        plan=member["plan"],
        case=rng.choice(world()["cases"]),
        when=when,
        requested_by=REQUESTERS[combo % 3],
        network=network,
        preferred=rng.choice(world()["preferred_doctors"]) if named else None,
        urgency=urgency,
        opener=rng.choice(("plain", "reason", "plan")),
        crisis_at=rng.randint(1, 7) if rng.random() < 0.2 else None,
        correction=correction,
        wrong_when=wrong_when,
        lang="es" if index >= SPANISH_FROM else "en",
        phone_on_file=member.get("phone"),
        notify=after.choice(NOTIFY),
        other_phone=f"+1{after.choice(AREA_CODES)}555{after.randint(100, 199):04d}",
        status_with_reference=after.random() < 0.5,
    )


def first_opinion_date(rng: random.Random) -> When:
    roll = rng.random()
    if roll < 0.4:
        day = today() - timedelta(days=rng.randint(3, 150))
        return When("absolute", day, 0, date_words(rng.choice(world()["absolute_dates"]), day))
    if roll < 0.8:
        said = rng.choice(world()["relative_dates"])
        return When("relative", today() - timedelta(days=said["days"]), said["tolerance"], said["said"])
    return When("unknown")


def corrected_dates(rng: random.Random):
    """("the visit was on the 10th not the 3rd"): the right date and the one first said,
    a week apart in the same month, both past."""
    right_d = rng.randint(10, 28)
    month_start = today().replace(day=1)
    if today().day <= right_d + 1:
        month_start = (month_start - timedelta(days=1)).replace(day=1)
    right, wrong = month_start.replace(day=right_d), month_start.replace(day=right_d - 7)
    form = "{month} {d}"
    return When("absolute", right, 0, date_words(form, right)), When("absolute", wrong, 0, date_words(form, wrong))


def ordinal(n: int) -> str:
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def date_words(form: str, day: date) -> str:
    month = MONTHS[day.month - 1]
    return form.format(
        month=month,
        month_lower=month.lower(),
        mon=month[:3],
        mes=MESES[day.month - 1],
        m=day.month,
        mm=f"{day.month:02d}",
        d=day.day,
        dd=f"{day.day:02d}",
        dth=ordinal(day.day),
        yy=f"{day.year % 100:02d}",
        yyyy=day.year,
    )


PRONOUNS = {"he": ("he", "him"), "she": ("she", "her")}


def values(
    p: Persona, rng: random.Random, corrected: bool, month_in_words: bool = False, reference: str | None = None
) -> dict[str, str | None]:
    """Everything a phrasing may name, as this member says it this time (the date of birth
    with the month in words once asked to write it so; the reference once they have one)."""
    said = p.said(corrected)
    case, w = p.case, world()
    _, first, last = case["provider"].split()
    specialty = rng.choice(case["specialty_said"])
    he, him = PRONOUNS[case["pronoun"]]
    prefix, digits = p.member_id[:4], p.member_id[4:]
    member_id = rng.choice(w["member_id_forms"]).format(
        id=p.member_id, id_lower=p.member_id.lower(), prefix=prefix, prefix_lower=prefix.lower(), digits=digits
    )
    found = dict(
        member_id=member_id,
        dob=date_words(rng.choice(dob_forms(p.lang, month_in_words)), p.dob),
        plan_said=rng.choice(w["plans"][p.plan]),
        plan_number=str(plan_number(kb().plan(p.plan).name)),
        reason_number=str(reason_number(p.reason)),
        provider=case["provider"],
        provider_short=f"Dr {last}",
        provider_lower=f"dr {last.lower()}",
        provider_name=f"{first} {last}",
        specialty_said=specialty,
        a_specialty=("an " if specialty[0].lower() in "aeio" else "a ") + specialty,
        he=he,
        him=him,
        recommendation=case["recommendation"],
        condition=case["condition"],
        soon=case["soon"],
        when=said.when.said,
        when_phrase=said.when.phrase,
        preferred=p.preferred,
        preferred_lower=p.preferred.lower() if p.preferred else None,
        phone=phone_said(p),
        reference=reference,
    )
    if p.correction == "initial_date":
        right, wrong = p.when.day, p.wrong_when.day
        found.update(
            month=MONTHS[right.month - 1],
            right_d=str(right.day),
            wrong_d=str(wrong.day),
            right_dth=ordinal(right.day),
            wrong_dth=ordinal(wrong.day),
            right_m=str(right.month),
        )
    found["reason_story"] = choose(f"reason_text.{p.reason}", found, rng, set(), p.lang)
    return found


PHONE_FORMS = ("({a}) {b}-{c}", "{a}-{b}-{c}", "{a}{b}{c}", "{a} {b} {c}", "{a}.{b}.{c}", "1{a}{b}{c}")


def phone_said(p: Persona) -> str:
    """The other number as this member writes it (always the same way; drawn apart from the
    conversation's draws, which stay as they were)."""
    digits = p.other_phone[2:]
    form = random.Random(p.other_phone).choice(PHONE_FORMS)
    return form.format(a=digits[:3], b=digits[3:6], c=digits[6:])


def dob_forms(lang: str, month_in_words: bool) -> list[str]:
    forms = world()["dob_forms" if lang == "en" else "dob_forms_es"]
    return [f for f in forms if "{mon" in f or "{mes" in f] if month_in_words else forms


def reason_number(reason: str) -> int:
    """The number the assistant gives the situation (policies_kb/statute_1383_15.yml)."""
    return next(s.number for s in kb().situations() if s.id == reason)
