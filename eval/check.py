"""An opened request, read back through the member-services API, checked field by field
against the member's truth."""

from __future__ import annotations

import re
from datetime import date

from bot.second_opinions import ANSWERS
from eval.personas import Persona

FIELDS = ("plan", *(answer for answer in ANSWERS if answer != "reason_text"))
NAME_SLACK = 20  # "Dr. Wei Chen at Stanford" may gain a few words, not a whole sentence


def norm(text: str | None) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", (text or "").lower()).split())


def same_person(said: str | None, stored: str | None) -> bool:
    """The stored name is the person the member named: their surname, and not much more."""
    if said is None or stored is None:
        return said is None and stored is None
    surname = norm(said.split(" at ")[0]).split()[-1]
    return surname in norm(stored).split() and len(stored) <= len(said) + NAME_SLACK


def right_specialty(case: dict, stored: str | None) -> bool:
    return norm(stored) in {norm(case["specialty"]), *map(norm, case["specialty_said"])}


def right_recommendation(case: dict, stored: str | None) -> bool:
    """What they recommended, or the diagnosis they gave (the question asks for either)."""
    answers = [case["keywords"]] + ([case["diagnosis"]] if "diagnosis" in case else [])
    return any(all(norm(k) in norm(stored) for k in words) for words in answers)


def right_date(p: Persona, stored: str | None) -> bool:
    if p.when.kind == "unknown":
        return stored is None
    return stored is not None and abs((date.fromisoformat(stored) - p.when.day).days) <= p.when.tolerance


def wrong_fields(p: Persona, record: dict) -> dict[str, str]:
    """Field -> "expected ..., got ..." for every field the request got wrong."""
    first = record["initial_opinion"]
    got = dict(
        plan=record["plan"],
        reason=record["reason"],
        initial_provider=first["provider"],
        initial_specialty=first["specialty"],
        initial_recommendation=first["recommendation"],
        initial_date=first["date"],
        requested_by=record["requested_by"],
        network=record["network"],
        preferred_provider=record["preferred_provider"],
        urgency=record["urgency"],
    )
    right = dict(
        plan=got["plan"] == p.plan,
        reason=got["reason"] == p.reason,
        initial_provider=same_person(p.case["provider"], got["initial_provider"]),
        initial_specialty=right_specialty(p.case, got["initial_specialty"]),
        initial_recommendation=right_recommendation(p.case, got["initial_recommendation"]),
        initial_date=right_date(p, got["initial_date"]),
        requested_by=got["requested_by"] == p.requested_by,
        network=got["network"] == p.network,
        preferred_provider=same_person(p.preferred, got["preferred_provider"]),
        urgency=got["urgency"] == p.urgency,
    )
    expected = p.truth()
    return {f: f"expected {expected[f]!r}, got {got[f]!r}" for f in FIELDS if not right[f]}
